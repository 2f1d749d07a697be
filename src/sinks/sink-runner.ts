import type { Logger } from 'pino';
import { isVigilError } from '../errors.ts';
import { backoffMs } from './backoff.ts';
import { type Sink, SinkError, type SinkKind } from './sink.ts';
import type { OutboxDepth, OutboxReading, SinkOutbox } from './sink-outbox.ts';

/** How often an idle runner looks at its outbox without being woken. */
const IDLE_POLL_MS = 1000;

/** One sink as the system page, /metrics and `vigil doctor` see it. */
export interface SinkStatus {
  name: string;
  kind: SinkKind;
  target: string;
  /** `idle`: nothing attempted yet; `ok`: the last attempt succeeded; `failing` since `failingSince`. */
  state: 'idle' | 'ok' | 'failing';
  /** Readings delivered since this process started. */
  delivered: number;
  /** Failed deliveries since this process started (each retry counts). */
  failures: number;
  /** Readings the target refused for good since this process started (dropped). */
  refused: number;
  lastSuccessAt: number | null;
  lastFailureAt: number | null;
  /** The last failure, without secrets: its code and what the target said. */
  lastError: string | null;
  failingSince: number | null;
  /** When the next retry is due while failing. */
  nextAttemptAt: number | null;
  /** Outbox: waiting readings, dropped (full outbox) over the sink's lifetime, oldest waiting. */
  outbox: OutboxDepth;
}

export interface SinkRunnerOptions {
  sink: Sink;
  outbox: SinkOutbox;
  clock: () => number;
  random: () => number;
  logger: Pick<Logger, 'warn' | 'error' | 'info'>;
  /** A delivery that has not completed by then is aborted and retried. */
  timeoutMs: number;
  retryMaxMs: number;
}

/**
 * Delivers one sink's outbox: the oldest batch, then removal; retries a failure with backoff
 * (the batch stays queued, so a crash loses nothing and the next start resends it: at least
 * once); drops a refused batch (counted); keeps the sink's rate limit. Each sink has its own
 * runner on its own timers, so a slow or dead target delays neither ingest (the outbox is filled
 * in the store's transaction) nor any other sink.
 */
export class SinkRunner {
  readonly #o: SinkRunnerOptions;
  readonly #stop = new AbortController();
  #wake: (() => void) | null = null;
  #loop: Promise<void> | null = null;
  #attempts = 0;
  /** When the last request ended: the rate limit counts from there, as the target sees it. */
  #lastDeliveryAt = 0;
  /** A batch that failed: retried as it was, so its delivery id stays the same for the receiver. */
  #retry: OutboxReading[] | null = null;
  readonly #s: Omit<SinkStatus, 'outbox' | 'name' | 'kind' | 'target'> = {
    state: 'idle',
    delivered: 0,
    failures: 0,
    refused: 0,
    lastSuccessAt: null,
    lastFailureAt: null,
    lastError: null,
    failingSince: null,
    nextAttemptAt: null,
  };

  constructor(o: SinkRunnerOptions) {
    this.#o = o;
  }

  get name(): string {
    return this.#o.sink.name;
  }

  start(): void {
    this.#loop ??= this.#run();
  }

  /** New readings were stored: an idle runner looks now instead of at its next poll. */
  wake(): void {
    this.#wake?.();
  }

  async status(): Promise<SinkStatus> {
    const { name, kind, target } = this.#o.sink;
    return { name, kind, target, ...this.#s, outbox: await this.#o.outbox.depth(name) };
  }

  /** Aborts a delivery in flight (its batch stays queued) and ends the loop. */
  async stop(): Promise<void> {
    this.#stop.abort(new Error('sink stopping'));
    this.#wake?.();
    await this.#loop;
  }

  /** Waits `ms`; `wakeable`: new readings end the wait early. A stop always ends it. */
  #sleep(ms: number, wakeable: boolean): Promise<void> {
    if (this.#stop.signal.aborted || ms <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#stop.signal.removeEventListener('abort', done);
        if (this.#wake === done) this.#wake = null;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.#stop.signal.addEventListener('abort', done, { once: true });
      if (wakeable) this.#wake = done;
    });
  }

  async #run(): Promise<void> {
    const { sink, outbox, clock } = this.#o;
    while (!this.#stop.signal.aborted) {
      try {
        // The target's rate limit holds across batches and retries alike.
        await this.#sleep(this.#lastDeliveryAt + sink.minIntervalMs - clock(), false);
        if (this.#stop.signal.aborted) break;
        const batch = this.#retry ?? (await outbox.peek(sink.name, sink.batchSize));
        this.#retry = null;
        if (batch.length === 0) {
          await this.#sleep(IDLE_POLL_MS, true);
          continue;
        }
        const delay = await this.#deliver(batch);
        if (delay > 0) await this.#sleep(delay, false);
        else if (batch.length < sink.batchSize) await this.#sleep(IDLE_POLL_MS, true);
      } catch (err) {
        // The store itself failed (disk full, closed): wait, then try again.
        this.#o.logger.error({ err, sink: sink.name }, 'sink outbox unavailable');
        await this.#sleep(this.#o.retryMaxMs, false);
      }
    }
  }

  /** One attempt; returns how long to wait before the next (0: go on). */
  async #deliver(batch: OutboxReading[]): Promise<number> {
    const { sink, outbox, clock, timeoutMs } = this.#o;
    const ids = batch.map((r) => r.id);
    const signal = AbortSignal.any([this.#stop.signal, AbortSignal.timeout(timeoutMs)]);
    try {
      await sink.deliver(batch, signal);
      this.#lastDeliveryAt = clock();
    } catch (err) {
      this.#lastDeliveryAt = clock();
      if (this.#stop.signal.aborted) return 0;
      const e =
        err instanceof SinkError
          ? err
          : new SinkError('VIGIL_ERR_SINK_UNAVAILABLE', isVigilError(err) ? err.message : String(err), {
              cause: err,
            });
      if (!(err instanceof SinkError))
        this.#o.logger.error({ err, sink: sink.name }, 'sink failed unexpectedly');
      if (e.code === 'VIGIL_ERR_SINK_UNAVAILABLE') this.#retry = batch;
      return this.#failed(e, ids);
    }
    await outbox.remove(sink.name, ids);
    const now = clock();
    const recovered = this.#s.failingSince !== null;
    Object.assign(this.#s, {
      state: 'ok',
      delivered: this.#s.delivered + batch.length,
      lastSuccessAt: now,
      failingSince: null,
      nextAttemptAt: null,
    });
    this.#attempts = 0;
    if (recovered) this.#o.logger.info({ sink: sink.name }, 'sink delivering again');
    return 0;
  }

  async #failed(e: SinkError, ids: number[]): Promise<number> {
    const { sink, outbox, clock, logger } = this.#o;
    const now = clock();
    this.#attempts++;
    if (e.code === 'VIGIL_ERR_SINK_REFUSED') {
      // Retrying cannot help: drop the batch (counted), but back off so that a target refusing
      // everything does not drain the outbox at full speed while the alarm is pending.
      await outbox.remove(sink.name, ids);
      this.#s.refused += ids.length;
    }
    const delay = e.retryAfterMs ?? backoffMs(this.#attempts, this.#o.retryMaxMs, this.#o.random);
    Object.assign(this.#s, {
      state: 'failing',
      failures: this.#s.failures + 1,
      lastFailureAt: now,
      lastError: `${e.code}: ${e.detail ?? ''}`.slice(0, 300),
      failingSince: this.#s.failingSince ?? now,
      nextAttemptAt: now + delay,
    });
    // One line per failure would flood the log while a target is down: the first and every 10th.
    if (this.#attempts === 1 || this.#attempts % 10 === 0) {
      logger.warn(
        { sink: sink.name, code: e.code, why: e.detail, attempts: this.#attempts, retryInMs: delay },
        e.code === 'VIGIL_ERR_SINK_REFUSED' ? 'sink refused a batch (dropped)' : 'sink delivery failed',
      );
    }
    return delay;
  }
}
