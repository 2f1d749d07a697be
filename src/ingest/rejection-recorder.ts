import type { Logger } from 'pino';
import { type ErrorCode, reasonLabel } from '../errors.ts';
import type { Store } from '../storage/store.ts';

export interface RejectionEvent {
  code: ErrorCode | string;
  /** Where it came from: `ingest`, `broker`, `tls`. */
  source: string;
  deviceId?: string | undefined;
  address?: string | undefined;
  detail?: Record<string, unknown> | undefined;
}

export interface RejectionRecorderOptions {
  store: Store;
  logger: Logger;
  clock: () => number;
  /** Length of one aggregation window. */
  windowMs?: number;
  /** Distinct (reason, device, address) keys audited one by one per window; the rest are summed. */
  maxKeysPerWindow?: number;
}

interface Bucket {
  code: string;
  source: string;
  deviceId: string | undefined;
  address: string | undefined;
  suppressed: number;
}

/**
 * Counts every rejection by reason and writes it to the audit log without letting a flood fill
 * the disk: the first rejection of a kind (reason, device, address) in a window is audited at
 * once, repeats are only counted and summarised in one entry when the window closes, and past
 * `maxKeysPerWindow` distinct kinds everything is folded into one overflow summary.
 */
export class RejectionRecorder {
  readonly #o: Required<RejectionRecorderOptions>;
  readonly #totals = new Map<string, number>();
  #pendingCounters = new Map<string, number>();
  #buckets = new Map<string, Bucket>();
  #overflow = 0;
  #timer: NodeJS.Timeout | undefined;
  #audits: Promise<unknown> = Promise.resolve();

  constructor(opts: RejectionRecorderOptions) {
    this.#o = { windowMs: 60_000, maxKeysPerWindow: 200, ...opts };
  }

  /** Starts the periodic window close (call stop() to flush and end). */
  start(): void {
    this.#timer ??= setInterval(() => void this.flush(), this.#o.windowMs);
    this.#timer.unref();
  }

  record(ev: RejectionEvent): void {
    const label = ev.code.startsWith('VIGIL_ERR_') ? reasonLabel(ev.code as ErrorCode) : ev.code;
    this.#totals.set(label, (this.#totals.get(label) ?? 0) + 1);
    this.#pendingCounters.set(label, (this.#pendingCounters.get(label) ?? 0) + 1);
    // Stryker disable all: log text only
    this.#o.logger.warn(
      { reason: label, source: ev.source, device: ev.deviceId, address: ev.address },
      'rejected',
    );
    // Stryker restore all
    const key = `${label}|${ev.source}|${ev.deviceId ?? ''}|${ev.address ?? ''}`;
    const bucket = this.#buckets.get(key);
    if (bucket) {
      bucket.suppressed++;
      return;
    }
    if (this.#buckets.size >= this.#o.maxKeysPerWindow) {
      this.#overflow++;
      return;
    }
    this.#buckets.set(key, {
      code: label,
      source: ev.source,
      deviceId: ev.deviceId,
      address: ev.address,
      suppressed: 0,
    });
    this.#audit(`${ev.source}.reject`, ev.deviceId ?? null, {
      reason: label,
      address: ev.address,
      ...(ev.detail ?? {}),
    });
  }

  /** Totals since this process started, by reason label. */
  totals(): Record<string, number> {
    return Object.fromEntries(this.#totals);
  }

  #audit(action: string, object: string | null, detail: Record<string, unknown>): void {
    const entry = { ts: this.#o.clock(), actor: 'system', action, object, detail };
    this.#audits = this.#audits
      .then(() => this.#o.store.appendAudit(entry))
      // Stryker disable next-line all: log text only
      .catch((err: unknown) => this.#o.logger.error({ err }, 'audit write failed'));
  }

  /** Closes the current window: writes summaries and persists the counters. */
  async flush(): Promise<void> {
    const buckets = this.#buckets;
    const overflow = this.#overflow;
    this.#buckets = new Map();
    this.#overflow = 0;
    for (const b of buckets.values()) {
      if (b.suppressed > 0) {
        this.#audit(`${b.source}.reject_summary`, b.deviceId ?? null, {
          reason: b.code,
          address: b.address,
          repeats: b.suppressed,
          window_ms: this.#o.windowMs,
        });
      }
    }
    if (overflow > 0)
      this.#audit('ingest.reject_overflow', null, { rejections: overflow, window_ms: this.#o.windowMs });
    const counters = this.#pendingCounters;
    this.#pendingCounters = new Map();
    if (counters.size > 0) {
      const deltas = Object.fromEntries([...counters].map(([k, v]) => [`rejected.${k}`, v]));
      await this.#o.store.addCounters(deltas).catch((err: unknown) => {
        // Stryker disable next-line all: log text only
        this.#o.logger.error({ err }, 'counter write failed');
      });
    }
    await this.#audits;
  }

  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    await this.flush();
  }
}
