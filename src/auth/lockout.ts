import { VigilError } from '../errors.ts';

/**
 * Brute-force limits for password and second-factor checks. Failures are counted over a sliding
 * window, keyed first by (account, address) and by address, so that an attacker's guesses hold
 * back the attacker and not the account's owner (OWASP ASVS 4.0 V2.2.1: anti-automation must not
 * become a lockout denial of service):
 * - per (account, address): from the `pairBackoffAfter`-th failure each further attempt waits
 *   `baseDelayMs * 2^(n - pairBackoffAfter)` (capped at `maxDelayMs`) after the last failure, and
 *   `pairMaxFailures` in the window locks the pair until the oldest counted failure leaves it;
 * - per address, across accounts (many users can share a NAT): the same with the address limits;
 * - per account, across addresses, only at the much higher `accountThreshold`: the account is then
 *   under attack (a distributed guess), and every address that already failed on it within the
 *   window is held back until those failures leave the window. An address with no failure on the
 *   account still gets its attempt, so the real user, who knows the password and holds the TOTP
 *   device, signs in.
 * Attempts that are held back are refused before any password is checked: they neither count
 * nor reveal anything.
 */
export interface LockoutPolicy {
  windowMs: number;
  pairBackoffAfter: number;
  pairMaxFailures: number;
  addressBackoffAfter: number;
  addressMaxFailures: number;
  accountThreshold: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

/**
 * Defaults: per (account, address) backoff from the 5th failure (1 s, 2 s, 4 s, ... up to 15 min)
 * and lockout at 20 per hour; per address backoff from the 20th and lockout at 300 per hour; an
 * account is under attack at 100 failures per hour from all addresses together.
 */
export const DEFAULT_LOCKOUT: LockoutPolicy = {
  windowMs: 3_600_000,
  pairBackoffAfter: 5,
  pairMaxFailures: 20,
  addressBackoffAfter: 20,
  addressMaxFailures: 300,
  accountThreshold: 100,
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
