import { escapeControl } from '../escape-control.ts';
import type { AccountStore } from './account-store.ts';
import type { AuthDeps, AuthLogger } from './auth-deps.ts';
import { DEFAULT_LOCKOUT, LockedError, type LockoutPolicy, lockoutDelayMs } from './lockout.ts';

/** What was checked when a credential check failed. */
export type FailedCheck =
  /** the password step of sign-in */
  | 'sign_in'
  /** a second factor: TOTP or recovery code at sign-in, TOTP at enrolment or in an e-signature */
  | 'mfa'
  /** a re-entered password: password change, e-signature */
  | 'password';

/** Why the password step failed; audited (the audit log is for admins), never told to the client. */
export type SignInFailureReason = 'wrong_password' | 'unknown_user' | 'account_disabled';

/** Which limit held an attempt back. */
type ThrottleScope = 'account_address' | 'address' | 'in_flight';

/** At most one credential check in flight per (account, address), a few per address. */
const MAX_IN_FLIGHT_PER_PAIR = 1;
const MAX_IN_FLIGHT_PER_ADDRESS = 4;
const PRUNE_INTERVAL_MS = 60_000;
/** A throttle decision is audited at most once per (account, address) in this interval; repeats are counted. */
const THROTTLE_AUDIT_INTERVAL_MS = 60_000;
/** Bound on the (account, address) keys remembered for that summary. */
const MAX_THROTTLE_KEYS = 10_000;

const ACTION: Record<FailedCheck, string> = {
  sign_in: 'auth.sign_in_failed',
  mfa: 'auth.mfa_failed',
  password: 'auth.password_failed',
};
const COUNTER: Record<FailedCheck, string> = {
  sign_in: 'auth_login_failed',
  mfa: 'auth_mfa_failed',
  password: 'auth_password_failed',
};

/**
 * The brute-force defence of every password and code check (sign-in, second factor, password
 * change, e-signature), with the policy of `lockout.ts`: in-flight limits, counted failures per
 * (account, address), per address and per account, and the refusal of held-back attempts before
 * any secret is checked. Every failed check and every throttle decision is counted (the
 * `auth_*` counters, exported by /metrics) and audited, and failed sign-ins are logged at warn
 * with the user name; never the password or code. A flood of held-back attempts is audited once
 * per (account, address) and minute, the next entry carrying how many were not written
 * (`repeatsSinceLast`); the counter counts every one.
 */
export class SignInThrottle {
  readonly policy: LockoutPolicy;
  readonly #store: AccountStore;
  readonly #audit: AuthDeps['audit'];
  readonly #clock: () => number;
  readonly #logger: AuthLogger | undefined;
  readonly #inFlight = new Map<string, number>();
  /** Per (account, address): when its last throttle decision was audited, and the repeats since. */
  readonly #throttled = new Map<string, { auditedAt: number; repeats: number }>();
  #lastPrune = 0;

  constructor(deps: AuthDeps & { lockout?: Partial<LockoutPolicy> | undefined }) {
    this.#store = deps.store;
    this.#audit = deps.audit;
    this.#clock = deps.clock;
    this.#logger = deps.logger;
    this.policy = { ...DEFAULT_LOCKOUT, ...deps.lockout };
  }

  /**
   * Runs one credential check for `account` from `address` under the limits: refused with
   * {@link LockedError} (429, Retry-After) while held back, before `fn` runs.
   */
  async run<T>(account: string, address: string | null, fn: () => Promise<T>): Promise<T> {
    const keys: [string, number][] = [[`pair:${account}|${address ?? ''}`, MAX_IN_FLIGHT_PER_PAIR]];
    if (address) keys.push([`address:${address}`, MAX_IN_FLIGHT_PER_ADDRESS]);
    // Parallel attempts would all pass the check below before any failure is recorded.
    if (keys.some(([k, max]) => (this.#inFlight.get(k) ?? 0) >= max)) {
      await this.#held(account, address, 'in_flight', 1000, false);
    }
    for (const [k] of keys) this.#inFlight.set(k, (this.#inFlight.get(k) ?? 0) + 1);
    try {
      await this.#check(account, address);
      return await fn();
    } finally {
      for (const [k] of keys) {
        const n = (this.#inFlight.get(k) ?? 1) - 1;
        if (n <= 0) this.#inFlight.delete(k);
        else this.#inFlight.set(k, n);
      }
    }
  }

  /** Records a failed check: counted, audited, logged (sign-in and MFA) and held against the pair. */
  async failed(
    what: FailedCheck,
    account: string,
    address: string | null,
    detail: Record<string, unknown> = {},
  ): Promise<void> {
    const now = this.#clock();
    await this.#store.addSignInFailure({ account, address: address ?? '', at: now });
    await this.#audit.addCounters({ [COUNTER[what]]: 1 });
    await this.#audit.appendAudit({
      ts: now,
      actor: 'system',
      action: ACTION[what],
      object: account,
      detail: { address, ...detail },
    });
    if (what !== 'password') {
      // The name is what the client typed (normalised): escaped, it cannot forge log lines or
      // drive a terminal that shows the log.
      this.#logger?.warn(
        { event: ACTION[what], user: escapeControl(account), address, ...detail },
        what === 'sign_in' ? 'sign-in failed' : 'second factor failed',
      );
    }
    const p = this.policy;
    const n = (
      await this.#store.listSignInFailures({
        account,
        since: now - p.windowMs + 1,
        limit: p.accountThreshold,
      })
    ).length;
    if (n === p.accountThreshold) {
      await this.#audit.addCounters({ auth_account_under_attack: 1 });
      await this.#audit.appendAudit({
        ts: now,
        actor: 'system',
        action: 'auth.account_under_attack',
        object: account,
        detail: { failures: n, windowMs: p.windowMs },
      });
    }
    if (now - this.#lastPrune >= PRUNE_INTERVAL_MS) {
      this.#lastPrune = now;
      await this.#store.pruneSignInFailures(now - p.windowMs);
    }
  }

  /** A completed sign-in from `address` forgets the failures of that (account, address) pair. */
  async succeeded(account: string, address: string | null): Promise<void> {
    await this.#store.clearSignInFailures(account, address ?? '');
  }

  async #check(account: string, address: string | null): Promise<void> {
    const p = this.policy;
    const now = this.#clock();
    const since = now - p.windowMs + 1;
    const underAttack =
      (await this.#store.listSignInFailures({ account, since, limit: p.accountThreshold })).length >=
      p.accountThreshold;
    const pair = await this.#store.listSignInFailures({
      account,
      address: address ?? '',
      since,
      limit: p.pairMaxFailures,
    });
    // Under attack, one failure of this address on this account holds it back for the window.
    const pairWait = lockoutDelayMs(
      pair,
      now,
      underAttack
        ? { maxFailures: 1, backoffAfter: 1 }
        : { maxFailures: p.pairMaxFailures, backoffAfter: p.pairBackoffAfter },
      p,
    );
    const addressWait = address
      ? lockoutDelayMs(
          await this.#store.listSignInFailures({ address, since, limit: p.addressMaxFailures }),
          now,
          { maxFailures: p.addressMaxFailures, backoffAfter: p.addressBackoffAfter },
          p,
        )
      : 0;
    if (pairWait > 0 || addressWait > 0) {
      const scope = pairWait >= addressWait ? 'account_address' : 'address';
      await this.#held(account, address, scope, Math.max(pairWait, addressWait), underAttack);
    }
  }

  /** Counts, audits (summarised) and throws the refusal of a held-back attempt. */
  async #held(
    account: string,
    address: string | null,
    scope: ThrottleScope,
    waitMs: number,
    underAttack: boolean,
  ): Promise<never> {
    const err = new LockedError(waitMs);
    const now = this.#clock();
    await this.#audit.addCounters({ auth_throttled: 1 });
    const key = `${account}|${address ?? ''}`;
    const last = this.#throttled.get(key);
    if (last && now - last.auditedAt < THROTTLE_AUDIT_INTERVAL_MS) {
      last.repeats++;
      throw err;
    }
    if (!last && this.#throttled.size >= MAX_THROTTLE_KEYS) {
      // Forget the oldest key (Map keeps insertion order); its unwritten repeats stay counted.
      const oldest = this.#throttled.keys().next().value;
      if (oldest !== undefined) this.#throttled.delete(oldest);
    }
    this.#throttled.delete(key);
    this.#throttled.set(key, { auditedAt: now, repeats: 0 });
    await this.#audit.appendAudit({
      ts: now,
      actor: 'system',
      action: 'auth.throttled',
      object: account,
      detail: {
        address,
        scope,
        retryAfterS: err.retryAfterSeconds,
        underAttack,
        repeatsSinceLast: last?.repeats ?? 0,
      },
    });
    throw err;
  }
}
