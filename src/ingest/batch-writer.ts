import type {
  IngestBatch,
  MessageRecord,
  ReadingRecord,
  ReplayStateRecord,
  Store,
} from '../storage/store.ts';

export interface PendingWrite {
  deviceId: string;
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
  store: Store;
  /** Snapshot of a device's replay window, taken at commit time, written in the same transaction. */
  replayState: (deviceId: string) => ReplayStateRecord | null;
  /** Upper bound on rows per transaction. */
  maxRows?: number;
  onCommit?: (info: { rows: number; items: number; ms: number }) => void;
}

/**
 * Group commit: every write waits for the transaction that contains it. While one transaction
 * runs, new writes queue up and go together in the next, so batches grow with load and a lone
 * reading is committed on the next tick. A write resolves only once it is durable.
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

  write(item: PendingWrite): Promise<WriteOutcome> {
    if (this.#closed) return Promise.reject(new Error('batch writer closed'));
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

  async #drain(): Promise<void> {
    if (this.#running) return;
    this.#running = true;
    try {
      while (this.#queue.length > 0) {
        const maxRows = this.#o.maxRows ?? 2000;
        const take: Waiter[] = [];
        let rows = 0;
        while (this.#queue.length > 0 && (take.length === 0 || rows < maxRows)) {
          const w = this.#queue.shift() as Waiter;
          take.push(w);
          rows += w.item.readings.length + w.item.messages.length;
        }
        const batch: IngestBatch = { readings: [], messages: [], replayStates: [], lastSeen: [] };
        const seen = new Map<string, number>();
        for (const { item } of take) {
          for (const r of item.readings) batch.readings.push(r);
          for (const m of item.messages) batch.messages.push(m);
          seen.set(item.deviceId, Math.max(seen.get(item.deviceId) ?? 0, item.seenAt));
        }
        for (const [deviceId, at] of seen) {
          batch.lastSeen.push({ deviceId, at });
          const st = this.#o.replayState(deviceId);
          if (st) batch.replayStates.push(st);
        }
        const t0 = performance.now();
        try {
          const res = await this.#o.store.writeBatch(batch);
          this.#o.onCommit?.({ rows, items: take.length, ms: performance.now() - t0 });
          const refused = new Map((res.refused ?? []).map((r) => [`${r.deviceId}|${r.seq}`, r.code]));
          for (const w of take) {
            const seq = w.item.readings[0]?.seq ?? w.item.messages[0]?.seq;
            w.resolve(refused.get(`${w.item.deviceId}|${seq}`) ?? null);
          }
        } catch (err) {
          for (const w of take) w.reject(err);
        }
      }
    } finally {
      this.#running = false;
    }
  }

  /** Waits for everything queued to be committed (or failed). */
  async close(): Promise<void> {
    this.#closed = true;
    while (this.#running || this.#queue.length > 0 || this.#scheduled) {
      await new Promise((r) => setTimeout(r, 5));
    }
  }
}
