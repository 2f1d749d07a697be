import { createHash } from 'node:crypto';
import type { ErrorCode } from '../errors.ts';
import { NONCE_FP_BYTES, ReplayWindow } from '../protocol/replay-window.ts';
import type { ReplayStateRecord, Store } from '../storage/store.ts';

/**
 * One ReplayWindow per device, loaded lazily from the store's persisted state, so a message
 * replayed after a restart is still refused. Check-and-accept is synchronous: two copies of one
 * message that arrive together can never both pass.
 */
export class ReplayGuard {
  readonly #store: Store;
  readonly #size: number;
  readonly #windows = new Map<string, ReplayWindow>();
  readonly #loading = new Map<string, Promise<void>>();
  readonly #clock: () => number;

  constructor(store: Store, windowSize: number, clock: () => number) {
    this.#store = store;
    this.#size = windowSize;
    this.#clock = clock;
  }

  static fingerprint(nonce: Buffer): Buffer {
    return createHash('sha256').update(nonce).digest().subarray(0, NONCE_FP_BYTES);
  }

  /** Makes sure the device's window is in memory. */
  load(deviceId: string): Promise<void> {
    if (this.#windows.has(deviceId)) return Promise.resolve();
    let p = this.#loading.get(deviceId);
    if (!p) {
      p = this.#store
        .getReplayState(deviceId)
        .then((st) => {
          if (!this.#windows.has(deviceId))
            this.#windows.set(deviceId, new ReplayWindow(this.#size, st ?? undefined));
        })
        .finally(() => this.#loading.delete(deviceId));
      this.#loading.set(deviceId, p);
    }
    return p;
  }

  /** Checks and, when acceptable, records seq + nonce. Requires load() first. */
  checkAndAccept(deviceId: string, seq: number, nonceFp: Buffer): ErrorCode | null {
    const w = this.#windows.get(deviceId);
    if (!w) throw new Error(`replay window for ${deviceId} not loaded`);
    const why = w.check(seq, nonceFp);
    if (why === null) w.accept(seq, nonceFp);
    return why;
  }

  forget(deviceId: string, seq: number, nonceFp: Buffer): void {
    this.#windows.get(deviceId)?.forget(seq, nonceFp);
  }

  snapshot(deviceId: string): ReplayStateRecord | null {
    const w = this.#windows.get(deviceId);
    if (!w) return null;
    return { deviceId, ...w.state(), updatedAt: this.#clock() };
  }

  /** Drops a device's window (after a re-key or deletion); it is reloaded from the store. */
  evict(deviceId: string): void {
    this.#windows.delete(deviceId);
  }
}
