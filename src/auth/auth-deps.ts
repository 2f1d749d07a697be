import type { MasterKey } from '../keys/master-key.ts';
import type { Store } from '../storage/store.ts';
import type { AccountStore } from './account-store.ts';
import type { Argon2Params } from './password.ts';

/**
 * What the auth services need from the rest of Vigil: the accounts port and the audit log
 * (`ctx.accountStore` and `ctx.store`).
 */
export interface AuthDeps {
  store: AccountStore;
  /** Audit log and counters; nothing secret is ever written there. */
  audit: Pick<Store, 'appendAudit' | 'addCounters'>;
  master: MasterKey;
  /** Milliseconds since the Unix epoch; injected so tests can move time. */
  clock: () => number;
  /** Cryptographically secure random bytes; default `crypto.randomBytes`. */
  random?: (n: number) => Buffer;
  /** Where failed sign-ins are logged at warn (with the user name, escaped; never a secret). */
  logger?: AuthLogger | undefined;
  /**
   * The argon2id cost of new password hashes; default (and in production always)
   * `ARGON2_PARAMS`. The auth unit tests pass a cheap one so that mutation testing finishes.
   */
  argon2Params?: Readonly<Argon2Params> | undefined;
}

/** The part of a logger (pino) the auth services use. */
export interface AuthLogger {
  warn(obj: Record<string, unknown>, msg: string): void;
}
