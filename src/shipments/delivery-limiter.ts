/**
 * Rate limit on delivery tokens, per caller: a token has about 40 bits, so guessing is bounded by
 * counting each caller's wrong tokens (across shipments) in a sliding window. Deliberately not per
 * shipment: a shipment-wide limit would let an attacker's wrong tokens lock out the real receiver
 * (OWASP ASVS 4.0 V2.2.1). A caller is an authenticated account or API token with
 * `shipments.deliver` (MFA for people), so a guesser gets `maxFailures` tries per window per
 * account it controls: with the defaults (5 per 15 min) one account needs about 2^40 / 480 days
 * on average. Failures live in the store, so the limit holds across processes (`vigil shipment
 * deliver` in a terminal while `vigil start` runs); per-shipment counts are still kept for the
 * audit log.
 */
import { timingSafeEqual } from 'node:crypto';
import { LockedError } from '../auth/lockout.ts';
import type { Store } from '../storage/store.ts';
import type { ShipmentStore } from './shipment-store.ts';

/** Purpose label of the delivery token's keyed hash (the ingest pipeline uses the same). */
export const DELIVERY_TOKEN_PURPOSE = 'delivery-token';

/** Wrong delivery tokens allowed per caller in the window, before 429. */
export interface DeliveryLimit {
  maxFailures: number;
  windowMs: number;
}

export const DEFAULT_DELIVERY_LIMIT: DeliveryLimit = { maxFailures: 5, windowMs: 15 * 60_000 };

const PRUNE_INTERVAL_MS = 60_000;

/** Compares two keyed hashes in constant time (both base64url HMAC-SHA256: a length mismatch is no secret). */
export function sameTokenHash(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
}

export class DeliveryLimiter {
  readonly limit: DeliveryLimit;
  readonly #shipments: ShipmentStore;
  readonly #counters: Pick<Store, 'addCounters'>;
  #lastPrune = 0;

  constructor(
    shipments: ShipmentStore,
    counters: Pick<Store, 'addCounters'>,
    limit: Partial<DeliveryLimit> = {},
  ) {
    this.#shipments = shipments;
    this.#counters = counters;
    this.limit = { ...DEFAULT_DELIVERY_LIMIT, ...limit };
  }

  /**
   * Throws {@link LockedError} (429 with Retry-After) when the caller already has `maxFailures`
   * wrong tokens in the window, whatever the token of this attempt.
   */
  async check(actor: string, now: number): Promise<void> {
    const { maxFailures, windowMs } = this.limit;
    const since = now - windowMs + 1;
    if (now - this.#lastPrune >= PRUNE_INTERVAL_MS) {
      this.#lastPrune = now;
      await this.#shipments.pruneDeliveryFailures(now - windowMs);
    }
    const q = { actor, since };
    if ((await this.#shipments.countDeliveryFailures(q)) >= maxFailures) {
      // The window slides: the attempt is allowed again when the oldest counted failure ages out.
      const oldest = (await this.#shipments.oldestDeliveryFailure(q)) ?? now;
      await this.#counters.addCounters({ shipment_delivery_rate_limited: 1 });
      throw new LockedError(oldest + windowMs - now);
    }
  }

  /** Counts an accepted token. */
  async accepted(): Promise<void> {
    await this.#counters.addCounters({ shipment_delivery_accepted: 1 });
  }

  /** Records a wrong token (never the token); returns the failures in the window so far. */
  async fail(shipmentId: string, actor: string, now: number): Promise<{ shipment: number; caller: number }> {
    await this.#shipments.addDeliveryFailure(shipmentId, actor, now);
    await this.#counters.addCounters({ shipment_delivery_token_wrong: 1 });
    const since = now - this.limit.windowMs + 1;
    return {
      shipment: await this.#shipments.countDeliveryFailures({ shipmentId, since }),
      caller: await this.#shipments.countDeliveryFailures({ actor, since }),
    };
  }
}
