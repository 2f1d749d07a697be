import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { AccountStore } from './account-store.ts';
import { type AuthFixture, authFixture, cookieFor, enrolledUser, GOOD_PASSWORD } from './auth.fixture.ts';
import { SessionAuthenticator } from './authenticator.ts';
import { hashSessionId } from './sessions.ts';

let f: AuthFixture;
before(async () => {
  f = await authFixture();
});
after(() => f.close());

describe('authenticator', () => {
  it('gives a half-authenticated session mfa false and a verified one mfa true', async () => {
    const { token, principal } = await enrolledUser(f, 'vera', 'viewer');
    assert.deepEqual(principal, {
      kind: 'user',
      name: 'vera',
      role: 'viewer',
      mfa: true,
      sessionId: hashSessionId(token),
    });
    const r = await f.accounts.login({ name: 'vera', password: GOOD_PASSWORD });
    const half = await f.authenticator.authenticate({ cookie: `a=b; ${cookieFor(r.token)}` });
    assert.equal(half?.mfa, false);
    assert.notEqual(half?.sessionId, r.token, 'the principal carries the stored hash, not the cookie value');
  });

  it('returns null without credentials, for a malformed cookie and for an unknown session', async () => {
    assert.equal(await f.authenticator.authenticate({}), null);
    assert.equal(await f.authenticator.authenticate({ cookie: '__Host-vigil_session=../../etc' }), null);
    assert.equal(await f.authenticator.authenticate({ cookie: cookieFor('x'.repeat(43)) }), null);
  });

  it('looks only at the bearer token when an Authorization header is present', async () => {
    const { token } = await enrolledUser(f, 'walt', 'operator');
    assert.equal(
      await f.authenticator.authenticate({ cookie: cookieFor(token), authorization: 'Bearer vgl_bogus' }),
      null,
    );
  });

  it('uses the current role and refuses a disabled user', async () => {
    const { token } = await enrolledUser(f, 'xena', 'operator');
    await f.accounts.setRole('xena', 'viewer', 'user:admin');
    assert.equal((await f.authenticator.authenticate({ cookie: cookieFor(token) }))?.role, 'viewer');
    await f.accountStore.updateUser('xena', { status: 'disabled' });
    assert.equal(await f.authenticator.authenticate({ cookie: cookieFor(token) }), null);
    assert.equal(await f.accountStore.getSession(hashSessionId(token)), null);
  });

  it('keeps an active session alive past the idle timeout by updating last seen', async () => {
    const { token } = await enrolledUser(f, 'yuri', 'auditor');
    for (let i = 0; i < 4; i++) {
      f.clock.advance(20 * 60_000);
      assert.ok(await f.authenticator.authenticate({ cookie: cookieFor(token) }));
    }
    f.clock.advance(31 * 60_000);
    assert.equal(await f.authenticator.authenticate({ cookie: cookieFor(token) }), null);
  });

  it('reads "Bearer <token>" case-insensitively with trailing spaces, and nothing else around it', async () => {
    await enrolledUser(f, 'zeta', 'admin');
    const { token } = await f.tokens.create({
      label: 'scraper',
      role: 'viewer',
      owner: 'zeta',
      actor: 'user:zeta',
    });
    for (const ok of [`Bearer ${token}`, `bearer ${token}`, `BEARER   ${token}  `, `Bearer ${token}\t`]) {
      assert.equal(
        (await f.authenticator.authenticate({ authorization: ok }))?.kind,
        'token',
        JSON.stringify(ok),
      );
    }
    for (const bad of [
      `Basic bearer ${token}`,
      `xBearer ${token}`,
      `Bearer ${token} extra`,
      `Bearer${token}`,
      token,
    ]) {
      assert.equal(await f.authenticator.authenticate({ authorization: bad }), null, JSON.stringify(bad));
    }
  });

  it('refuses and ends a session whose user row is gone', async () => {
    const { token } = await enrolledUser(f, 'omar', 'viewer');
    const noUsers = { getUser: async () => null } as unknown as AccountStore;
    const auth = new SessionAuthenticator({ store: noUsers, sessions: f.sessions, tokens: f.tokens });
    assert.equal(await auth.authenticate({ cookie: cookieFor(token) }), null);
    assert.equal(await f.accountStore.getSession(hashSessionId(token)), null);
  });
});
