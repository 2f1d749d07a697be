/** A class of descriptor users that holds a share of the budget. */
export type FdClass = 'mqtt' | 'https';

/** How a {@link FdBudget} is divided. */
export interface FdBudgetOptions {
  /** The process's descriptor limit (RLIMIT_NOFILE soft limit, after raising it). */
  limit: number;
  /** Descriptors kept for the store (SQLite database, WAL, shared memory, backups, reports). */
  reserveStore: number;
  /** Descriptors kept for everything else (stdio, log file, listeners, timers, child processes). */
  reserveProcess: number;
  /** Each class's own cap (its `maxConnections`). */
  max: Record<FdClass, number>;
}

/** Descriptors kept back from the listeners by default. */
export const DEFAULT_FD_RESERVE = Object.freeze({ store: 64, process: 128 });

/**
 * One budget of file descriptors shared by the MQTT and HTTPS listeners, so that a flood on one
 * port can never take the descriptors the other port (or the store) needs. Descriptors for the
 * store and the process are kept back first. When what remains covers both listeners' caps,
 * each simply gets its cap; otherwise it is split in proportion to the caps, and each listener
 * is held to its share, so the other's share is always free for the other.
 */
export class FdBudget {
  readonly limit: number;
  /** Descriptors the listeners may use together. */
  readonly available: number;
  readonly max: Readonly<Record<FdClass, number>>;
  /** Descriptors each class is guaranteed whatever the other one does. */
  readonly guaranteed: Readonly<Record<FdClass, number>>;
  readonly #used: Record<FdClass, number> = { mqtt: 0, https: 0 };

  constructor(o: FdBudgetOptions) {
    for (const [k, v] of Object.entries({ limit: o.limit, ...o.max })) {
      if (!Number.isInteger(v) || v < 1) throw new RangeError(`fd budget: ${k} must be a positive integer`);
    }
    this.limit = o.limit;
    this.available = Math.max(0, o.limit - o.reserveStore - o.reserveProcess);
    this.max = Object.freeze({ ...o.max });
    const total = o.max.mqtt + o.max.https;
    const share = (c: FdClass) =>
      total <= this.available ? o.max[c] : Math.floor((this.available * o.max[c]) / total);
    this.guaranteed = Object.freeze({ mqtt: share('mqtt'), https: share('https') });
  }

  /** Takes one descriptor for `c`; false (nothing taken) when it would eat into the other's share. */
  acquire(c: FdClass): boolean {
    const other: FdClass = c === 'mqtt' ? 'https' : 'mqtt';
    if (this.#used[c] >= this.max[c]) return false;
    const heldForOther = Math.max(this.guaranteed[other], this.#used[other]);
    if (this.#used[c] + 1 + heldForOther > this.available) return false;
    this.#used[c]++;
    return true;
  }

  release(c: FdClass): void {
    if (this.#used[c] > 0) this.#used[c]--;
  }

  used(c: FdClass): number {
    return this.#used[c];
  }
}
