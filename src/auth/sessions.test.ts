import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { isVigilError } from '../errors.ts';
import { type AuthFixture, authFixture } from './auth.fixture.ts';
import {
  clearSessionCookie,
  hashSessionId,
  readSessionCookie,
  SESSION_COOKIE,
  sessionCookie,
} from './sessions.ts';

const MIN = 60_000;
let f: AuthFixture;
before(async () => {
  f = await authFixture();
  await f.accounts.createUser({ name: 'alice', role: 'operator', actor: 'test' });
});
after(() => f.close());

describe('session cookie', () => {
  it('is __Host- prefixed, Secure, HttpOnly, SameSite=Strict, Path=/ and has no Domain', () => {
    const c = sessionCookie('A'.repeat(43));
    assert.equal(c, `__Host-vigil_session=${'A'.repeat(43)}; Path=/; Secure; HttpOnly; SameSite=Strict`);
    assert.doesNotMatch(c, /domain/i);
    assert.match(clearSessionCookie(), /^__Host-vigil_session=; .*Max-Age=0$/);
    assert.equal(SESSION_COOKIE, '__Host-vigil_session');
  });

  it('is read from a Cookie header only when well-formed', () => {
    const t = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQ';
    assert.equal(readSessionCookie(`theme=dark; __Host-vigil_session=${t}; x=1`), t);
    assert.equal(readSessionCookie(`vigil_session=${t}`), null);
    assert.equal(readSessionCookie('__Host-vigil_session=short'), null);
    assert.equal(readSessionCookie(`__Host-vigil_session=${t}!`), null);
    assert.equal(readSessionCookie(undefined), null);
    assert.equal(readSessionCookie(`__Host-vigil_session=bad; __Host-vigil_session=${t}`), t);
  });
});

describe('server-side sessions', () => {
  it('stores only the SHA-256 of the id, never the cookie value', async () => {
    const { token, session } = await f.sessions.issue('alice', 'mfa_ok');
    assert.match(token, /^[A-Za-z0-9_-]{43}$/);
    assert.equal(session.idHash, hashSessionId(token));
    assert.notEqual(session.idHash, token);
    const rows = await f.accountStore.listSessions('alice');
    assert.ok(rows.every((r) => r.idHash !== token));
  });

  it('rotates to a new id: the old one stops working, the sign-in time is kept', async () => {
    const a = await f.sessions.issue('alice', 'password_ok', { address: '127.0.0.1' });
    f.clock.advance(MIN);
    const b = await f.sessions.rotate(a.session.idHash, 'mfa_ok');
    assert.notEqual(b.token, a.token);
    assert.equal(await f.sessions.resolve(a.token), null);
    const s = await f.sessions.resolve(b.token);
    assert.equal(s?.state, 'mfa_ok');
    assert.equal(s?.authAt, a.session.authAt);
    assert.equal(s?.address, '127.0.0.1');
    await assert.rejects(f.sessions.rotate(a.session.idHash, 'mfa_ok'), (e) =>
      isVigilError(e, 'VIGIL_ERR_SESSION'),
    );
  });

  it('ends after 30 minutes idle, and activity keeps it alive', async () => {
    const { token } = await f.sessions.issue('alice', 'mfa_ok');
    f.clock.advance(29 * MIN);
    assert.ok(await f.sessions.resolve(token));
    f.clock.advance(29 * MIN);
    assert.ok(await f.sessions.resolve(token));
    f.clock.advance(30 * MIN);
    assert.equal(await f.sessions.resolve(token), null);
    assert.equal(await f.accountStore.getSession(hashSessionId(token)), null, 'the expired row is deleted');
  });

  it('ends 12 hours after sign-in however active', async () => {
    const { token } = await f.sessions.issue('alice', 'mfa_ok');
    for (let i = 0; i < 35; i++) {
      f.clock.advance(20 * MIN);
      assert.ok(await f.sessions.resolve(token), `at ${(i + 1) * 20} min`);
    }
    f.clock.advance(20 * MIN); // 12 h
    assert.equal(await f.sessions.resolve(token), null);
  });

  it('ends a half-authenticated session 10 minutes after the password step', async () => {
    const { token } = await f.sessions.issue('alice', 'password_ok');
    f.clock.advance(5 * MIN);
    assert.ok(await f.sessions.resolve(token));
    f.clock.advance(5 * MIN);
    assert.equal(await f.sessions.resolve(token), null);
  });

  it('ends one session, or every session of a user', async () => {
    const a = await f.sessions.issue('alice', 'mfa_ok');
    const b = await f.sessions.issue('alice', 'mfa_ok');
    assert.equal(await f.sessions.end(a.session.idHash), true);
    assert.equal(await f.sessions.resolve(a.token), null);
    assert.ok(await f.sessions.resolve(b.token));
    assert.ok((await f.sessions.endAll('alice')) >= 1);
    assert.equal(await f.sessions.resolve(b.token), null);
  });

  it('sweeps expired sessions out of the list', async () => {
    await f.sessions.endAll('alice');
    await f.sessions.issue('alice', 'mfa_ok');
    await f.sessions.issue('alice', 'password_ok');
    assert.equal((await f.sessions.list('alice')).length, 2);
    f.clock.advance(11 * MIN);
    assert.deepEqual(
      (await f.sessions.list('alice')).map((s) => s.state),
      ['mfa_ok'],
    );
  });
});
