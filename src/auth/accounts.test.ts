import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { syncBuiltinESMExports } from 'node:module';
import { afterEach, beforeEach, describe, it, mock } from 'node:test';
import { isVigilError } from '../errors.ts';
import {
  type AuthFixture,
  authFixture,
  cookieFor,
  enrolledUser,
  GOOD_PASSWORD,
  principalOf,
  TEST_ARGON2_PARAMS,
} from './auth.fixture.ts';
import { createAuthServices } from './auth-services.ts';
import { ARGON2_PARAMS } from './password.ts';
import { can } from './rbac.ts';
import { base32Decode, hotp, totpCode, totpStep } from './totp.ts';

const code = (c: string) => (e: unknown) => isVigilError(e, c as never);

let f: AuthFixture;
afterEach(() => f.close());

describe('accounts: creation and first start', () => {
  beforeEach(async () => {
    f = await authFixture();
  });

  it('creates the first admin once, with a one-time password and both first-sign-in duties', async () => {
    const first = await f.accounts.createFirstAdmin();
    assert.ok(first);
    assert.equal(first.name, 'admin');
    assert.match(first.oneTimePassword, /^[0-9a-z]{5}(-[0-9a-z]{5}){3}$/);
    assert.equal(await f.accounts.createFirstAdmin(), null);
    const u = await f.accounts.getUser('admin');
    assert.equal(u?.role, 'admin');
    assert.equal(u?.mustChangePassword, true);
    assert.equal(u?.mustEnrolMfa, true);
    assert.equal(u?.mfaEnrolled, false);
    const audit = await f.store.queryAudit({ action: 'user.add' });
    assert.equal(audit.length, 1);
    assert.equal(audit[0]?.actor, 'system');
    assert.ok(!JSON.stringify(audit).includes(first.oneTimePassword));
  });

  it('hashes at the production argon2id cost when built as production builds it (no argon2Params)', async () => {
    const services = createAuthServices({
      store: f.accountStore,
      audit: f.store,
      master: f.master,
      clock: f.clock.fn,
    });
    await services.accounts.createUser({ name: 'prod', role: 'viewer', actor: 'test' });
    const hash = (await f.accountStore.getUser('prod'))?.passwordHash ?? '';
    assert.match(hash, /^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/);
    // The fixture's own services hash at the test cost, so the two really differ.
    await f.accounts.createUser({ name: 'cheap', role: 'viewer', actor: 'test' });
    const cheap = (await f.accountStore.getUser('cheap'))?.passwordHash ?? '';
    const t = TEST_ARGON2_PARAMS;
    assert.ok(cheap.startsWith(`$argon2id$v=19$m=${t.memoryKiB},t=${t.passes},p=${t.parallelism}$`), cheap);
    assert.notEqual(t.memoryKiB, ARGON2_PARAMS.memoryKiB);
  });

  it('validates names and roles and refuses duplicates', async () => {
    for (const bad of ['ab', 'Alice', '1alice', 'al ice', 'a'.repeat(33), 'alice@example', '']) {
      await assert.rejects(
        f.accounts.createUser({ name: bad, role: 'viewer', actor: 't' }),
        code('VIGIL_ERR_USER_NAME'),
        bad,
      );
    }
    await assert.rejects(
      f.accounts.createUser({ name: 'alice', role: 'root' as never, actor: 't' }),
      code('VIGIL_ERR_USAGE'),
    );
    await f.accounts.createUser({ name: 'q.a_lead-2', role: 'quality', actor: 't' });
    await assert.rejects(
      f.accounts.createUser({ name: 'q.a_lead-2', role: 'viewer', actor: 't' }),
      code('VIGIL_ERR_USER_EXISTS'),
    );
  });
});

describe('accounts: sign-in', () => {
  beforeEach(async () => {
    f = await authFixture();
  });

  it('walks a new user through one-time password, new password, TOTP enrolment', async () => {
    const { oneTimePassword } = await f.accounts.createUser({
      name: 'olga',
      role: 'operator',
      actor: 'test',
    });
    const r1 = await f.accounts.login({ name: 'olga', password: oneTimePassword, address: '127.0.0.1' });
    assert.equal(r1.next, 'change_password');
    const half = await principalOf(f, r1.token);
    assert.deepEqual(
      { ...half, sessionId: undefined },
      { kind: 'user', name: 'olga', role: 'operator', mfa: false, sessionId: undefined },
    );
    assert.equal(half.sessionId, r1.sessionId);
    assert.equal(can(half, 'devices.read'), 'mfa_required');
    // Enrolment must wait for the password change.
    await assert.rejects(f.accounts.beginTotpEnrolment(half), code('VIGIL_ERR_USAGE'));
    await assert.rejects(
      f.accounts.changePassword(half, oneTimePassword, 'password1234'),
      code('VIGIL_ERR_PASSWORD_POLICY'),
    );
    await f.accounts.changePassword(half, oneTimePassword, GOOD_PASSWORD);
    assert.equal(
      await f.authenticator.authenticate({ cookie: cookieFor(r1.token) }),
      null,
      'password change ends the session',
    );
    await assert.rejects(
      f.accounts.login({ name: 'olga', password: oneTimePassword }),
      code('VIGIL_ERR_AUTH'),
    );

    const r2 = await f.accounts.login({ name: 'olga', password: GOOD_PASSWORD });
    assert.equal(r2.next, 'enrol_mfa');
    const half2 = await principalOf(f, r2.token);
    const offer = await f.accounts.beginTotpEnrolment(half2);
    assert.match(offer.secret, /^[A-Z2-7]{32}$/);
    assert.ok(offer.uri.startsWith(`otpauth://totp/Vigil:olga?secret=${offer.secret}&issuer=Vigil`));
    const secret = base32Decode(offer.secret);
    await assert.rejects(f.accounts.confirmTotpEnrolment(half2, '000000'), code('VIGIL_ERR_TOTP'));
    const done = await f.accounts.confirmTotpEnrolment(half2, totpCode(secret, f.clock.now));
    assert.equal(done.recoveryCodes.length, 10);
    assert.notEqual(done.token, r2.token, 'a new session id after MFA');
    assert.equal(
      await f.authenticator.authenticate({ cookie: cookieFor(r2.token) }),
      null,
      'the half session is gone',
    );
    const full = await principalOf(f, done.token);
    assert.equal(full.mfa, true);
    assert.equal(can(full, 'devices.control'), 'ok');
    const u = await f.accounts.getUser('olga');
    assert.equal(u?.mfaEnrolled, true);
    assert.equal(u?.mustEnrolMfa, false);
    assert.equal(u?.recoveryCodesLeft, 10);

    // Nothing secret reached the audit log.
    const audit = JSON.stringify(await f.store.queryAudit({}));
    for (const s of [
      oneTimePassword,
      GOOD_PASSWORD,
      offer.secret,
      done.token,
      r1.token,
      ...done.recoveryCodes,
    ]) {
      assert.ok(!audit.includes(s), 'secret in audit log');
    }
    for (const a of ['user.add', 'user.password_change', 'user.mfa_enrol', 'user.sign_in'])
      assert.ok(audit.includes(a), a);
  });

  it('issues a new session id at login: a cookie planted beforehand is ignored', async () => {
    const { secret } = await enrolledUser(f, 'paul');
    const planted = 'P'.repeat(43);
    assert.equal(await f.authenticator.authenticate({ cookie: cookieFor(planted) }), null);
    const r = await f.accounts.login({ name: 'paul', password: GOOD_PASSWORD });
    assert.notEqual(r.token, planted);
    assert.equal(r.next, 'verify_mfa');
    const half = await principalOf(f, r.token);
    assert.equal(half.mfa, false);
    const done = await f.accounts.verifyMfa(half, totpCode(secret, f.clock.now));
    assert.notEqual(done.token, r.token);
    assert.equal(await f.authenticator.authenticate({ cookie: cookieFor(r.token) }), null);
    assert.equal((await principalOf(f, done.token)).mfa, true);
  });

  it('accepts each TOTP code once, within one step either side, and refuses the rest', async () => {
    const { secret } = await enrolledUser(f, 'tina');
    const signInHalf = async () =>
      principalOf(f, (await f.accounts.login({ name: 'tina', password: GOOD_PASSWORD })).token);
    const now = f.clock.now;
    const c = totpCode(secret, now);
    await f.accounts.verifyMfa(await signInHalf(), c);
    // The same code again (another sign-in within the same 30 s) is refused.
    await assert.rejects(f.accounts.verifyMfa(await signInHalf(), c), code('VIGIL_ERR_TOTP'));
    // Two steps away: outside the window.
    const step = totpStep(f.clock.now);
    await assert.rejects(
      f.accounts.verifyMfa(await signInHalf(), hotp(secret, step - 2)),
      code('VIGIL_ERR_TOTP'),
    );
    await assert.rejects(
      f.accounts.verifyMfa(await signInHalf(), hotp(secret, step + 2)),
      code('VIGIL_ERR_TOTP'),
    );
    // The next step (clock skew of +30 s) is fine, and then the current one is refused (older).
    await f.accounts.verifyMfa(await signInHalf(), hotp(secret, step + 1));
    await assert.rejects(
      f.accounts.verifyMfa(await signInHalf(), hotp(secret, step)),
      code('VIGIL_ERR_TOTP'),
    );
  });

  it('accepts each recovery code once in place of a TOTP code', async () => {
    const { recoveryCodes } = await enrolledUser(f, 'rita');
    const [rc = ''] = recoveryCodes;
    const half = await principalOf(
      f,
      (await f.accounts.login({ name: 'rita', password: GOOD_PASSWORD })).token,
    );
    const done = await f.accounts.verifyMfa(half, rc.toUpperCase());
    assert.equal((await principalOf(f, done.token)).mfa, true);
    assert.equal((await f.accounts.getUser('rita'))?.recoveryCodesLeft, 9);
    const again = await principalOf(
      f,
      (await f.accounts.login({ name: 'rita', password: GOOD_PASSWORD })).token,
    );
    await assert.rejects(f.accounts.verifyMfa(again, rc), code('VIGIL_ERR_TOTP'));
  });

  it('gives an unknown user the same error as a wrong password, after the same work', async () => {
    await enrolledUser(f, 'known');
    const errOf = async (name: string) => {
      try {
        await f.accounts.login({ name, password: 'wrong password here' });
      } catch (e) {
        return e as Error & { code: string };
      }
      assert.fail('login succeeded');
    };
    // The first unknown name makes the dummy hash (once per service); the work compared below is
    // each sign-in's argon2id runs, counted and with their cost, instead of timed.
    await errOf('warm-up');
    const argon2 = mock.method(crypto, 'argon2');
    syncBuiltinESMExports();
    try {
      const costs = () =>
        argon2.mock.calls.map((c) => {
          const [algorithm, o] = c.arguments;
          return [algorithm, o.memory, o.passes, o.parallelism, o.tagLength];
        });
      f.clock.advance(3_600_000); // clear of the backoff
      const a = await errOf('known');
      const known = costs();
      argon2.mock.resetCalls();
      const b = await errOf('nobody-here');
      const unknown = costs();
      assert.equal(a.code, 'VIGIL_ERR_AUTH');
      assert.equal(b.code, a.code);
      assert.equal(b.message, a.message);
      const t = TEST_ARGON2_PARAMS;
      assert.deepEqual(known, [['argon2id', t.memoryKiB, t.passes, t.parallelism, t.tagBytes]]);
      assert.deepEqual(unknown, known, 'an unknown name costs one argon2id verification at the same cost');
    } finally {
      argon2.mock.restore();
      syncBuiltinESMExports();
    }
  });

  it('refuses a disabled account with the generic error even with the right password', async () => {
    const { token } = await enrolledUser(f, 'dora', 'viewer');
    await f.accounts.disableUser('dora', 'test');
    assert.equal(
      await f.authenticator.authenticate({ cookie: cookieFor(token) }),
      null,
      'disabling ends sessions',
    );
    await assert.rejects(f.accounts.login({ name: 'dora', password: GOOD_PASSWORD }), code('VIGIL_ERR_AUTH'));
    await f.accounts.enableUser('dora', 'test');
    assert.equal((await f.accounts.login({ name: 'DORA ', password: GOOD_PASSWORD })).next, 'verify_mfa');
  });

  it('refuses a password change without MFA unless the password must change, and ends all sessions', async () => {
    const { principal, token } = await enrolledUser(f, 'carl');
    const other = await f.accounts.login({ name: 'carl', password: GOOD_PASSWORD });
    const half = await principalOf(f, other.token);
    await assert.rejects(
      f.accounts.changePassword(half, GOOD_PASSWORD, 'a brand new passphrase'),
      code('VIGIL_ERR_MFA_REQUIRED'),
    );
    await assert.rejects(
      f.accounts.changePassword(principal, 'not my password', 'a brand new passphrase'),
      code('VIGIL_ERR_AUTH'),
    );
    await assert.rejects(
      f.accounts.changePassword(principal, GOOD_PASSWORD, GOOD_PASSWORD),
      code('VIGIL_ERR_PASSWORD_POLICY'),
    );
    await assert.rejects(
      f.accounts.changePassword(principal, GOOD_PASSWORD, 'carl'),
      code('VIGIL_ERR_PASSWORD_POLICY'),
    );
    await f.accounts.changePassword(principal, GOOD_PASSWORD, 'a brand new passphrase');
    assert.equal(await f.authenticator.authenticate({ cookie: cookieFor(token) }), null);
    assert.equal(await f.authenticator.authenticate({ cookie: cookieFor(other.token) }), null);
    assert.equal(
      (await f.accounts.login({ name: 'carl', password: 'a brand new passphrase' })).next,
      'verify_mfa',
    );
  });

  it('resets MFA: codes and secret gone, sessions ended, enrolment required again', async () => {
    const { token, recoveryCodes } = await enrolledUser(f, 'mia');
    await f.accounts.resetMfa('mia', 'user:admin');
    assert.equal(await f.authenticator.authenticate({ cookie: cookieFor(token) }), null);
    const r = await f.accounts.login({ name: 'mia', password: GOOD_PASSWORD });
    assert.equal(r.next, 'enrol_mfa');
    const half = await principalOf(f, r.token);
    await assert.rejects(f.accounts.verifyMfa(half, recoveryCodes[0] ?? ''), code('VIGIL_ERR_USAGE'));
    const u = await f.accounts.getUser('mia');
    assert.equal(u?.mfaEnrolled, false);
    assert.equal(u?.recoveryCodesLeft, 0);
  });

  it('resets a password to a new one-time password that must be changed', async () => {
    await enrolledUser(f, 'pete');
    const { oneTimePassword } = await f.accounts.resetPassword('pete', 'cli');
    await assert.rejects(f.accounts.login({ name: 'pete', password: GOOD_PASSWORD }), code('VIGIL_ERR_AUTH'));
    assert.equal(
      (await f.accounts.login({ name: 'pete', password: oneTimePassword })).next,
      'change_password',
    );
  });

  it('never leaves the installation without an active admin', async () => {
    await f.accounts.createFirstAdmin();
    await assert.rejects(f.accounts.disableUser('admin', 'test'), code('VIGIL_ERR_USAGE'));
    await assert.rejects(f.accounts.setRole('admin', 'viewer', 'test'), code('VIGIL_ERR_USAGE'));
    await f.accounts.createUser({ name: 'second', role: 'admin', actor: 'test' });
    await f.accounts.setRole('admin', 'viewer', 'test');
    assert.equal((await f.accounts.getUser('admin'))?.role, 'viewer');
  });

  it('lists and ends sessions for an admin', async () => {
    await enrolledUser(f, 'sam');
    await f.accounts.login({ name: 'sam', password: GOOD_PASSWORD, address: '::1' });
    const list = await f.accounts.listSessions('sam');
    assert.equal(list.length, 2);
    assert.ok(list.some((s) => s.state === 'password_ok' && s.address === '::1'));
    assert.equal(await f.accounts.endSessions('sam', 'user:admin'), 2);
    assert.deepEqual(await f.accounts.listSessions('sam'), []);
  });

  it("refuses a TOTP secret copied from another user's row (sealed secrets are bound to their user)", async () => {
    const mallory = await enrolledUser(f, 'mallory');
    await enrolledUser(f, 'boss', 'admin');
    const stolen = (await f.accountStore.getUser('mallory'))?.totpSecretEnc ?? null;
    await f.accountStore.updateUser('boss', { totpSecretEnc: stolen });
    const half = await principalOf(
      f,
      (await f.accounts.login({ name: 'boss', password: GOOD_PASSWORD })).token,
    );
    await assert.rejects(
      f.accounts.verifyMfa(half, totpCode(mallory.secret, f.clock.now)),
      code('VIGIL_ERR_MASTER_KEY'),
    );
    assert.equal(
      (await principalOf(f, (await f.accounts.login({ name: 'boss', password: GOOD_PASSWORD })).token)).mfa,
      false,
    );
  });
});
