/**
 * Lockout as a denial of service, over real HTTPS from several loopback source addresses: an
 * attacker's wrong passwords from 127.0.0.2 hold back 127.0.0.2, not the account's owner signing
 * in from 127.0.0.3; every failure and throttle decision is audited and exported by /metrics.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { apiRequest } from './helpers/api-client.ts';
import {
  awayFromStepEdge,
  Browser,
  type EnrolledUser,
  enrolledUser,
  errCode,
  totp,
} from './helpers/browser.ts';
import { type Instance, startInstance } from './helpers/instance.ts';

const ATTACKER = '127.0.0.2';
const OWNER = '127.0.0.3';

let inst: Instance;
let victim: EnrolledUser;

before(async () => {
  inst = await startInstance({}, undefined, { webRoot: '/nonexistent-vigil-web' });
  victim = await enrolledUser(inst, 'victor', 'operator');
});

after(async () => {
  await inst?.destroy();
});

describe('sign-in throttling over HTTPS', () => {
  it("holds back the attacker's address and lets the owner sign in with password and TOTP from another", async () => {
    const attacker = new Browser(inst, { localAddress: ATTACKER });
    const statuses: number[] = [];
    for (let i = 0; i < 10; i++) {
      const r = await attacker.post('/api/v1/auth/login', {
        username: 'victor',
        password: `guess number ${i}`,
      });
      statuses.push(r.status);
    }
    assert.deepEqual(statuses.slice(0, 5), [401, 401, 401, 401, 401]);
    assert.ok(
      statuses.slice(5).every((s) => s === 429),
      statuses.join(','),
    );
    // The attacker's address is refused even with the right password.
    const held = await attacker.post('/api/v1/auth/login', { username: 'victor', password: victim.password });
    assert.equal(held.status, 429);
    assert.equal(errCode(held), 'VIGIL_ERR_LOCKED');
    assert.ok(Number(held.headers['retry-after']) >= 1);

    const owner = new Browser(inst, { localAddress: OWNER });
    const login = await owner.post('/api/v1/auth/login', { username: 'victor', password: victim.password });
    assert.equal(login.status, 200, login.text);
    await awayFromStepEdge();
    const mfa = await owner.post('/api/v1/auth/mfa', { code: totp(victim.secret) });
    assert.equal(mfa.status, 200, mfa.text);
    const me = await owner.call('/api/v1/auth/me');
    assert.equal((me.json as { state: string }).state, 'ok');

    const failed = await inst.ctx.store.queryAudit({ action: 'auth.sign_in_failed', limit: 100 });
    assert.equal(failed.filter((a) => a.object === 'victor' && a.detail.address === ATTACKER).length, 5);
    const throttled = await inst.ctx.store.queryAudit({ action: 'auth.throttled', limit: 100 });
    assert.ok(throttled.some((a) => a.object === 'victor' && a.detail.address === ATTACKER));
    const audit = JSON.stringify(await inst.ctx.store.queryAudit({ limit: 10_000 }));
    assert.ok(!audit.includes('guess number') && !audit.includes(victim.password));
  });

  it('exports failed sign-ins and throttle decisions in /metrics', async () => {
    const { token } = await inst.server.auth.tokens.create({
      label: 'prometheus',
      role: 'auditor',
      owner: 'admin',
      actor: 'test',
    });
    const r = await apiRequest(inst.httpUrl, inst.ctx.ca.certPem, {
      path: '/metrics',
      headers: { authorization: `Bearer ${token}` },
    });
    assert.equal(r.status, 200, r.text);
    const value = (event: string) =>
      Number(new RegExp(`^vigil_auth_events_total\\{event="${event}"\\} (\\d+)$`, 'm').exec(r.text)?.[1]);
    assert.equal(value('login_failed'), 5);
    assert.equal(value('throttled'), 6);
    assert.match(r.text, /^# TYPE vigil_auth_events_total counter$/m);
  });
});
