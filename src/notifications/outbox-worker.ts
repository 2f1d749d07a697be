/**
 * The outbox's sender: claims due notifications, sends each through its channel with a deadline,
 * records the provider's answer, and retries failures with exponential backoff and jitter until
 * `maxAttempts`. Claims carry a lease, so a notification whose sender died goes back to the queue
 * (at-least-once delivery; the webhook's `Idempotency-Key` lets receivers drop duplicates).
 */
import type { Logger } from 'pino';
import type { ChannelSender, SendResult } from './channels/channel.ts';
import type { Channel } from './notification-model.ts';
import type { NotificationStore, OutboxRecord } from './notification-store.ts';

export interface RetryPolicy {
  maxAttempts: number;
  retryBaseMs: number;
  retryMaxMs: number;
}

/** Delay before attempt `n + 1` after `n` failed ones: base × 2^(n-1), at most max, ±20 % jitter. */
export function backoffMs(p: RetryPolicy, failed: number, random: () => number): number {
  const exp = Math.min(p.retryMaxMs, p.retryBaseMs * 2 ** Math.max(0, failed - 1));
  return Math.round(exp * (0.8 + 0.4 * random()));
}

export interface OutboxWorkerOptions {
  store: NotificationStore;
  senders: Readonly<Record<Channel, ChannelSender>>;
  clock: () => number;
  random: () => number;
  retry: RetryPolicy;
  sendTimeoutMs: number;
  /** A reason to drop a notification instead of sending it (its alarm was acknowledged), or null. */
  cancelReason: (r: OutboxRecord) => Promise<string | null>;
  /** Told of every attempt's outcome (channel health). */
  onAttempt: (channel: Channel, ok: boolean, at: number) => void;
  logger: Pick<Logger, 'warn' | 'error'>;
  /**
   * Told when a delivery could not be carried through, its outcome unrecorded (a store write that
   * failed): the row stays claimed until its lease runs out and is then sent again.
   */
  onFailure: (err: unknown, r: OutboxRecord) => void;
  /** Sends at once, at most. */
  concurrency?: number;
}

/** Sends one delivery within a deadline; a hung provider becomes a failed attempt. */
export async function sendWithDeadline(
  sender: ChannelSender,
  r: OutboxRecord,
  timeoutMs: number,
): Promise<SendResult> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<SendResult>((resolve) => {
    timer = setTimeout(() => resolve({ ok: false, response: `no answer within ${timeoutMs} ms` }), timeoutMs);
  });
  try {
    return await Promise.race([
      sender
        .send({
          channel: r.channel,
          to: r.recipient,
          contactId: r.contactId,
          message: r.message,
          target: r.target,
          id: r.id,
        })
        .catch((err: unknown) => ({
          ok: false,
          response: String((err as Error)?.message ?? err).slice(0, 500),
        })),
      deadline,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

export class OutboxWorker {
  readonly #o: OutboxWorkerOptions;
  #running: Promise<number> | null = null;
  #again = false;

  constructor(o: OutboxWorkerOptions) {
    this.#o = o;
  }

  /**
   * Sends everything due now; resolves with the number of attempts made. One pass runs at a time:
   * a call during a pass makes it look again when it is done (bounded).
   */
  runOnce(): Promise<number> {
    if (this.#running) {
      this.#again = true;
      return this.#running;
    }
    this.#running = (async () => {
      let n = 0;
      for (let i = 0; i < 100; i++) {
        this.#again = false;
        n += await this.#pass();
        if (!this.#again) break;
      }
      return n;
    })().finally(() => {
      this.#running = null;
    });
    return this.#running;
  }

  async #pass(): Promise<number> {
    const o = this.#o;
    const now = o.clock();
    // The deadline plus a margin: a claim outlives its send.
    const lease = now + o.sendTimeoutMs * 2 + 5000;
    const due = await o.store.claimDue(now, 50, lease);
    const queue = [...due];
    const worker = async () => {
      for (let r = queue.shift(); r; r = queue.shift()) await this.#deliver(r);
    };
    await Promise.all(Array.from({ length: Math.min(o.concurrency ?? 4, queue.length) }, worker));
    return due.length;
  }

  async #deliver(r: OutboxRecord): Promise<void> {
    const o = this.#o;
    try {
      const reason = await o.cancelReason(r);
      if (reason) {
        await o.store.recordAttempt(
          r.id,
          { at: o.clock(), ok: false, response: `not sent: ${reason}`, durationMs: 0 },
          { state: 'cancelled' },
        );
        return;
      }
      const started = o.clock();
      const result = await sendWithDeadline(o.senders[r.channel], r, o.sendTimeoutMs);
      const at = o.clock();
      const failedSoFar = r.attempts + 1;
      const outcome = result.ok
        ? ({ state: 'sent' } as const)
        : result.permanent || failedSoFar >= o.retry.maxAttempts
          ? ({ state: 'failed' } as const)
          : ({ state: 'pending', nextAttemptAt: at + backoffMs(o.retry, failedSoFar, o.random) } as const);
      await o.store.recordAttempt(
        r.id,
        { at, ok: result.ok, response: result.response, durationMs: at - started },
        outcome,
      );
      if (!result.ok)
        o.logger.warn(
          { channel: r.channel, notification: r.id, outcome: outcome.state },
          'notification attempt failed',
        );
      o.onAttempt(r.channel, result.ok, at);
    } catch (err) {
      o.onFailure(err, r);
    }
  }

  /** Resolves when the pass in progress (if any) is done. */
  async idle(): Promise<void> {
    await this.#running;
  }
}
