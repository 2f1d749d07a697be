/**
 * The replay window as several ingest workers share it in PostgreSQL. Each worker keeps its own
 * window in memory and sends, with every transaction, the state it believes committed plus its
 * own new seqs (src/ingest). Two workers may hold two copies of one message (a replay split
 * across workers, MQTT shared subscriptions give no order or affinity), so the adapter decides
 * under the row lock of the device's `replay_state`, against what is committed:
 *
 * - a seq whose bit is set in the committed window, or that is older than it, is refused
 *   (`VIGIL_ERR_REPLAY`, `VIGIL_ERR_REPLAY_TOO_OLD`) and its rows are not written;
 * - the committed window becomes the union of both (RFC 4303 §3.4.3 window: highest seq, and a
 *   bitmap of the `size` seqs below it), so no worker's write forgets another's seqs.
 *
 * Pure: no I/O.
 */
import type { ErrorCode } from '../../errors.ts';
import { NONCE_FP_BYTES } from '../../protocol/replay-window.ts';

export interface WindowState {
  highest: number;
  bitmap: Buffer;
  nonces: Buffer;
}

const bit = (bm: Buffer, i: number) =>
  i >= 0 && i < bm.length * 8 && ((bm[i >> 3] ?? 0) & (1 << (i & 7))) !== 0;

/** Why `seq` must be refused against the committed window `w` (null: it is new). */
export function committedVerdict(w: WindowState | null, seq: number, size: number): ErrorCode | null {
  if (!w || w.highest < 0 || seq > w.highest) return null;
  const offset = w.highest - seq;
  if (offset >= size) return 'VIGIL_ERR_REPLAY_TOO_OLD';
  return bit(w.bitmap, offset) ? 'VIGIL_ERR_REPLAY' : null;
}

/** True when every seq of `a` is also in `b` (b is a's successor, as one worker's next state is). */
export function contains(b: WindowState, a: WindowState, size: number): boolean {
  if (a.highest > b.highest) return false;
  // b's fingerprints continue a's (a worker appends to what it loaded), else the union is needed.
  if (a.nonces.length > 0 && !b.nonces.includes(a.nonces)) return false;
  const shift = b.highest - a.highest;
  for (let i = 0; i < size; i++) {
    if (bit(a.bitmap, i) && i + shift < size && !bit(b.bitmap, i + shift)) return false;
  }
  return true;
}

/**
 * The union of two windows of `size` seqs (see the module comment). When `b` already holds all
 * of `a` (the usual case: one worker's view was up to date), `b` is returned as it is.
 */
export function unionWindows(a: WindowState | null, b: WindowState, size: number): WindowState {
  if (!a || a.highest < 0 || contains(b, a, size)) return b;
  const highest = Math.max(a.highest, b.highest);
  const out = Buffer.alloc(size / 8);
  for (const w of [a, b]) {
    const shift = highest - w.highest;
    for (let i = 0; i + shift < size; i++) {
      if (bit(w.bitmap, i)) {
        const j = i + shift;
        out[j >> 3] = (out[j >> 3] ?? 0) | (1 << (j & 7));
      }
    }
  }
  // Nonce fingerprints: the committed ones, then those of `b` not among them, the newest `size`.
  const seen = new Set<string>();
  const parts: Buffer[] = [];
  for (const w of [a, b]) {
    for (let i = 0; i + NONCE_FP_BYTES <= w.nonces.length; i += NONCE_FP_BYTES) {
      const fp = w.nonces.subarray(i, i + NONCE_FP_BYTES);
      const hex = fp.toString('hex');
      if (seen.has(hex)) continue;
      seen.add(hex);
      parts.push(fp);
    }
  }
  const keep = parts.slice(Math.max(0, parts.length - size));
  return { highest, bitmap: out, nonces: Buffer.concat(keep) };
}
