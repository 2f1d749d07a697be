import { hash } from 'node:crypto';
import type { ErrorCode } from '../errors.ts';
import { advanceSeqWindow, NONCE_FP_BYTES, NonceRing, ReplayWindow } from '../protocol/replay-window.ts';
import type { ReplayStateUpdate, Store } from '../storage/store.ts';

/** One accepted (seq, nonce) of one device, from check-and-accept until it is committed or given back. */
export interface ReplayMark {
  readonly deviceId: string;
  readonly seq: number;
  readonly nonceFp: Buffer;
}

/**
 * What the batch writer needs from the replay guard: the window to persist with a transaction,
 * and what to do once the transaction committed or failed.
 */
export interface ReplayLedger {
  /**
   * The replay state to write in the transaction that holds these marks: the last committed
   * window advanced by these seqs, and these marks' fingerprints (only what changes).
   */
  prepare(marks: readonly ReplayMark[]): ReplayStateUpdate[];
  /** The transaction holding these marks (and `states`, from prepare) is durable. */
  committed(marks: readonly ReplayMark[], states: readonly ReplayStateUpdate[]): void;
  /** The transaction failed: these seqs were not stored, so their redelivery must be accepted. */
  aborted(marks: readonly ReplayMark[]): void;
}

/**
 * How old an envelope below the window may be and still be left to a shared store (see
 * #leftToStore): far longer than a broker holds a worker's queue (mqtt.external.maxOutageMinutes),
 * far shorter than the shortest retention.
 */
export const LEFT_TO_STORE_MAX_AGE_MS = 7 * 24 * 60 * 60_000;

interface DeviceWindow {
  /** What check-and-accept consults: `committed` plus every outstanding mark, in acceptance order. */
  live: ReplayWindow;
  /** Exactly the high-water mark and bitmap the store holds (null: none yet). */
  committed: { highest: number; bitmap: Buffer } | null;
  /** Exactly the fingerprints the store holds (its last window's worth), oldest first. */
  committedNonces: NonceRing;
  /** Accepted, not yet committed nor given back, in acceptance order. */
  outstanding: ReplayMark[];
}

/**
 * One replay window per device (RFC 4303 §3.4.3), loaded lazily from the store's persisted state,
 * so a message replayed after a restart is still refused. Check-and-accept is synchronous: two
 * copies of one message that arrive together can never both pass.
 *
 * Each device keeps two views: the live window, which also holds seqs whose rows still wait for
 * their transaction, and the committed state, which is exactly what the store holds. A
 * transaction persists the committed state advanced by its own seqs only (never the live window,
 * which may run ahead of the rows), and a failed transaction or a released seq rebuilds the live
 * window from the committed state plus what is still outstanding: nothing is undone piece by piece.
 */
export class ReplayGuard implements ReplayLedger {
  readonly #store: Pick<Store, 'getReplayState' | 'judgesReplay'>;
  readonly #size: number;
  readonly #devices = new Map<string, DeviceWindow>();
  readonly #loading = new Map<string, Promise<void>>();
  readonly #clock: () => number;
  /** Outstanding marks someone waits on (see settled()), with the wake-up of each. */
  readonly #waiters = new Map<ReplayMark, { done: Promise<void>; wake: () => void }>();

  constructor(
    store: Pick<Store, 'getReplayState' | 'judgesReplay'>,
    windowSize: number,
    clock: () => number,
  ) {
    this.#store = store;
    this.#size = windowSize;
    this.#clock = clock;
  }

  /**
   * The first 8 bytes of SHA-256(nonce) (docs/protocol.md §6.3), the same bytes as ever (they are
   * persisted). One-shot `crypto.hash`: no Hash object per message.
   */
  static fingerprint(nonce: Buffer): Buffer {
    return hash('sha256', nonce, 'buffer').subarray(0, NONCE_FP_BYTES);
  }

  /** Makes sure the device's window is in memory; resolves at once when it is. */
  load(deviceId: string): Promise<void> | undefined {
    if (this.#devices.has(deviceId)) return undefined;
    let p = this.#loading.get(deviceId);
    if (!p) {
      p = this.#store
        .getReplayState(deviceId)
        .then((st) => {
          this.#devices.set(deviceId, {
            live: new ReplayWindow(this.#size, st ?? undefined),
            committed: st ? { highest: st.highest, bitmap: st.bitmap } : null,
            committedNonces: new NonceRing(this.#size, st?.nonces),
            outstanding: [],
          });
        })
        .finally(() => this.#loading.delete(deviceId));
      this.#loading.set(deviceId, p);
    }
    return p;
  }

  /**
   * Checks and, when acceptable, records seq + nonce: returns the mark, or why it is refused.
   * Requires load(). `sentAgoMs`: how long ago the envelope was sealed (its authenticated `ts`).
   */
  checkAndAccept(deviceId: string, seq: number, nonceFp: Buffer, sentAgoMs = 0): ReplayMark | ErrorCode {
    const d = this.#devices.get(deviceId);
    if (!d) throw new Error(`replay window for ${deviceId} not loaded`);
    const why = d.live.check(seq, nonceFp);
    if (why !== null && !this.#leftToStore(d, seq, why, sentAgoMs)) return why;
    d.live.accept(seq, nonceFp);
    const mark = { deviceId, seq, nonceFp };
    d.outstanding.push(mark);
    return mark;
  }

  /**
   * When `seq` is accepted but not yet committed nor given back (a copy of that message is waiting
   * for its transaction), a promise that resolves once it is; undefined otherwise. A redelivered
   * copy waits on it before it is judged again: acknowledged as a duplicate only once the original
   * is stored, taken in its place if the original's transaction failed.
   */
  settled(deviceId: string, seq: number): Promise<void> | undefined {
    const mark = this.#devices.get(deviceId)?.outstanding.find((m) => m.seq === seq);
    if (!mark) return undefined;
    let w = this.#waiters.get(mark);
    if (!w) {
      let wake!: () => void;
      const done = new Promise<void>((r) => {
        wake = r;
      });
      w = { done, wake };
      this.#waiters.set(mark, w);
    }
    return w.done;
  }

  /**
   * With a store shared by several ingest workers (Store.judgesReplay), a seq below this worker's
   * window is not refused here: the window was loaded from, and advanced by, what OTHER workers
   * committed, while this worker's own share of the device's messages may still wait in its broker
   * session, already acknowledged to the device (MQTT v5 shared subscriptions give no order across
   * subscribers). Only the store knows whether that seq was stored; it decides under the device's
   * row lock and refuses a stored one (postgres-ingest.ts), so a real replay is still refused.
   * A copy of a seq this worker holds outstanding is not left to the store: it waits for the
   * original (checkReplay), as any copy does. Nor is an envelope sealed LEFT_TO_STORE_MAX_AGE_MS
   * or longer ago: the store judges by the rows it holds, and retention (storage.retentionDays,
   * 31 days at least) drops rows, so a captured message that old is refused here as before.
   */
  #leftToStore(d: DeviceWindow, seq: number, why: ErrorCode, sentAgoMs: number): boolean {
    return (
      why === 'VIGIL_ERR_REPLAY_TOO_OLD' &&
      this.#store.judgesReplay === true &&
      sentAgoMs < LEFT_TO_STORE_MAX_AGE_MS &&
      !d.outstanding.some((m) => m.seq === seq)
    );
  }

  /** Gives an accepted seq back (the message will not be stored): its redelivery is accepted. */
  release(mark: ReplayMark): void {
    this.aborted([mark]);
  }

  prepare(marks: readonly ReplayMark[]): ReplayStateUpdate[] {
    const at = this.#clock();
    const out: ReplayStateUpdate[] = [];
    for (const [deviceId, own] of groupByDevice(marks)) {
      const d = this.#devices.get(deviceId);
      if (!d) throw new Error(`replay window for ${deviceId} not loaded`);
      const { highest, bitmap } = advanceSeqWindow(
        this.#size,
        d.committed,
        own.map((m) => m.seq),
      );
      const nonces = Buffer.allocUnsafe(own.length * NONCE_FP_BYTES);
      for (let i = 0; i < own.length; i++) {
        nonces.set((own[i] as ReplayMark).nonceFp.subarray(0, NONCE_FP_BYTES), i * NONCE_FP_BYTES);
      }
      out.push({ deviceId, highest, bitmap, nonces, updatedAt: at });
    }
    return out;
  }

  committed(marks: readonly ReplayMark[], states: readonly ReplayStateUpdate[]): void {
    for (const st of states) {
      const d = this.#devices.get(st.deviceId);
      if (!d) continue;
      d.committed = { highest: st.highest, bitmap: st.bitmap };
      for (let o = 0; o < st.nonces.length; o += NONCE_FP_BYTES) d.committedNonces.push(st.nonces, o);
    }
    this.#drop(marks);
  }

  aborted(marks: readonly ReplayMark[]): void {
    for (const deviceId of this.#drop(marks)) {
      const d = this.#devices.get(deviceId);
      if (!d) continue;
      // Back to what the store holds, plus the seqs still queued for a later transaction.
      d.live = new ReplayWindow(
        this.#size,
        d.committed ? { ...d.committed, nonces: d.committedNonces.ordered() } : undefined,
      );
      for (const m of d.outstanding) d.live.accept(m.seq, m.nonceFp);
    }
  }

  /** Accepted seqs of a device still waiting for their transaction (or to be given back). */
  pending(deviceId: string): number {
    return this.#devices.get(deviceId)?.outstanding.length ?? 0;
  }

  /** Removes marks from their devices' outstanding lists; returns the devices touched. */
  #drop(marks: readonly ReplayMark[]): string[] {
    const byDevice = groupByDevice(marks);
    for (const [deviceId, own] of byDevice) {
      const d = this.#devices.get(deviceId);
      if (!d) continue;
      const gone = new Set(own);
      d.outstanding = d.outstanding.filter((m) => !gone.has(m));
    }
    if (this.#waiters.size > 0) {
      for (const m of marks) {
        const w = this.#waiters.get(m);
        if (!w) continue;
        this.#waiters.delete(m);
        // After the caller has updated the live window (aborted() rebuilds it after #drop).
        queueMicrotask(w.wake);
      }
    }
    return [...byDevice.keys()];
  }
}

function groupByDevice(marks: readonly ReplayMark[]): Map<string, ReplayMark[]> {
  const out = new Map<string, ReplayMark[]>();
  for (const m of marks) {
    const list = out.get(m.deviceId);
    if (list) list.push(m);
    else out.set(m.deviceId, [m]);
  }
  return out;
}
