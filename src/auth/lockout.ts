import { VigilError } from '../errors.ts';

/**
 * Brute-force limits (issue #3: per-account and per-address backoff and lockout, at most 100
 * failures per hour per account). Failures are counted over a sliding window; after
 * `backoffAfter` failures each further attempt must wait `baseDelayMs * 2^(n - backoffAfter)`
 * (capped) after the last failure, and `maxFailures` within the window locks the subject until
 * the oldest counted failure leaves the window. While a subject is locked, attempts are refused
 * before any password is checked, so they neither count nor reveal anything.
 */
export interface LockoutPolicy {
  windowMs: number;
  accountMaxFailures: number;
  accountBackoffAfter: number;
  addressMaxFailures: number;
  addressBackoffAfter: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

/**
 * Defaults: per account, backoff from the 5th failure (1 s, 2 s, 4 s, ... up to 15 min) and
 * lockout at 100 per hour; per address (several users behind one NAT) backoff from the 20th and
 * lockout at 300 per hour.
 */
export const DEFAULT_LOCKOUT: LockoutPolicy = {
  windowMs: 3_600_000,
  accountMaxFailures: 100,
  accountBackoffAfter: 5,
  addressMaxFailures: 300,
  addressBackoffAfter: 20,
  baseDelayMs: 1000,
  maxDelayMs: 15 * 60_000,
};

/**
 * Pure: how long (ms) a subject must still wait, given its failure times within the window,
 * newest first. 0 when an attempt is allowed now.
 */
export function lockoutDelayMs(
  failuresNewestFirst: readonly number[],
  now: number,
  limits: { maxFailures: number; backoffAfter: number },
  policy: Pick<LockoutPolicy, 'windowMs' | 'baseDelayMs' | 'maxDelayMs'>,
): number {
  const inWindow = failuresNewestFirst.filter((t) => t > now - policy.windowMs);
  const n = inWindow.length;
  let until = 0;
  if (n >= limits.maxFailures) {
    // Locked until enough failures leave the window that fewer than maxFailures remain.
    until = (inWindow[limits.maxFailures - 1] ?? now) + policy.windowMs;
  } else if (n >= limits.backoffAfter) {
    const exp = Math.min(n - limits.backoffAfter, 30);
    const delay = Math.min(policy.baseDelayMs * 2 ** exp, policy.maxDelayMs);
    until = (inWindow[0] ?? now) + delay;
  }
  return Math.max(0, until - now);
}

/** VIGIL_ERR_LOCKED (429) with the time to wait, for a `Retry-After` header. */
export class LockedError extends VigilError {
  /** Whole seconds, at least 1. */
  readonly retryAfterSeconds: number;
  constructor(retryAfterMs: number) {
    const seconds = Math.max(1, Math.ceil(retryAfterMs / 1000));
    super('VIGIL_ERR_LOCKED', `retry after ${seconds} s`);
    this.retryAfterSeconds = seconds;
  }
}

/** True for a {@link LockedError}. */
export function isLockedError(err: unknown): err is LockedError {
  return err instanceof LockedError;
}
