import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { isVigilError } from '../errors.ts';
import type { AccountStore } from './account-store.ts';
import { type AuthFixture, authFixture } from './auth.fixture.ts';
import {
  clearSessionCookie,
  hashSessionId,
  readSessionCookie,
  SESSION_COOKIE,
  SessionManager,
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

  it('takes exactly 43 characters, spaces around name and value, and headers up to 8 KiB', () => {
    const t = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQ';
    assert.equal(readSessionCookie(`x=1;  __Host-vigil_session =  ${t}  ;y`), t);
    assert.equal(readSessionCookie(`__Host-vigil_session=A${t}`), null);
    assert.equal(readSessionCookie(`__Host-vigil_session=${t}A`), null);
    assert.equal(readSessionCookie('novalue; =x'), null);
    const pad = (n: number) => `${'p'.repeat(n)}=1; __Host-vigil_session=${t}`;
    const at = pad(8192 - `=1; __Host-vigil_session=${t}`.length);
    assert.equal(at.length, 8192);
    assert.equal(readSessionCookie(at), t);
    assert.equal(readSessionCookie(pad(8193 - `=1; __Host-vigil_session=${t}`.length)), null);
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

  it('refuses a random source that returns fewer than 32 bytes', async () => {
    const short = new SessionManager({
      store: f.accountStore,
      clock: f.clock.fn,
      random: () => Buffer.alloc(31),
    });
    await assert.rejects(short.issue('alice', 'mfa_ok'), {
      message: 'random source returned a short buffer',
    });
  });

  it('refuses to rotate a session that ended meanwhile, before or while the new id is stored', async () => {
    const ended = (e: unknown) => isVigilError(e, 'VIGIL_ERR_SESSION') && e.detail === 'session ended';
    await assert.rejects(f.sessions.rotate('no-such-session', 'mfa_ok'), ended);
    const a = await f.sessions.issue('alice', 'password_ok');
    // The row is there when read, gone when the rotation is written (another request ended it).
    const racing = {
      getSession: (id: string) => f.accountStore.getSession(id),
      rotateSession: async () => false,
    } as unknown as AccountStore;
    const m = new SessionManager({ store: racing, clock: f.clock.fn });
    await assert.rejects(m.rotate(a.session.idHash, 'mfa_ok'), ended);
  });

  it('writes last seen at most every 5 seconds', async () => {
    const { token, session } = await f.sessions.issue('alice', 'mfa_ok');
    const stored = async () => (await f.accountStore.getSession(session.idHash))?.lastSeenAt;
    const t0 = session.lastSeenAt;
    f.clock.advance(4_999);
    assert.equal((await f.sessions.resolve(token))?.lastSeenAt, t0);
    assert.equal(await stored(), t0);
    f.clock.advance(1);
    assert.equal((await f.sessions.resolve(token))?.lastSeenAt, t0 + 5_000);
    assert.equal(await stored(), t0 + 5_000);
  });

  it('sweeps on issue at most every 5 minutes', async () => {
    const m = new SessionManager({ store: f.accountStore, clock: f.clock.fn, timeouts: { idleMs: MIN } });
    await m.sweep();
    const t0 = f.clock.now;
    const old = await m.issue('alice', 'mfa_ok');
    const present = async () => (await f.accountStore.getSession(old.session.idHash)) !== null;
    f.clock.advance(2 * MIN); // idle-expired, still stored
    await m.issue('alice', 'mfa_ok');
    assert.equal(await present(), true);
    f.clock.now = t0 + 5 * MIN - 1;
    await m.issue('alice', 'mfa_ok');
    assert.equal(await present(), true, 'no sweep before 5 minutes');
    f.clock.now = t0 + 5 * MIN;
    await m.issue('alice', 'mfa_ok');
    assert.equal(await present(), false, 'swept at 5 minutes');
  });

  it('counts the half-authenticated sessions it sweeps', async () => {
    await f.sessions.endAll('alice');
    const { token } = await f.sessions.issue('alice', 'password_ok');
    f.clock.advance(9 * MIN);
    assert.ok(await f.sessions.resolve(token)); // seen recently: not idle
    f.clock.advance(MIN);
    assert.equal(await f.sessions.sweep(), 1);
    assert.equal(await f.sessions.sweep(), 0);
  });
});
