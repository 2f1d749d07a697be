import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { isVigilError } from '../errors.ts';
import {
  type AuthFixture,
  audited,
  authFixture,
  enrolledUser,
  GOOD_PASSWORD,
  principalOf,
} from './auth.fixture.ts';
import type { Principal } from './principal.ts';
import { hashRecoveryCode } from './recovery-codes.ts';
import { base32Decode, totpCode } from './totp.ts';

// The sign-in steps in the order they must come, the electronic signature, recovery codes and
// sign-out: each refusal with its reason, and what each success writes to the audit log.

const code = (c: string, detail?: string) => (e: unknown) => {
  assert.ok(isVigilError(e, c as never), String(e));
  if (detail !== undefined) assert.equal(e.detail, detail);
  return true;
};

let f: AuthFixture;
beforeEach(async () => {
  f = await authFixture();
});
afterEach(() => f.close());

/** A half-authenticated session of `name` (password checked, second factor not yet). */
async function half(name: string, address?: string): Promise<Principal> {
  return principalOf(f, (await f.accounts.login({ name, password: GOOD_PASSWORD, address })).token);
}

const TOKEN: Principal = { kind: 'token', name: 'tok1', role: 'admin', mfa: true };

describe('accounts: the order of the sign-in steps', () => {
  it('refuses a second factor twice in one session and before its turn', async () => {
    const { principal, secret } = await enrolledUser(f, 'paul');
    await assert.rejects(
      f.accounts.verifyMfa(principal, totpCode(secret, f.clock.now)),
      code('VIGIL_ERR_USAGE', 'second factor already verified'),
    );
    const { oneTimePassword } = await f.accounts.createUser({ name: 'nora', role: 'viewer', actor: 't' });
    const fresh = await principalOf(
      f,
      (await f.accounts.login({ name: 'nora', password: oneTimePassword })).token,
    );
    await assert.rejects(
      f.accounts.verifyMfa(fresh, '123456'),
      code('VIGIL_ERR_USAGE', 'complete the change_password step first'),
    );
    await assert.rejects(
      f.accounts.confirmTotpEnrolment(fresh, '123456'),
      code('VIGIL_ERR_USAGE', 'the next step is change_password'),
    );
    await assert.rejects(
      f.accounts.beginTotpEnrolment(fresh),
      code('VIGIL_ERR_USAGE', 'change the one-time password first'),
    );
  });

  it('refuses a second enrolment while TOTP is enrolled', async () => {
    await enrolledUser(f, 'paul');
    await assert.rejects(
      f.accounts.beginTotpEnrolment(await half('paul')),
      code('VIGIL_ERR_USAGE', 'TOTP is already enrolled (an admin can reset it)'),
    );
  });

  it('confirms an enrolment up to 10 minutes after the offer and not later; a wrong code is audited', async () => {
    // Half-authenticated sessions end after 10 min by default; this one must outlive two offers.
    await f.close();
    f = await authFixture({ sessionTimeouts: { pendingMs: 3_600_000 } });
    const { oneTimePassword } = await f.accounts.createUser({ name: 'nora', role: 'viewer', actor: 't' });
    const first = await principalOf(
      f,
      (await f.accounts.login({ name: 'nora', password: oneTimePassword })).token,
    );
    await f.accounts.changePassword(first, oneTimePassword, GOOD_PASSWORD);
    const p = await half('nora', '10.0.0.7');
    await assert.rejects(
      f.accounts.confirmTotpEnrolment(p, '123456'),
      code('VIGIL_ERR_USAGE', 'no TOTP enrolment in progress (start again)'),
    );
    const secret = base32Decode((await f.accounts.beginTotpEnrolment(p)).secret);
    f.clock.advance(10 * 60_000 + 1);
    await assert.rejects(
      f.accounts.confirmTotpEnrolment(p, totpCode(secret, f.clock.now)),
      code('VIGIL_ERR_USAGE', 'no TOTP enrolment in progress (start again)'),
    );
    const again = base32Decode((await f.accounts.beginTotpEnrolment(p)).secret);
    f.clock.advance(10 * 60_000);
    await assert.rejects(f.accounts.confirmTotpEnrolment(p, '000000'), code('VIGIL_ERR_TOTP'));
    assert.deepEqual(
      (await audited(f, 'auth.mfa_failed')).map(([, o, d]) => [o, d]),
      [['nora', { address: '10.0.0.7', step: 'enrolment' }]],
    );
    const c = totpCode(again, f.clock.now);
    const done = await f.accounts.confirmTotpEnrolment(p, ` ${c.slice(0, 3)} ${c.slice(3)} `);
    assert.equal(done.recoveryCodes.length, 10);
    assert.deepEqual(await audited(f, 'user.mfa_enrol'), [['user:nora', 'nora', { method: 'totp' }]]);
  });

  it('audits a sign-in with its method, the session address and the recovery codes left', async () => {
    const { secret, recoveryCodes } = await enrolledUser(f, 'rita');
    await f.accounts.verifyMfa(await half('rita', '10.0.0.1'), totpCode(secret, f.clock.now));
    await f.accounts.verifyMfa(await half('rita', '10.0.0.2'), recoveryCodes[0] ?? '');
    const signIns = (await audited(f, 'user.sign_in')).slice(-2);
    assert.deepEqual(signIns, [
      ['user:rita', 'rita', { method: 'totp', address: '10.0.0.1' }],
      ['user:rita', 'rita', { method: 'recovery_code', address: '10.0.0.2', recoveryCodesLeft: 9 }],
    ]);
    assert.equal(await f.accounts.getUser('rita').then((u) => u?.lastLoginAt), f.clock.now);
  });

  it('counts a wrong second factor against the address given, else the session address', async () => {
    await enrolledUser(f, 'rita');
    await assert.rejects(
      f.accounts.verifyMfa(await half('rita', '10.0.0.1'), '000000'),
      code('VIGIL_ERR_TOTP'),
    );
    await assert.rejects(
      f.accounts.verifyMfa(await half('rita', '10.0.0.1'), 'zzzz-zzzz-zzzz', { address: '10.0.0.9' }),
      code('VIGIL_ERR_TOTP'),
    );
    assert.deepEqual(
      (await audited(f, 'auth.mfa_failed')).map(([, , d]) => d),
      [
        { address: '10.0.0.1', step: 'sign_in' },
        { address: '10.0.0.9', step: 'sign_in' },
      ],
    );
  });

  it('refuses a token, a session of another user and the session of a disabled user', async () => {
    const { principal } = await enrolledUser(f, 'paul');
    await enrolledUser(f, 'anna', 'admin');
    await assert.rejects(
      f.accounts.regenerateRecoveryCodes(TOKEN),
      code('VIGIL_ERR_SESSION', 'not a user session'),
    );
    await assert.rejects(
      f.accounts.regenerateRecoveryCodes({ ...principal, sessionId: undefined }),
      code('VIGIL_ERR_SESSION', 'not a user session'),
    );
    // A token principal is refused by its kind, whatever else it carries.
    await assert.rejects(
      f.accounts.regenerateRecoveryCodes({ ...principal, kind: 'token' }),
      code('VIGIL_ERR_SESSION', 'not a user session'),
    );
    await assert.rejects(
      f.accounts.regenerateRecoveryCodes({ ...principal, name: 'anna' }),
      code('VIGIL_ERR_SESSION'),
    );
    await f.accountStore.updateUser('paul', { status: 'disabled' });
    await assert.rejects(f.accounts.regenerateRecoveryCodes(principal), code('VIGIL_ERR_SESSION'));
  });

  it('audits a password change with the number of sessions it ended', async () => {
    const { principal } = await enrolledUser(f, 'carl');
    await half('carl');
    await f.accounts.changePassword(principal, GOOD_PASSWORD, 'a brand new passphrase');
    assert.deepEqual((await audited(f, 'user.password_change')).at(-1), [
      'user:carl',
      'carl',
      { sessionsEnded: 2 },
    ]);
    assert.deepEqual(await audited(f, 'auth.password_failed'), []);
  });

  it('refuses a new password equal to the current one with its reason, and audits a wrong current one', async () => {
    const { principal } = await enrolledUser(f, 'carl');
    await assert.rejects(
      f.accounts.changePassword(principal, GOOD_PASSWORD, GOOD_PASSWORD),
      code('VIGIL_ERR_PASSWORD_POLICY', 'the new password must differ from the current one'),
    );
    await assert.rejects(
      f.accounts.changePassword(principal, 'not my password', 'a brand new passphrase', {
        address: '10.0.0.3',
      }),
      code('VIGIL_ERR_AUTH'),
    );
    assert.deepEqual(await audited(f, 'auth.password_failed'), [
      ['system', 'carl', { address: '10.0.0.3', context: 'password_change' }],
    ]);
  });
});

describe('accounts: what a failed password step records', () => {
  it('records the reason, the name cut to 64 characters and a missing address as null', async () => {
    await enrolledUser(f, 'dora');
    await f.accounts.disableUser('dora', 'test');
    await assert.rejects(f.accounts.login({ name: 'dora', password: GOOD_PASSWORD }), code('VIGIL_ERR_AUTH'));
    await assert.rejects(
      f.accounts.login({ name: `  ${'N'.repeat(100)}`, password: 'x', address: '10.0.0.5' }),
      code('VIGIL_ERR_AUTH'),
    );
    // A password that is not a string is a wrong password, not a crash.
    await assert.rejects(f.accounts.login({ name: 'dora', password: 42 as never }), code('VIGIL_ERR_AUTH'));
    assert.deepEqual(
      (await audited(f, 'auth.sign_in_failed')).map(([, o, d]) => [o, d]),
      [
        ['dora', { address: null, reason: 'account_disabled' }],
        ['n'.repeat(64), { address: '10.0.0.5', reason: 'unknown_user' }],
        ['dora', { address: null, reason: 'wrong_password' }],
      ],
    );
  });

  it('forgets the failures of an address once a sign-in from it completes', async () => {
    const { secret } = await enrolledUser(f, 'rita');
    await assert.rejects(
      f.accounts.login({ name: 'rita', password: 'wrong', address: '10.0.0.6' }),
      code('VIGIL_ERR_AUTH'),
    );
    const failures = () => f.accountStore.listSignInFailures({ account: 'rita', since: 0, limit: 10 });
    assert.equal((await failures()).length, 1);
    await f.accounts.verifyMfa(await half('rita', '10.0.0.6'), totpCode(secret, f.clock.now));
    assert.deepEqual(await failures(), []);
  });

  it('refuses a signature as a wrong code when the TOTP secret is gone', async () => {
    const { principal, secret } = await enrolledUser(f, 'qa.lead', 'quality');
    await f.accountStore.updateUser('qa.lead', { totpSecretEnc: null });
    await assert.rejects(
      f.accounts.verifySignature(principal, { password: GOOD_PASSWORD, totp: totpCode(secret, f.clock.now) }),
      code('VIGIL_ERR_TOTP'),
    );
  });
});

describe('accounts: electronic signature', () => {
  it('returns the signer and current role for the password and a fresh TOTP code, once per code', async () => {
    const { principal, secret } = await enrolledUser(f, 'qa.lead', 'quality');
    const c = totpCode(secret, f.clock.now);
    assert.deepEqual(
      await f.accounts.verifySignature(principal, {
        password: GOOD_PASSWORD,
        totp: `${c.slice(0, 3)} ${c.slice(3)}`,
      }),
      { name: 'qa.lead', role: 'quality' },
    );
    await assert.rejects(
      f.accounts.verifySignature(principal, { password: GOOD_PASSWORD, totp: c }),
      code('VIGIL_ERR_TOTP'),
    );
  });

  it('refuses a token, a half-authenticated session, a wrong password and a recovery code, each audited', async () => {
    const { principal, secret, recoveryCodes } = await enrolledUser(f, 'qa.lead', 'quality');
    await assert.rejects(
      f.accounts.verifySignature(TOKEN, { password: GOOD_PASSWORD, totp: '123456' }),
      code('VIGIL_ERR_FORBIDDEN', 'an electronic signature needs a signed-in user'),
    );
    await assert.rejects(
      f.accounts.verifySignature(await half('qa.lead'), {
        password: GOOD_PASSWORD,
        totp: totpCode(secret, f.clock.now),
      }),
      code('VIGIL_ERR_MFA_REQUIRED'),
    );
    await assert.rejects(
      f.accounts.verifySignature(
        principal,
        { password: 'wrong password', totp: totpCode(secret, f.clock.now) },
        { address: '10.0.0.4' },
      ),
      code('VIGIL_ERR_AUTH'),
    );
    await assert.rejects(
      f.accounts.verifySignature(principal, { password: GOOD_PASSWORD, totp: recoveryCodes[0] ?? '' }),
      code('VIGIL_ERR_TOTP'),
    );
    await assert.rejects(
      f.accounts.verifySignature(principal, { password: GOOD_PASSWORD, totp: '000000' }),
      code('VIGIL_ERR_TOTP'),
    );
    assert.deepEqual(await audited(f, 'auth.password_failed'), [
      ['system', 'qa.lead', { address: '10.0.0.4', context: 'signature' }],
    ]);
    assert.deepEqual(
      (await audited(f, 'auth.mfa_failed')).map(([, , d]) => (d as { step: string }).step),
      ['signature', 'signature'],
    );
    assert.equal((await f.accounts.getUser('qa.lead'))?.recoveryCodesLeft, 10);
  });
});

describe('accounts: recovery codes and sign-out', () => {
  it('replaces the recovery codes in a fully signed-in session only, with an audit entry', async () => {
    const { principal, recoveryCodes } = await enrolledUser(f, 'rita');
    await assert.rejects(
      f.accounts.regenerateRecoveryCodes(await half('rita')),
      code('VIGIL_ERR_MFA_REQUIRED'),
    );
    const fresh = await f.accounts.regenerateRecoveryCodes(principal);
    assert.equal(fresh.length, 10);
    assert.deepEqual(await audited(f, 'user.recovery_codes'), [['user:rita', 'rita', {}]]);
    await assert.rejects(
      f.accounts.verifyMfa(await half('rita'), recoveryCodes[0] ?? ''),
      code('VIGIL_ERR_TOTP'),
    );
    await f.accounts.verifyMfa(await half('rita'), fresh[0] ?? '');
  });

  it('ends the caller’s session once, audited; a token or a principal without a session is a no-op', async () => {
    const { principal } = await enrolledUser(f, 'sam');
    await f.accounts.logout(TOKEN);
    await f.accounts.logout({ ...principal, sessionId: undefined });
    await f.accounts.logout({ ...principal, kind: 'token' });
    assert.equal((await f.accounts.listSessions('sam')).length, 1);
    await f.accounts.logout(principal);
    await f.accounts.logout(principal);
    assert.deepEqual(await f.accounts.listSessions('sam'), []);
    assert.deepEqual(await audited(f, 'user.sign_out'), [['user:sam', 'sam', {}]]);
  });
});

describe('accounts: codes as people type them, and input of the wrong type', () => {
  it('accepts a TOTP code typed with a space at sign-in', async () => {
    const { secret } = await enrolledUser(f, 'tina');
    const c = totpCode(secret, f.clock.now);
    assert.ok((await f.accounts.verifyMfa(await half('tina'), `${c.slice(0, 3)} ${c.slice(3)}`)).token);
  });

  it('takes a recovery code of digits only, typed without its dashes, as a recovery code', async () => {
    await enrolledUser(f, 'vera');
    const digits = '1234-5678-9012';
    await f.accountStore.replaceRecoveryCodes(
      'vera',
      [hashRecoveryCode(f.master, 'vera', digits) ?? ''],
      f.clock.now,
    );
    await f.accounts.verifyMfa(await half('vera'), digits.replaceAll('-', ''));
    assert.deepEqual((await audited(f, 'user.sign_in')).at(-1)?.[2], {
      method: 'recovery_code',
      address: null,
      recoveryCodesLeft: 0,
    });
  });

  it('audits the sign-in that the enrolment code completes as a TOTP sign-in', async () => {
    await enrolledUser(f, 'nina');
    assert.deepEqual(await audited(f, 'user.sign_in'), [
      ['user:nina', 'nina', { method: 'totp', address: null }],
    ]);
  });

  it('refuses to confirm an enrolment whose stored offer has a time but no secret', async () => {
    const { oneTimePassword } = await f.accounts.createUser({ name: 'ivan', role: 'viewer', actor: 't' });
    const first = await principalOf(
      f,
      (await f.accounts.login({ name: 'ivan', password: oneTimePassword })).token,
    );
    await f.accounts.changePassword(first, oneTimePassword, GOOD_PASSWORD);
    const p = await half('ivan');
    await f.accountStore.updateUser('ivan', { totpPendingAt: f.clock.now });
    await assert.rejects(
      f.accounts.confirmTotpEnrolment(p, '123456'),
      code('VIGIL_ERR_USAGE', 'no TOTP enrolment in progress (start again)'),
    );
  });

  it('refuses a sign-in without a name as an unknown user with an empty name', async () => {
    await assert.rejects(
      f.accounts.login({ name: undefined as never, password: 'x', address: '10.0.0.5' }),
      code('VIGIL_ERR_AUTH'),
    );
    assert.deepEqual(await audited(f, 'auth.sign_in_failed'), [
      ['system', '', { address: '10.0.0.5', reason: 'unknown_user' }],
    ]);
  });

  it('treats passwords that are not strings as wrong (current, signature) or too short (new)', async () => {
    const { principal } = await enrolledUser(f, 'olga');
    await assert.rejects(
      f.accounts.changePassword(principal, undefined as never, 'a brand new passphrase'),
      code('VIGIL_ERR_AUTH'),
    );
    await assert.rejects(
      f.accounts.changePassword(principal, GOOD_PASSWORD, undefined as never),
      code('VIGIL_ERR_PASSWORD_POLICY', 'use at least 12 characters'),
    );
    await assert.rejects(
      f.accounts.verifySignature(principal, { password: 42 as never, totp: '000000' }),
      code('VIGIL_ERR_AUTH'),
    );
    // Nothing changed: the password is still the old one.
    assert.equal((await f.accounts.login({ name: 'olga', password: GOOD_PASSWORD })).next, 'verify_mfa');
  });
});
