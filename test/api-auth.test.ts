/**
 * Sign-in over real HTTPS: the first admin's first sign-in, session fixation, TOTP single use and
 * window, half-authenticated sessions, lockout, unknown users, CSRF on login, logout and
 * password change. TOTP codes are computed here with src/auth/totp.ts.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SESSION_COOKIE } from '../src/auth/sessions.ts';
import { apiRequest } from './helpers/api-client.ts';
import {
  awayFromStepEdge,
  Browser,
  type EnrolledUser,
  errCode,
  firstAdminPassword,
  firstSignIn,
  passwordOnly,
  totp,
} from './helpers/browser.ts';
import { type Instance, startInstance } from './helpers/instance.ts';

let inst: Instance;
let admin: EnrolledUser;
/** Recovery codes of the admin not used yet (extra sign-ins without waiting for a TOTP step). */
let spareCodes: string[] = [];

before(async () => {
  // webRoot: an empty directory, so nothing here depends on a dashboard build.
  inst = await startInstance({}, undefined, { webRoot: '/nonexistent-vigil-web' });
});

after(async () => {
  await inst?.destroy();
});

/** A second fully signed-in admin session, through a recovery code. */
async function adminSession(): Promise<Browser> {
  const b = await passwordOnly(inst, 'admin', admin.password);
  const code = spareCodes.shift();
  assert.ok(code, 'a spare recovery code');
  const r = await b.post('/api/v1/auth/mfa', { code });
  assert.equal(r.status, 200, r.text);
  return b;
}

describe('first sign-in of the first admin', () => {
  it('goes one-time password -> new password -> TOTP enrolment -> recovery codes -> signed in', async () => {
    const b = new Browser(inst);
    const otp = firstAdminPassword(inst);
    const login = await b.post('/api/v1/auth/login', { username: 'admin', password: otp });
    assert.equal(login.status, 200, login.text);
    assert.deepEqual(login.json, {
      state: 'password_change_required',
      user: { name: 'admin', role: 'admin' },
    });
    const setCookie = String(login.headers['set-cookie']);
    assert.match(setCookie, new RegExp(`^${SESSION_COOKIE}=[A-Za-z0-9_-]{43}; `));
    for (const attr of ['Path=/', 'Secure', 'HttpOnly', 'SameSite=Strict'])
      assert.ok(setCookie.includes(attr), attr);
    const loginToken = b.token;

    const me = await b.call('/api/v1/auth/me');
    assert.equal(me.status, 200, me.text);
    assert.deepEqual(me.json, {
      name: 'admin',
      role: 'admin',
      kind: 'user',
      mfa: false,
      state: 'password_change_required',
      permissions: [],
    });

    const early = await b.post('/api/v1/auth/mfa/enrol');
    assert.equal(early.status, 400, 'enrolment waits for the new password');
    const weak = await b.post('/api/v1/auth/password', { currentPassword: otp, newPassword: 'password123' });
    assert.equal(weak.status, 400);
    assert.equal(errCode(weak), 'VIGIL_ERR_PASSWORD_POLICY');

    const password = 'a long and quiet river at dawn';
    const changed = await b.post('/api/v1/auth/password', { currentPassword: otp, newPassword: password });
    assert.equal(changed.status, 200, changed.text);
    assert.deepEqual(changed.json, { state: 'mfa_enrol_required' });
    assert.notEqual(b.token, loginToken, 'a new session id after the password change');
    const old = await apiRequest(inst.httpUrl, inst.ctx.ca.certPem, {
      path: '/api/v1/auth/me',
      headers: { cookie: `${SESSION_COOKIE}=${loginToken}` },
    });
    assert.equal(old.status, 401, 'the one-time password session is gone');

    const enrol = await b.post('/api/v1/auth/mfa/enrol');
    assert.equal(enrol.status, 200, enrol.text);
    const offer = enrol.json as { secret: string; otpauthUri: string; qrSvg: string };
    assert.match(offer.secret, /^[A-Z2-7]{32}$/);
    assert.equal(
      offer.otpauthUri,
      `otpauth://totp/Vigil:admin?secret=${offer.secret}&issuer=Vigil&algorithm=SHA1&digits=6&period=30`,
    );
    assert.match(offer.qrSvg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" [^>]*>.*<\/svg>$/s);
    assert.doesNotMatch(offer.qrSvg, /<script|<style|\bstyle=|\son[a-z]+=|href|<foreignObject/i);
    assert.equal(enrol.headers['cache-control'], 'no-store');

    await awayFromStepEdge();
    const wrong = await b.post('/api/v1/auth/mfa/enrol/confirm', { code: totp(offer.secret, 5) });
    assert.equal(wrong.status, 401);
    assert.equal(errCode(wrong), 'VIGIL_ERR_TOTP');
    const before = b.token;
    const confirmed = await b.post('/api/v1/auth/mfa/enrol/confirm', { code: totp(offer.secret, -1) });
    assert.equal(confirmed.status, 200, confirmed.text);
    const { state, recoveryCodes } = confirmed.json as { state: string; recoveryCodes: string[] };
    assert.equal(state, 'ok');
    assert.equal(recoveryCodes.length, 10);
    assert.equal(new Set(recoveryCodes).size, 10);
    assert.notEqual(b.token, before, 'a new session id after the second factor');

    const meOk = await b.call('/api/v1/auth/me');
    assert.equal((meOk.json as { state: string }).state, 'ok');
    assert.ok((meOk.json as { permissions: string[] }).permissions.includes('users.manage'));
    const users = await b.call('/api/v1/users');
    assert.equal(users.status, 200, users.text);
    const row = (users.json as { users: { name: string; mfaEnrolled: boolean; recoveryCodesLeft: number }[] })
      .users[0];
    assert.equal(row?.mfaEnrolled, true);
    assert.equal(row?.recoveryCodesLeft, 10);

    admin = { name: 'admin', role: 'admin', password, secret: offer.secret, recoveryCodes, browser: b };
    spareCodes = [...recoveryCodes];
  });
});

describe('sessions', () => {
  it('ignores a cookie planted before sign-in and issues a new id at login and again after MFA', async () => {
    // The attacker's own half-authenticated session, planted in the victim's browser.
    const attacker = await firstSignIn(
      inst,
      'mallory',
      'viewer',
      (await inst.server.auth.accounts.createUser({ name: 'mallory', role: 'viewer', actor: 'test' }))
        .oneTimePassword,
    );
    const planted = attacker.browser.token;
    const victim = new Browser(inst);
    victim.token = planted;
    const login = await victim.post('/api/v1/auth/login', { username: 'admin', password: admin.password });
    assert.equal(login.status, 200, login.text);
    assert.equal((login.json as { state: string }).state, 'mfa_required');
    const afterLogin = victim.token;
    assert.ok(afterLogin && afterLogin !== planted, 'new id at login');
    const code = spareCodes.shift() ?? '';
    const mfa = await victim.post('/api/v1/auth/mfa', { code });
    assert.equal(mfa.status, 200, mfa.text);
    assert.ok(victim.token && victim.token !== afterLogin, 'new id after MFA');

    const asPlanted = await attacker.browser.call('/api/v1/auth/me');
    assert.equal(
      (asPlanted.json as { name: string }).name,
      'mallory',
      'the planted id never became the admin',
    );
    const oldHalf = await apiRequest(inst.httpUrl, inst.ctx.ca.certPem, {
      path: '/api/v1/auth/me',
      headers: { cookie: `${SESSION_COOKIE}=${afterLogin}` },
    });
    assert.equal(oldHalf.status, 401, 'the pre-MFA id died at rotation');
    assert.equal((await victim.call('/api/v1/users')).status, 200);

    const unknown = new Browser(inst);
    unknown.token = 'A'.repeat(43);
    await unknown.post('/api/v1/auth/login', { username: 'admin', password: admin.password });
    assert.notEqual(unknown.token, 'A'.repeat(43));
  });

  it('logout ends the session and clears the cookie', async () => {
    const b = await adminSession();
    const token = b.token;
    const r = await b.post('/api/v1/auth/logout');
    assert.equal(r.status, 204);
    assert.match(String(r.headers['set-cookie']), /Max-Age=0/);
    assert.equal(b.token, null);
    const reuse = await apiRequest(inst.httpUrl, inst.ctx.ca.certPem, {
      path: '/api/v1/devices',
      headers: { cookie: `${SESSION_COOKIE}=${token}` },
    });
    assert.equal(reuse.status, 401);
    assert.equal((await b.post('/api/v1/auth/logout')).status, 204, 'idempotent');
    const audit = await inst.ctx.store.queryAudit({ action: 'user.sign_out' });
    assert.ok(audit.some((a) => a.actor === 'user:admin'));
  });

  it('a password change ends every session of the user, the other browsers included', async () => {
    const a = await adminSession();
    const other = await adminSession();
    const aToken = a.token;
    const next = 'an even longer quiet river at dusk';
    const r = await a.post('/api/v1/auth/password', { currentPassword: admin.password, newPassword: next });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.json, { state: 'mfa_required' }, 'a new half session: the second factor again');
    assert.notEqual(a.token, aToken);
    assert.equal((await other.call('/api/v1/devices')).status, 401, 'the other browser is signed out');
    assert.equal((await admin.browser.call('/api/v1/devices')).status, 401, 'and the first one');
    const stale = await apiRequest(inst.httpUrl, inst.ctx.ca.certPem, {
      path: '/api/v1/auth/me',
      headers: { cookie: `${SESSION_COOKIE}=${aToken}` },
    });
    assert.equal(stale.status, 401);
    admin.password = next;
    const again = await a.post('/api/v1/auth/mfa', { code: spareCodes.shift() ?? '' });
    assert.equal(again.status, 200, again.text);
    admin.browser = a;
  });
});

describe('second factor', () => {
  it('refuses a TOTP code twice and outside one step of tolerance', async () => {
    await awayFromStepEdge();
    const b = await passwordOnly(inst, 'admin', admin.password);
    for (const offset of [2, -2]) {
      const r = await b.post('/api/v1/auth/mfa', { code: totp(admin.secret, offset) });
      assert.equal(r.status, 401, `step ${offset}`);
      assert.equal(errCode(r), 'VIGIL_ERR_TOTP');
    }
    const ok = await b.post('/api/v1/auth/mfa', { code: totp(admin.secret, 0) });
    assert.equal(ok.status, 200, ok.text);

    const b2 = await passwordOnly(inst, 'admin', admin.password);
    const replay = await b2.post('/api/v1/auth/mfa', { code: totp(admin.secret, 0) });
    assert.equal(replay.status, 401, 'the same code a second time');
    assert.equal(errCode(replay), 'VIGIL_ERR_TOTP');
    const next = await b2.post('/api/v1/auth/mfa', { code: totp(admin.secret, 1) });
    assert.equal(next.status, 200, next.text);
  });

  it('refuses a half-authenticated session on data and control routes with 403 MFA_REQUIRED', async () => {
    const half = await passwordOnly(inst, 'admin', admin.password);
    for (const path of [
      '/api/v1/devices',
      '/api/v1/alarms',
      '/api/v1/system',
      '/api/v1/users',
      '/api/v1/audit',
    ]) {
      const r = await half.call(path);
      assert.equal(r.status, 403, path);
      assert.equal(errCode(r), 'VIGIL_ERR_MFA_REQUIRED', path);
    }
    const add = await half.post('/api/v1/users', { name: 'sneaky', role: 'admin' });
    assert.equal(add.status, 403);
    assert.equal(errCode(add), 'VIGIL_ERR_MFA_REQUIRED');
    assert.equal(await inst.server.auth.accounts.getUser('sneaky'), null);
    const codes = await half.post('/api/v1/auth/recovery-codes');
    assert.equal(errCode(codes), 'VIGIL_ERR_MFA_REQUIRED');
    const me = await half.call('/api/v1/auth/me');
    assert.equal((me.json as { state: string }).state, 'mfa_required');
  });
});

describe('brute force and probing', () => {
  it('answers an unknown user exactly like a wrong password', async () => {
    const b = new Browser(inst);
    const wrong = await b.post('/api/v1/auth/login', {
      username: 'admin',
      password: 'not the password at all',
    });
    const unknown = await b.post('/api/v1/auth/login', {
      username: 'nobody-here',
      password: 'not the password',
    });
    const malformed = await b.post('/api/v1/auth/login', {
      username: 'Not A Name!',
      password: 'whatever it is',
    });
    for (const r of [wrong, unknown, malformed]) {
      assert.equal(r.status, 401, r.text);
      assert.deepEqual(r.json, { error: { code: 'VIGIL_ERR_AUTH', message: 'authentication required' } });
      assert.equal(r.headers['set-cookie'], undefined);
    }
  });

  it('locks an account after repeated failures: 429 with Retry-After, even for the right password', async () => {
    const { oneTimePassword } = await inst.server.auth.accounts.createUser({
      name: 'locky',
      role: 'viewer',
      actor: 'test',
    });
    const b = new Browser(inst);
    for (let i = 0; i < 5; i++) {
      const r = await b.post('/api/v1/auth/login', { username: 'locky', password: `wrong guess ${i}` });
      assert.equal(r.status, 401, `attempt ${i}`);
    }
    const locked = await b.post('/api/v1/auth/login', { username: 'locky', password: oneTimePassword });
    assert.equal(locked.status, 429, locked.text);
    assert.equal(errCode(locked), 'VIGIL_ERR_LOCKED');
    const retry = Number(locked.headers['retry-after']);
    assert.ok(Number.isInteger(retry) && retry >= 1 && retry <= 2, String(locked.headers['retry-after']));
    assert.equal(b.token, null);
    await new Promise((r) => setTimeout(r, retry * 1000 + 100));
    const ok = await b.post('/api/v1/auth/login', { username: 'locky', password: oneTimePassword });
    assert.equal(ok.status, 200, ok.text);
  });

  it('refuses a login from a foreign Origin or without one (CSRF)', async () => {
    for (const origin of ['https://evil.example', undefined]) {
      const r = await apiRequest(inst.httpUrl, inst.ctx.ca.certPem, {
        path: '/api/v1/auth/login',
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(origin ? { origin } : {}),
        },
        body: JSON.stringify({ username: 'admin', password: admin.password }),
      });
      assert.equal(r.status, 403, String(origin));
      assert.equal(errCode(r), 'VIGIL_ERR_CSRF');
      assert.equal(r.headers['set-cookie'], undefined);
    }
  });

  it('never writes a password, code or session token to the audit log', async () => {
    const audit = JSON.stringify(await inst.ctx.store.queryAudit({ limit: 1000 }));
    assert.ok(!audit.includes(admin.password));
    for (const c of admin.recoveryCodes) assert.ok(!audit.includes(c));
    for (const t of admin.browser.issued) assert.ok(!audit.includes(t));
  });
});
