import { Worker } from 'node:worker_threads';
import { type ErrorCode, VigilError } from '../../errors.ts';
import type { IngestBatch, ReplayStateRecord } from '../store.ts';
import type { IngestThreadData, IngestThreadReply, IngestThreadRequest } from './sqlite-ingest-protocol.ts';
import { packedTransferList, packIngestBatch } from './sqlite-ingest-rows.ts';

type Reply = IngestThreadReply;
interface Waiter {
  resolve: (r: Reply) => void;
}

/** How long `close` waits for the thread to finish its last transaction before ending it. */
const CLOSE_TIMEOUT_MS = 10_000;

/** The VigilError a failure reply stands for, with the driver's code on its cause (SQLITE_FULL, ...). */
function errorOf(e: Extract<Reply, { ok: false }>['error']): VigilError {
  const cause = Object.assign(new Error(e.driverMessage ?? e.detail ?? 'ingest thread failure'), {
    name: 'SqliteError',
    code: e.driverCode,
  });
  return new VigilError(e.code as ErrorCode, e.detail, { cause });
}

/**
 * The ingest transactions on a worker thread with a connection of its own, so that the event
 * loop does not spend its time in SQLCipher page encryption and does not wait for the fsync of
 * `synchronous = FULL`. `writeBatch` resolves once the batch's transaction is durable, exactly as
 * the in-thread path does: the pipeline's group commit (one transaction in flight, the next batch
 * growing meanwhile) is unchanged. A batch crosses as columns (sqlite-ingest-rows.ts).
 *
 * If the thread dies, every request in flight fails as VIGIL_ERR_STORE (no PUBACK: the devices
 * redeliver, and their rows are idempotent) and the next request starts a new thread.
 */
export class SqliteIngestThread {
  readonly #data: IngestThreadData;
  #worker: Worker | undefined;
  #ready: Promise<void> | undefined;
  readonly #waiting = new Map<number, Waiter>();
  #nextId = 1;
  #closed = false;

  private constructor(data: IngestThreadData) {
    this.#data = data;
  }

  /** Starts the thread and opens its connection; rejects (VIGIL_ERR_STORE, ...) when it cannot. */
  static async start(data: IngestThreadData): Promise<SqliteIngestThread> {
    const t = new SqliteIngestThread(data);
    await t.#ensure();
    return t;
  }

  #ensure(): Promise<void> {
    if (this.#ready) return this.#ready;
    const worker = new Worker(new URL('./sqlite-ingest-worker.ts', import.meta.url), {
      workerData: this.#data,
    });
    this.#worker = worker;
    const ready = new Promise<void>((resolve, reject) => {
      this.#waiting.set(0, { resolve: (r) => (r.ok ? resolve() : reject(errorOf(r.error))) });
    });
    worker.on('message', (r: Reply) => {
      const w = this.#waiting.get(r.id);
      this.#waiting.delete(r.id);
      if (this.#waiting.size === 0) worker.unref();
      w?.resolve(r);
    });
    const died = (why: string) => {
      if (this.#worker !== worker) return;
      this.#worker = undefined;
      this.#ready = undefined;
      const failed: Reply = {
        id: -1,
        ok: false,
        error: { code: 'VIGIL_ERR_STORE', detail: why, driverCode: undefined, driverMessage: undefined },
      };
      const waiting = [...this.#waiting.values()];
      this.#waiting.clear();
      for (const w of waiting) w.resolve(failed);
    };
    worker.on('error', (err) => died(`[sqlite] ingest thread failed: ${err.name}`));
    worker.on('exit', (code) => died(`[sqlite] ingest thread exited (${code})`));
    this.#ready = ready.catch((err: unknown) => {
      void worker.terminate();
      this.#worker = undefined;
      this.#ready = undefined;
      throw err;
    });
    return this.#ready;
  }

  #request(make: (id: number) => IngestThreadRequest, transfer: ArrayBuffer[] = []): Promise<Reply> {
    const id = this.#nextId++;
    return new Promise<Reply>((resolve) => {
      const worker = this.#worker;
      if (!worker) {
        resolve({
          id,
          ok: false,
          error: {
            code: 'VIGIL_ERR_STORE',
            detail: '[sqlite] ingest thread not running',
            driverCode: undefined,
            driverMessage: undefined,
          },
        });
        return;
      }
      this.#waiting.set(id, { resolve });
      worker.ref();
      worker.postMessage(make(id), transfer);
    });
  }

  async writeBatch(batch: IngestBatch): Promise<{ readingsInserted: number; messagesInserted: number }> {
    if (this.#closed) throw new VigilError('VIGIL_ERR_STORE', '[sqlite] ingest thread closed');
    await this.#ensure();
    const packed = packIngestBatch(batch);
    const r = await this.#request((id) => ({ kind: 'write', id, batch: packed }), packedTransferList(packed));
    if (!r.ok) throw errorOf(r.error);
    return r.result ?? { readingsInserted: 0, messagesInserted: 0 };
  }

  /** The device's replay state, read on the thread's connection (after every batch sent before). */
  async getReplayState(deviceId: string): Promise<ReplayStateRecord | null> {
    if (this.#closed) throw new VigilError('VIGIL_ERR_STORE', '[sqlite] ingest thread closed');
    await this.#ensure();
    const r = await this.#request((id) => ({ kind: 'replay', id, deviceId }));
    if (!r.ok) throw errorOf(r.error);
    const s = r.replay;
    if (!s) return null;
    const buf = (u: Uint8Array) => Buffer.from(u.buffer, u.byteOffset, u.byteLength);
    return { ...s, bitmap: buf(s.bitmap), nonces: buf(s.nonces) };
  }

  /**
   * Ends the thread at once, inside its transaction if one runs, as a crash of the thread would:
   * SQLite rolls that transaction back, every request in flight fails, and the next request
   * starts a new thread.
   */
  async abort(): Promise<void> {
    await this.#worker?.terminate();
  }

  /** Lets the last transaction finish, closes the connection and ends the thread. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const worker = this.#worker;
    if (!worker) return;
    const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
    const bounded = new Promise<void>((resolve) => setTimeout(resolve, CLOSE_TIMEOUT_MS).unref());
    await Promise.race([this.#request((id) => ({ kind: 'close', id })), bounded]);
    // Referenced until it has exited: an idle (unreferenced) thread would let the process end
    // with this promise unsettled, and the caller's code after `close()` would never run.
    worker.ref();
    await Promise.race([exited, bounded]);
    await worker.terminate();
  }
}
