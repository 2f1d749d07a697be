/**
 * The sink port: where decrypted readings go besides Vigil's own store (InfluxDB, webhooks).
 * A sink only formats and sends one batch; queueing, retries, rate limits, counting and alarms
 * belong to its runner (src/sinks/sink-runner.ts), so every sink gets them the same way.
 */
import { VigilError } from '../errors.ts';
import type { OutboxReading } from './sink-outbox.ts';

export type SinkKind = 'influxdb' | 'webhook' | 'thingspeak';

export interface Sink {
  /** Stable name: the outbox's key, the alarm's rule suffix, the metric label. */
  readonly name: string;
  readonly kind: SinkKind;
  /** Where it sends, for people: origin and path, never credentials or a query string. */
  readonly target: string;
  /** Readings per delivery at most. */
  readonly batchSize: number;
  /** Least time between two deliveries (the target's rate limit); 0 for none. */
  readonly minIntervalMs: number;
  /** The only devices whose readings it takes; null for every device. */
  readonly devices: readonly string[] | null;
  /**
   * Sends one batch (oldest first). Resolves once the target has accepted all of it; throws a
   * {@link SinkError} otherwise. Must give up when `signal` aborts (deadline or stop).
   */
  deliver(batch: readonly OutboxReading[], signal: AbortSignal): Promise<void>;
}

/**
 * A failed delivery. `VIGIL_ERR_SINK_UNAVAILABLE`: the batch is retried with backoff (or after
 * `retryAfterMs` when the target said so). `VIGIL_ERR_SINK_REFUSED`: the target refused the batch
 * itself, so it is dropped and counted. `detail` is shown on the system page: no secret in it.
 */
export class SinkError extends VigilError {
  readonly retryAfterMs: number | undefined;
  constructor(
    code: 'VIGIL_ERR_SINK_UNAVAILABLE' | 'VIGIL_ERR_SINK_REFUSED',
    detail: string,
    opts: { retryAfterMs?: number | undefined; cause?: unknown } = {},
  ) {
    super(code, detail, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.retryAfterMs = opts.retryAfterMs;
  }
}

/** A URL as shown to people: origin and path only (a query may hold an API key). */
export function displayTarget(url: string): string {
  const u = new URL(url);
  return `${u.origin}${u.pathname}`;
}
