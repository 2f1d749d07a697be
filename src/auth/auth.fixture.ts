/**
 * Test helpers for the auth tests: an in-memory encrypted store, a movable clock and the wired
 * services. Not used in production code.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MasterKey } from '../keys/master-key.ts';
import type { SqliteAccountStore } from '../storage/adapters/sqlite-account-store.ts';
import { openSqliteAdapters } from '../storage/adapters/sqlite-adapters.ts';
import type { SqliteStore } from '../storage/adapters/sqlite-store.ts';
import type { AuthLogger } from './auth-deps.ts';
import { type AuthServices, createAuthServices } from './auth-services.ts';
import type { LockoutPolicy } from './lockout.ts';
import type { Argon2Params } from './password.ts';
import type { Principal } from './principal.ts';
import { type SessionTimeouts, sessionCookie } from './sessions.ts';
import { base32Decode, totpCode } from './totp.ts';

/** 2026-11-21T10:00:00Z, aligned to a TOTP step. */
export const T0 = Date.UTC(2026, 10, 21, 10, 0, 0);

/** A clock the test moves by hand. */
export interface FakeClock {
  now: number;
  advance(ms: number): void;
  fn: () => number;
}

/** A {@link FakeClock} starting at `start` (default {@link T0}). */
export function fakeClock(start = T0): FakeClock {
  const c: FakeClock = {
    now: start,
    advance(ms) {
      c.now += ms;
    },
    fn: () => c.now,
  };
  return c;
}

/**
 * The cheapest argon2id that still makes real hashes (RFC 9106 §3.1: m >= 8p KiB, t >= 1), for
 * the unit tests only: at the production cost (`ARGON2_PARAMS`) a StrykerJS run over src/auth
 * takes hours. `password.test.ts` shows that services built without it hash at the production
 * cost.
 */
export const TEST_ARGON2_PARAMS: Readonly<Argon2Params> = Object.freeze({
  memoryKiB: 8,
  passes: 1,
  parallelism: 1,
  saltBytes: 16,
  tagBytes: 32,
});

/** A fresh encrypted store (in a temporary directory) with the auth services over it. */
export interface AuthFixture extends AuthServices {
  /** The audit log and the rest of the `Store` port. */
  store: SqliteStore;
  /** Users, sessions and tokens (the port under `accounts`), on the same database. */
  accountStore: SqliteAccountStore;
  master: MasterKey;
  clock: FakeClock;
  close(): Promise<void>;
}

/** Opens a fresh fixture; call `close()` when done (removes the temporary directory). */
export async function authFixture(
  opts: {
    sessionTimeouts?: Partial<SessionTimeouts>;
    lockout?: Partial<LockoutPolicy>;
    logger?: AuthLogger;
    /** Default {@link TEST_ARGON2_PARAMS}; a test that needs the production cost passes `ARGON2_PARAMS`. */
    argon2Params?: Readonly<Argon2Params>;
  } = {},
): Promise<AuthFixture> {
  // SQLCipher refuses a key on ':memory:', so each fixture gets a small file.
  const dir = mkdtempSync(join(tmpdir(), 'vigil-auth-'));
  const master = new MasterKey(randomBytes(32));
  const { store, accounts: accountStore } = openSqliteAdapters({
    path: join(dir, 'vigil.db'),
    key: master.databaseKey(),
    auditKey: master.auditKey(),
    master,
    synchronous: 'NORMAL',
  });
  const clock = fakeClock();
  const services = createAuthServices({
    store: accountStore,
    audit: store,
    master,
    clock: clock.fn,
    argon2Params: TEST_ARGON2_PARAMS,
    ...opts,
  });
  const close = async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  };
  return { ...services, store, accountStore, master, clock, close };
}

/** The Cookie header a browser would send for a session token. */
export function cookieFor(token: string): string {
  return sessionCookie(token).split(';')[0] ?? '';
}

/** A password that passes the policy. */
export const GOOD_PASSWORD = 'correct horse battery staple 42';

/**
 * Takes a new user through the whole first sign-in (one-time password, new password, TOTP
 * enrolment) and returns the fully signed-in principal and what the test needs next.
 */
export async function enrolledUser(
  f: AuthFixture,
  name: string,
  role: Principal['role'] = 'operator',
): Promise<{ principal: Principal; token: string; secret: Buffer; recoveryCodes: string[] }> {
  const { oneTimePassword } = await f.accounts.createUser({ name, role, actor: 'test' });
  const first = await f.accounts.login({ name, password: oneTimePassword });
  await f.accounts.changePassword(await principalOf(f, first.token), oneTimePassword, GOOD_PASSWORD);
  const second = await f.accounts.login({ name, password: GOOD_PASSWORD });
  const half = await principalOf(f, second.token);
  const offer = await f.accounts.beginTotpEnrolment(half);
  const secret = base32Decode(offer.secret);
  const done = await f.accounts.confirmTotpEnrolment(half, totpCode(secret, f.clock.now));
  // The enrolment code used this step; later sign-ins in the same test start at the next one.
  f.clock.advance(30_000);
  return {
    principal: await principalOf(f, done.token),
    token: done.token,
    secret,
    recoveryCodes: done.recoveryCodes,
  };
}

/** The principal the authenticator gives for a session token (throws when there is none). */
export async function principalOf(f: Pick<AuthServices, 'authenticator'>, token: string): Promise<Principal> {
  const p = await f.authenticator.authenticate({ cookie: cookieFor(token) });
  if (!p) throw new Error('no principal for this session token');
  return p;
}

/** The audit entries of one action, oldest first, as [actor, object, detail]. */
export async function audited(
  f: Pick<AuthFixture, 'store'>,
  action: string,
): Promise<[string, string | null, unknown][]> {
  return (await f.store.queryAudit({ action })).map((e) => [e.actor, e.object, e.detail]);
}
