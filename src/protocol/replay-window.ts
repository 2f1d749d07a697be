import type { ErrorCode } from '../errors.ts';

/** Persistable form of one device's window (see ReplayStateRecord in the storage port). */
export interface ReplayWindowState {
  highest: number;
  bitmap: Buffer;
  nonces: Buffer;
}

export const NONCE_FP_BYTES = 8;

/**
 * Anti-replay sliding window over `seq`, as IPsec's (RFC 4303 §3.4.3): seq numbers above the
 * highest seen are new; seq numbers inside the window are accepted once; older ones are refused.
 * It also remembers a fingerprint of each accepted nonce inside the window, so a sender that
 * reuses a nonce (fatal for AES-GCM) under a fresh seq is refused too.
 *
 * Bit i of `bitmap` (byte i>>3, bit i&7) says whether seq `highest - i` was accepted.
 * Pure: no clock, no I/O.
 */
export class ReplayWindow {
  readonly size: number;
  #highest: number;
  #bitmap: Uint8Array;
  /** Fingerprints in acceptance order: a ring of `size` slots of NONCE_FP_BYTES each. */
  #ring: Buffer;
  /** Index of the oldest slot, and how many slots are used. */
  #head = 0;
  #count = 0;
  /** Fingerprint (hex) -> how many slots hold it (normally 1). */
  #set = new Map<string, number>();

  constructor(size: number, state?: ReplayWindowState) {
    if (!Number.isInteger(size) || size < 64 || size % 8 !== 0)
      throw new Error('window size must be a multiple of 8, >= 64');
    this.size = size;
    this.#highest = state?.highest ?? -1;
    this.#bitmap = new Uint8Array(size / 8);
    if (state) this.#bitmap.set(state.bitmap.subarray(0, size / 8));
    this.#ring = Buffer.alloc(size * NONCE_FP_BYTES);
    if (state) {
      const n = Math.floor(state.nonces.length / NONCE_FP_BYTES);
      for (let i = Math.max(0, n - size); i < n; i++) {
        this.#push(state.nonces.subarray(i * NONCE_FP_BYTES, (i + 1) * NONCE_FP_BYTES));
      }
    }
  }

  #slot(i: number): Buffer {
    const at = ((this.#head + i) % this.size) * NONCE_FP_BYTES;
    return this.#ring.subarray(at, at + NONCE_FP_BYTES);
  }

  #push(fp: Buffer): void {
    if (this.#count === this.size) {
      const oldest = this.#slot(0).toString('hex');
      const left = (this.#set.get(oldest) ?? 1) - 1;
      if (left > 0) this.#set.set(oldest, left);
      else this.#set.delete(oldest);
      this.#head = (this.#head + 1) % this.size;
      this.#count--;
    }
    fp.copy(this.#slot(this.#count), 0, 0, NONCE_FP_BYTES);
    this.#count++;
    const hex = fp.subarray(0, NONCE_FP_BYTES).toString('hex');
    this.#set.set(hex, (this.#set.get(hex) ?? 0) + 1);
  }

  get highest(): number {
    return this.#highest;
  }

  #bit(i: number): boolean {
    return ((this.#bitmap[i >> 3] ?? 0) & (1 << (i & 7))) !== 0;
  }

  /** Why `seq` (with this nonce fingerprint) must be refused, or null if it is acceptable. */
  check(seq: number, nonceFp: Buffer): ErrorCode | null {
    if (this.#highest >= 0 && seq <= this.#highest) {
      const offset = this.#highest - seq;
      if (offset >= this.size) return 'VIGIL_ERR_REPLAY_TOO_OLD';
      if (this.#bit(offset)) return 'VIGIL_ERR_REPLAY';
    }
    if (this.#set.has(nonceFp.subarray(0, NONCE_FP_BYTES).toString('hex'))) return 'VIGIL_ERR_NONCE_REUSE';
    return null;
  }

  /** Records `seq` as accepted. Call only after check() returned null. */
  accept(seq: number, nonceFp: Buffer): void {
    if (seq > this.#highest) {
      shiftBitmap(this.#bitmap, this.#highest < 0 ? this.size : seq - this.#highest);
      this.#highest = seq;
    }
    setBit(this.#bitmap, this.#highest - seq);
    this.#push(nonceFp);
  }

  #ordered(): Buffer {
    const out = Buffer.allocUnsafe(this.#count * NONCE_FP_BYTES);
    const start = this.#head * NONCE_FP_BYTES;
    const firstLen = Math.min(this.#count, this.size - this.#head) * NONCE_FP_BYTES;
    this.#ring.copy(out, 0, start, start + firstLen);
    this.#ring.copy(out, firstLen, 0, out.length - firstLen);
    return out;
  }

  state(): ReplayWindowState {
    return {
      highest: this.#highest,
      bitmap: Buffer.from(this.#bitmap),
      nonces: this.#ordered(),
    };
  }
}

/** Moves a window bitmap up by n: bit i becomes bit i + n (a little-endian big-integer left shift). */
function shiftBitmap(bytes: Uint8Array, n: number): void {
  if (n >= bytes.length * 8) {
    bytes.fill(0);
    return;
  }
  const byteShift = n >> 3;
  const bitShift = n & 7;
  for (let j = bytes.length - 1; j >= 0; j--) {
    const src = j - byteShift;
    const lo = src >= 0 ? (bytes[src] ?? 0) : 0;
    const below = src - 1 >= 0 ? (bytes[src - 1] ?? 0) : 0;
    bytes[j] = bitShift === 0 ? lo : ((lo << bitShift) | (below >> (8 - bitShift))) & 0xff;
  }
}

function setBit(bytes: Uint8Array, i: number): void {
  bytes[i >> 3] = (bytes[i >> 3] ?? 0) | (1 << (i & 7));
}

/** One accepted message as the window records it. */
export interface AcceptedSeq {
  seq: number;
  nonceFp: Buffer;
}

/**
 * The state a `ReplayWindow(size, prev)` would hold after `accept()` of each entry of `accepted`,
 * in order, computed on the persisted form alone (no fingerprint set to rebuild). The ingest
 * pipeline persists exactly this with each transaction: the window of the seqs committed in it,
 * never one that runs ahead of the stored rows. Pure.
 */
export function advanceWindowState(
  size: number,
  prev: ReplayWindowState | null,
  accepted: readonly AcceptedSeq[],
): ReplayWindowState {
  let highest = prev?.highest ?? -1;
  const bitmap = new Uint8Array(size / 8);
  if (prev) bitmap.set(prev.bitmap.subarray(0, size / 8));
  for (const { seq } of accepted) {
    if (seq > highest) {
      shiftBitmap(bitmap, highest < 0 ? size : seq - highest);
      highest = seq;
    }
    setBit(bitmap, highest - seq);
  }
  const keep = size * NONCE_FP_BYTES;
  const fps = accepted.map((a) => a.nonceFp.subarray(0, NONCE_FP_BYTES));
  const all = Buffer.concat([prev?.nonces ?? Buffer.alloc(0), ...fps]);
  const whole = all.length - (all.length % NONCE_FP_BYTES);
  return {
    highest,
    bitmap: Buffer.from(bitmap),
    nonces: Buffer.from(all.subarray(Math.max(0, whole - keep), whole)),
  };
}
