import type { IngestBatch, MessageRecord, ReadingRecord, Store } from '../storage/store.ts';
import type { ReplayLedger, ReplayMark } from './replay-guard.ts';

/** One message's share of a transaction: its rows (none for a refused message whose seq is spent) and its seq. */
export interface PendingWrite {
  mark: ReplayMark;
  readings: ReadingRecord[];
  messages: MessageRecord[];
  seenAt: number;
}

/** Why the store refused an item's seq (another ingest process committed it first), or null. */
export type WriteOutcome = 'VIGIL_ERR_REPLAY' | 'VIGIL_ERR_REPLAY_TOO_OLD' | null;

interface Waiter {
  item: PendingWrite;
  resolve: (outcome: WriteOutcome) => void;
  reject: (err: unknown) => void;
}

export interface BatchWriterOptions {
  store: Pick<Store, 'writeBatch'>;
  /** Gives the replay state to write with each transaction, and learns how the transaction ended. */
  ledger: ReplayLedger;
  /** Upper bound on rows per transaction (a single larger message still goes alone). */
  maxRows?: number;
  onCommit?: (info: { rows: number; items: number; ms: number }) => void;
}

/** Rows a transaction takes for an item; a row-less item (a spent seq) still counts as one. */
const rowsOf = (item: PendingWrite) => Math.max(1, item.readings.length + item.messages.length);

/**
 * Group commit: every write waits for the transaction that contains it. While one transaction
 * runs, new writes queue up and go together in the next, so batches grow with load and a lone
 * reading is committed on the next tick. A write resolves only once it is durable.
 *
 * Each transaction carries the replay state of exactly its own seqs (ReplayLedger.prepare), so
 * the persisted window never runs ahead of the persisted rows, whatever the batch size. When a
 * transaction fails, the ledger restores the last committed window before the next transaction
 * is built, so no failed seq is ever written as accepted.
 */
export class BatchWriter {
  readonly #o: BatchWriterOptions;
  #queue: Waiter[] = [];
  #running = false;
  #scheduled = false;
  #closed = false;

  constructor(opts: BatchWriterOptions) {
    this.#o = opts;
  }

  /**
   * Resolves once the item is durable: null, or why the store refused its seq (with several
   * ingest processes, another one committed a copy first; nothing of it was written).
   */
  write(item: PendingWrite): Promise<WriteOutcome> {
    if (this.#closed) {
      // Not stored: the seq goes back, so a copy waiting on it (ReplayGuard.settled) is judged again.
      this.#o.ledger.aborted([item.mark]);
      return Promise.reject(new Error('batch writer closed'));
    }
    return new Promise<WriteOutcome>((resolve, reject) => {
      this.#queue.push({ item, resolve, reject });
      this.#schedule();
    });
  }

  #schedule(): void {
    if (this.#running || this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      void this.#drain();
    });
  }

  /** The next transaction: queued items in order, up to maxRows rows (at least one item). */
  #take(): Waiter[] {
    const maxRows = this.#o.maxRows ?? 2000;
    const take: Waiter[] = [];
    let rows = 0;
    while (this.#queue.length > 0) {
      const next = rowsOf((this.#queue[0] as Waiter).item);
      if (take.length > 0 && rows + next > maxRows) break;
      take.push(this.#queue.shift() as Waiter);
      rows += next;
    }
    return take;
  }

  /** Runs only from #schedule, which never starts a second drain while one runs. */
  async #drain(): Promise<void> {
    this.#running = true;
    try {
      while (this.#queue.length > 0) await this.#commit(this.#take());
    } finally {
      this.#running = false;
    }
  }

  async #commit(take: Waiter[]): Promise<void> {
    const batch: IngestBatch = { readings: [], messages: [], replayStates: [], lastSeen: [] };
    const seen = new Map<string, number>();
    const marks: ReplayMark[] = [];
    for (const { item } of take) {
      for (const r of item.readings) batch.readings.push(r);
      for (const m of item.messages) batch.messages.push(m);
      marks.push(item.mark);
      const id = item.mark.deviceId;
      seen.set(id, Math.max(seen.get(id) ?? 0, item.seenAt));
    }
    for (const [deviceId, at] of seen) batch.lastSeen.push({ deviceId, at });
    const t0 = performance.now();
    let refused: Map<string, WriteOutcome>;
    try {
      batch.replayStates = this.#o.ledger.prepare(marks);
      const res = await this.#o.store.writeBatch(batch);
      refused = new Map((res.refused ?? []).map((r) => [`${r.deviceId}|${r.seq}`, r.code]));
    } catch (err) {
      // Synchronously, before the next transaction is built from the queue.
      this.#o.ledger.aborted(marks);
      for (const w of take) w.reject(err);
      return;
    }
    // A refused seq is spent all the same: the committed window holds it.
    this.#o.ledger.committed(marks, batch.replayStates);
    for (const w of take) w.resolve(refused.get(`${w.item.mark.deviceId}|${w.item.mark.seq}`) ?? null);
    this.#o.onCommit?.({
      rows: batch.readings.length + batch.messages.length,
      items: take.length,
      ms: performance.now() - t0,
    });
  }

  /** Waits for everything queued to be committed (or failed); bounded by the queue, not by time. */
  async close(): Promise<void> {
    this.#closed = true;
    while (this.#running || this.#queue.length > 0 || this.#scheduled) {
      await new Promise((r) => setTimeout(r, 5));
    }
  }
}
