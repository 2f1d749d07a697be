/**
 * A token bucket (pure: the caller passes the time). Starts full with `burst` tokens and refills
 * `ratePerSec` tokens per second up to `burst`; each event takes one token.
 */
export class TokenBucket {
  readonly ratePerSec: number;
  readonly burst: number;
  #tokens: number;
  #last: number;

  constructor(ratePerSec: number, burst: number, nowMs: number) {
    if (!(ratePerSec > 0) || !(burst >= 1)) throw new RangeError('ratePerSec must be > 0 and burst >= 1');
    this.ratePerSec = ratePerSec;
    this.burst = burst;
    this.#tokens = burst;
    this.#last = nowMs;
  }

  /** Takes one token; false when the bucket is empty (the event exceeds the rate). */
  take(nowMs: number): boolean {
    // A clock that steps backwards must not mint tokens.
    const elapsed = Math.max(0, nowMs - this.#last);
    this.#last = Math.max(this.#last, nowMs);
    this.#tokens = Math.min(this.burst, this.#tokens + (elapsed * this.ratePerSec) / 1000);
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }
}
