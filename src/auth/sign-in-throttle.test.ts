/**
 * Brute-force defence of sign-in (issue: account lockout as a denial of service). Failures are
 * counted per (account, address) and per address first; the account as a whole is only judged
 * at a much higher threshold, and then only addresses that already failed on it are held back:
 * the real user, from an address with no failures, still signs in (OWASP ASVS 4.0 V2.2.1).
 */
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { isVigilError } from '../errors.ts';
import { type AuthFixture, authFixture, enrolledUser, GOOD_PASSWORD, principalOf } from './auth.fixture.ts';
import { isLockedError, type LockedError } from './lockout.ts';
import { totpCode } from './totp.ts';

const code = (c: string) => (e: unknown) => isVigilError(e, c as never);
const locked = (e: unknown): e is LockedError => isLockedError(e);
const ATTACKER = '198.51.100.66';
const HOME = '192.0.2.10';

let f: AuthFixture;
afterEach(() => f.close());

/** Password then TOTP from `address`; returns the principal of the full session. */
async function signIn(name: string, secret: Buffer, address: string) {
  const r = await f.accounts.login({ name, password: GOOD_PASSWORD, address });
  assert.equal(r.next, 'verify_mfa');
  const half = await principalOf(f, r.token);
  const done = await f.accounts.verifyMfa(half, totpCode(secret, f.clock.now), { address });
  return principalOf(f, done.token);
}

describe('sign-in throttling', () => {
  it("lets the real user sign in from a clean address while an attacker's wrong passwords back off", async () => {
    f = await authFixture();
    const { secret } = await enrolledUser(f, 'bob');
    for (let i = 0; i < 12; i++) {
      const err = await f.accounts
        .login({ name: 'bob', password: `guess ${i}`, address: ATTACKER })
        .catch((e) => e);
      assert.ok(isVigilError(err, 'VIGIL_ERR_AUTH') || locked(err), String(err));
      f.clock.advance(1000);
    }
    // The attacker's address is held back for this account, even with the right password...
    assert.ok(
      locked(
        await f.accounts.login({ name: 'bob', password: GOOD_PASSWORD, address: ATTACKER }).catch((e) => e),
      ),
    );
    // ...and the user, from home, signs in with both factors.
    assert.equal((await signIn('bob', secret, HOME)).mfa, true);
  });

  it('backs off per (account, address) after 5 failures, measured from the last one', async () => {
    f = await authFixture();
    await enrolledUser(f, 'carl');
    for (let i = 0; i < 5; i++) {
      await assert.rejects(
        f.accounts.login({ name: 'carl', password: `wrong ${i}`, address: ATTACKER }),
        code('VIGIL_ERR_AUTH'),
      );
    }
    const err = await f.accounts
      .login({ name: 'carl', password: GOOD_PASSWORD, address: ATTACKER })
      .catch((e) => e);
    assert.ok(locked(err), String(err));
    assert.equal(err.status, 429);
    assert.equal(err.retryAfterSeconds, 1);
    f.clock.advance(1000);
    await assert.rejects(
      f.accounts.login({ name: 'carl', password: 'wrong 6', address: ATTACKER }),
      code('VIGIL_ERR_AUTH'),
    );
    const err2 = await f.accounts
      .login({ name: 'carl', password: GOOD_PASSWORD, address: ATTACKER })
      .catch((e) => e);
    assert.equal((err2 as LockedError).retryAfterSeconds, 2);
    f.clock.advance(2000);
    assert.equal(
      (await f.accounts.login({ name: 'carl', password: GOOD_PASSWORD, address: ATTACKER })).next,
      'verify_mfa',
    );
  });

  it('past the account-wide threshold, holds back every address that failed on the account, never a clean one', async () => {
    f = await authFixture({ lockout: { accountThreshold: 8 } });
    const { secret } = await enrolledUser(f, 'dana');
    // A distributed guess: 8 addresses, one wrong password each.
    for (let i = 0; i < 8; i++) {
      await assert.rejects(
        f.accounts.login({ name: 'dana', password: 'Winter2026!', address: `203.0.113.${i}` }),
        code('VIGIL_ERR_AUTH'),
      );
    }
    f.clock.advance(60_000);
    // Each of them has failed once only, yet is now held back on this account...
    const err = await f.accounts
      .login({ name: 'dana', password: GOOD_PASSWORD, address: '203.0.113.3' })
      .catch((e) => e);
    assert.ok(locked(err), String(err));
    // ...while an address with no failure still gets its try, and the user is in.
    assert.equal((await signIn('dana', secret, HOME)).name, 'dana');
    const audit = await f.store.queryAudit({ action: 'auth.account_under_attack' });
    assert.equal(audit.length, 1);
    assert.equal(audit[0]?.object, 'dana');
  });

  it('locks one (account, address) pair at its hourly cap, for unknown names too, without touching other addresses', async () => {
    f = await authFixture({ lockout: { pairMaxFailures: 6, baseDelayMs: 10 } });
    await f.accounts.createUser({ name: 'erin', role: 'viewer', actor: 't' });
    for (const name of ['erin', 'ghost-user']) {
      for (let i = 0; i < 6; i++) {
        f.clock.advance(60_000);
        await assert.rejects(
          f.accounts.login({ name, password: `wrong ${i}`, address: ATTACKER }),
          code('VIGIL_ERR_AUTH'),
        );
      }
      f.clock.advance(60_000);
      const err = await f.accounts
        .login({ name, password: 'anything at all', address: ATTACKER })
        .catch((e) => e);
      assert.ok(locked(err), name);
      // The first counted failure was 6 minutes ago: locked for the remaining 54 minutes.
      assert.equal(err.retryAfterSeconds, 54 * 60, name);
      await assert.rejects(
        f.accounts.login({ name, password: 'wrong again', address: HOME }),
        code('VIGIL_ERR_AUTH'),
      );
    }
  });

  it('backs off per address across accounts, without touching other addresses', async () => {
    f = await authFixture({ lockout: { addressBackoffAfter: 3 } });
    for (const name of ['u-one', 'u-two', 'u-three']) {
      await assert.rejects(
        f.accounts.login({ name, password: 'wrong password', address: ATTACKER }),
        code('VIGIL_ERR_AUTH'),
      );
    }
    assert.ok(
      locked(await f.accounts.login({ name: 'u-four', password: 'x', address: ATTACKER }).catch((e) => e)),
    );
    await assert.rejects(
      f.accounts.login({ name: 'u-four', password: 'x', address: HOME }),
      code('VIGIL_ERR_AUTH'),
    );
  });

  it('refuses a second concurrent attempt on one account from one address, not from another address', async () => {
    f = await authFixture();
    const reasons = async (addresses: string[]) =>
      (
        await Promise.allSettled(
          addresses.map((address, i) => f.accounts.login({ name: 'racer', password: `wrong ${i}`, address })),
        )
      )
        .map((r) => (r.status === 'rejected' ? (r.reason as { code: string }).code : 'ok'))
        .sort();
    assert.deepEqual(await reasons([ATTACKER, ATTACKER]), ['VIGIL_ERR_AUTH', 'VIGIL_ERR_LOCKED']);
    f.clock.advance(60_000);
    assert.deepEqual(await reasons(['203.0.113.1', '203.0.113.2']), ['VIGIL_ERR_AUTH', 'VIGIL_ERR_AUTH']);
  });

  it('counts wrong TOTP codes like wrong passwords, per (account, address)', async () => {
    f = await authFixture();
    const { secret } = await enrolledUser(f, 'mallory-target');
    const half = await principalOf(
      f,
      (await f.accounts.login({ name: 'mallory-target', password: GOOD_PASSWORD, address: ATTACKER })).token,
    );
    for (let i = 0; i < 5; i++) {
      await assert.rejects(
        f.accounts.verifyMfa(half, String(100000 + i), { address: ATTACKER }),
        code('VIGIL_ERR_TOTP'),
      );
    }
    assert.ok(locked(await f.accounts.verifyMfa(half, '123456', { address: ATTACKER }).catch((e) => e)));
    assert.equal((await signIn('mallory-target', secret, HOME)).mfa, true);
  });
});

describe('sign-in failures are audited, counted and logged', () => {
  it('audits and counts every failed sign-in, failed MFA and throttle decision, without the password or code', async () => {
    f = await authFixture();
    const { secret } = await enrolledUser(f, 'fred');
    await assert.rejects(
      f.accounts.login({ name: 'fred', password: 'hunter2-secret', address: ATTACKER }),
      code('VIGIL_ERR_AUTH'),
    );
    await assert.rejects(
      f.accounts.login({ name: 'nobody-here', password: 'other-secret', address: ATTACKER }),
      code('VIGIL_ERR_AUTH'),
    );
    const half = await principalOf(
      f,
      (await f.accounts.login({ name: 'fred', password: GOOD_PASSWORD, address: HOME })).token,
    );
    const wrongCode = totpCode(secret, f.clock.now + 10 * 30_000);
    await assert.rejects(f.accounts.verifyMfa(half, wrongCode, { address: HOME }), code('VIGIL_ERR_TOTP'));
    for (let i = 0; i < 6; i++)
      await f.accounts.login({ name: 'fred', password: `guess-${i}`, address: ATTACKER }).catch(() => {});

    const failed = await f.store.queryAudit({ action: 'auth.sign_in_failed' });
    assert.deepEqual(
      failed.slice(0, 2).map((a) => [a.object, a.detail.address, a.detail.reason]),
      [
        ['fred', ATTACKER, 'wrong_password'],
        ['nobody-here', ATTACKER, 'unknown_user'],
      ],
    );
    const mfa = await f.store.queryAudit({ action: 'auth.mfa_failed' });
    assert.deepEqual(
      mfa.map((a) => [a.object, a.detail.address]),
      [['fred', HOME]],
    );
    // 1 + 4 wrong passwords reach the 5th failure; the 5th and 6th guess are held back (one entry).
    const throttled = await f.store.queryAudit({ action: 'auth.throttled' });
    assert.equal(throttled.length, 1);
    assert.equal(throttled[0]?.object, 'fred');
    assert.equal(throttled[0]?.detail.address, ATTACKER);
    assert.equal(throttled[0]?.detail.scope, 'account_address');
    const counters = await f.store.getCounters();
    assert.equal(counters.auth_login_failed, 6);
    assert.equal(counters.auth_mfa_failed, 1);
    assert.equal(counters.auth_throttled, 2);
    const all = JSON.stringify(await f.store.queryAudit({ limit: 10_000 }));
    for (const s of ['hunter2-secret', 'other-secret', wrongCode, GOOD_PASSWORD])
      assert.ok(!all.includes(s), s);
  });

  it('audits a flood of throttled attempts once per account, address and minute, with the repeats counted', async () => {
    f = await authFixture({ lockout: { pairBackoffAfter: 1, baseDelayMs: 3_600_000 } });
    await assert.rejects(
      f.accounts.login({ name: 'gina', password: 'wrong', address: ATTACKER }),
      code('VIGIL_ERR_AUTH'),
    );
    for (let i = 0; i < 50; i++) {
      assert.ok(
        locked(
          await f.accounts.login({ name: 'gina', password: 'wrong', address: ATTACKER }).catch((e) => e),
        ),
      );
    }
    f.clock.advance(60_000); // a minute after the last entry, the next is written
    assert.ok(
      locked(await f.accounts.login({ name: 'gina', password: 'wrong', address: ATTACKER }).catch((e) => e)),
    );
    const throttled = await f.store.queryAudit({ action: 'auth.throttled' });
    assert.deepEqual(
      throttled.map((a) => a.detail.repeatsSinceLast),
      [0, 49],
    );
    assert.equal((await f.store.getCounters()).auth_throttled, 51);
  });

  it('logs a failed sign-in at warn with the user name escaped, never the password', async () => {
    const lines: { obj: Record<string, unknown>; msg: string }[] = [];
    const logger = { warn: (obj: Record<string, unknown>, msg: string) => lines.push({ obj, msg }) };
    f = await authFixture({ logger });
    await assert.rejects(
      f.accounts.login({ name: 'eve\u001b[2Jx', password: 'the-password-1', address: ATTACKER }),
      code('VIGIL_ERR_AUTH'),
    );
    assert.equal(lines.length, 1);
    assert.equal(lines[0]?.msg, 'sign-in failed');
    assert.equal(lines[0]?.obj.user, 'eve\\u001b[2jx');
    assert.equal(lines[0]?.obj.address, ATTACKER);
    assert.ok(!JSON.stringify(lines).includes('the-password-1'));
  });
});
