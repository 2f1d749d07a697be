import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type AuthFixture, authFixture } from './auth.fixture.ts';
import { createAuthServices } from './auth-services.ts';
import { DEFAULT_SESSION_TIMEOUTS } from './sessions.ts';

let f: AuthFixture;
before(async () => {
  f = await authFixture();
  await f.accounts.createUser({ name: 'alice', role: 'operator', actor: 'test' });
});
after(() => f.close());

describe('createAuthServices', () => {
  const deps = () => ({ store: f.accountStore, audit: f.store, master: f.master, clock: f.clock.fn });

  it('gives the session manager the random source and the session timeouts it is given', async () => {
    const services = createAuthServices({
      ...deps(),
      random: (n) => Buffer.alloc(n, 0xab),
      sessionTimeouts: { idleMs: 5 * 60_000 },
    });
    const issued = await services.sessions.issue('alice', 'password_ok');
    assert.equal(issued.token, Buffer.alloc(32, 0xab).toString('base64url'));
    assert.deepEqual(services.sessions.timeouts, { ...DEFAULT_SESSION_TIMEOUTS, idleMs: 5 * 60_000 });
  });

  it('uses the default timeouts and a fresh random source otherwise', async () => {
    const services = createAuthServices(deps());
    assert.deepEqual(services.sessions.timeouts, DEFAULT_SESSION_TIMEOUTS);
    const a = await services.sessions.issue('alice', 'password_ok');
    const b = await services.sessions.issue('alice', 'password_ok');
    assert.notEqual(a.token, b.token);
  });
});
