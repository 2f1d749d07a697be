/**
 * Test fixture: a Store that forwards to a real one but makes chosen `writeBatch` calls fail the
 * way SQLite fails (SQLITE_BUSY, SQLITE_FULL for a full disk), or runs a hook first (the kill -9
 * durability suite kills its own process there, between two commits). Never imported by runtime code.
 */
import type { IngestBatch, Store } from '../storage/store.ts';

export type StoreFault = 'busy' | 'full';

export interface FaultPlan {
  /** 1-based writeBatch call number -> the fault it gets. */
  faults?: Record<number, StoreFault>;
  /** Runs before each writeBatch call reaches the real store (call number, batch). */
  before?: (call: number, batch: IngestBatch) => void;
  /** A promise the call waits for before it fails or goes on: keeps a transaction in flight. */
  hold?: (call: number) => Promise<void> | undefined;
}

export interface FaultyStore {
  store: Store;
  /** Every batch that reached the wrapper, failed or not, in call order. */
  calls: IngestBatch[];
}

/** An error shaped like better-sqlite3's SqliteError, wrapped as the adapter would. */
export function sqliteFault(fault: StoreFault): Error {
  const [code, message] =
    fault === 'busy' ? ['SQLITE_BUSY', 'database is locked'] : ['SQLITE_FULL', 'database or disk is full'];
  return Object.assign(new Error(message), { name: 'SqliteError', code });
}

export function faultyStore(inner: Store, plan: FaultPlan = {}): FaultyStore {
  const calls: IngestBatch[] = [];
  const store = new Proxy(inner, {
    get(target, prop, receiver) {
      if (prop !== 'writeBatch') {
        const v = Reflect.get(target, prop, receiver);
        return typeof v === 'function' ? v.bind(target) : v;
      }
      return async (batch: IngestBatch) => {
        calls.push(batch);
        const n = calls.length;
        plan.before?.(n, batch);
        await plan.hold?.(n);
        const fault = plan.faults?.[n];
        if (fault) throw sqliteFault(fault);
        return target.writeBatch(batch);
      };
    },
  });
  return { store, calls };
}
