import { TokenBucket } from './token-bucket.ts';

/** Rates enforced per identity (device id or service name), across its connections. */
export interface DeviceLimiterOptions {
  /** Sustained PUBLISH rate per identity (per second). */
  publishRatePerSec: number;
  /** PUBLISH burst per identity. */
  publishBurst: number;
  /** CONNECTs per identity per minute (also the burst: a minute's worth may come at once). */
  connectRatePerMinute: number;
  /** Session takeovers per identity per minute. */
  takeoverRatePerMinute: number;
  /** Takeovers allowed at once (a device that lost its link may take over its half-open session). */
  takeoverBurst: number;
}

/** Takeover defaults: two at once, then one every 10 s. */
export const DEFAULT_TAKEOVER = Object.freeze({ takeoverRatePerMinute: 6, takeoverBurst: 2 });

interface Buckets {
  publish?: TokenBucket;
  connect?: TokenBucket;
  takeover?: TokenBucket;
  /** Last use, to forget buckets that have refilled. */
  last: number;
}

/**
 * Token buckets that belong to the identity, not to the connection: disconnecting and
 * reconnecting (or two holders of one certificate taking turns) gives no fresh tokens. Pure: the
 * caller passes the time. An entry is forgotten once every bucket in it would be full again
 * (forgetting it then changes nothing), so memory follows the identities active recently.
 */
export class DeviceLimiter {
  readonly #o: DeviceLimiterOptions;
  readonly #byId = new Map<string, Buckets>();
  /** After this long without use every bucket is full again. */
  readonly #idleMs: number;

  constructor(o: DeviceLimiterOptions) {
    this.#o = o;
    this.#idleMs = Math.ceil(
      1000 *
        Math.max(o.publishBurst / o.publishRatePerSec, 60, (60 * o.takeoverBurst) / o.takeoverRatePerMinute),
    );
  }

  /**
   * One PUBLISH by `id`: false when it exceeds the identity's rate, `scale` times the per-device
   * rate and burst (a gateway relays for many devices; fixed when the bucket is made).
   */
  publish(id: string, now: number, scale = 1): boolean {
    const b = this.#entry(id, now);
    b.publish ??= new TokenBucket(this.#o.publishRatePerSec * scale, this.#o.publishBurst * scale, now);
    return b.publish.take(now);
  }

  /** One CONNECT by `id`: false when it exceeds `connectRatePerMinute`. */
  connect(id: string, now: number): boolean {
    const b = this.#entry(id, now);
    const perMin = this.#o.connectRatePerMinute;
    b.connect ??= new TokenBucket(perMin / 60, perMin, now);
    return b.connect.take(now);
  }

  /** One session takeover of `id`: false when it exceeds the takeover rate. */
  takeover(id: string, now: number): boolean {
    const b = this.#entry(id, now);
    b.takeover ??= new TokenBucket(this.#o.takeoverRatePerMinute / 60, this.#o.takeoverBurst, now);
    return b.takeover.take(now);
  }

  /** Forgets identities whose buckets have all refilled; returns how many remain. */
  sweep(now: number): number {
    for (const [id, b] of this.#byId) if (now - b.last >= this.#idleMs) this.#byId.delete(id);
    return this.#byId.size;
  }

  get size(): number {
    return this.#byId.size;
  }

  #entry(id: string, now: number): Buckets {
    let b = this.#byId.get(id);
    if (!b) {
      b = { last: now };
      this.#byId.set(id, b);
    }
    b.last = Math.max(b.last, now);
    return b;
  }
}
