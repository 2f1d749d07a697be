/**
 * The host's UPS through a real NUT upsd (Debian's nut-server, dummy-ups driver reading a file the
 * test rewrites): on line, then on battery (alarm), then low battery (alarm, an audit entry and a
 * graceful shutdown request), then upsd gone (unreachable alarm). The system page reports it.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SYSTEM_SUBJECT } from '../src/continuity/system-alarms.ts';
import { apiRequest } from './helpers/api-client.ts';
import { fakeAuthenticator, sessionOf } from './helpers/fake-authenticator.ts';
import { freePort } from './helpers/free-port.ts';
import { type Instance, startInstance, waitFor } from './helpers/instance.ts';
import { NUT_AVAILABLE, type NutServer, startNutServer } from './helpers/nut-server.ts';

let nut: NutServer | undefined;
let inst: Instance | undefined;
const shutdowns: string[] = [];

before(async () => {
  if (!NUT_AVAILABLE) return;
  nut = await startNutServer(await freePort());
  inst = await startInstance(
    {
      power: {
        nut: {
          host: '127.0.0.1',
          port: nut.port,
          ups: nut.ups,
          username: nut.username,
          password: nut.password,
        },
        pollMs: 250,
      },
    },
    undefined,
    {
      authenticator: fakeAuthenticator,
      webRoot: '/nonexistent-vigil-web',
      requestShutdown: (reason) => shutdowns.push(reason),
      continuity: { checkMs: 250 },
    },
  );
});

after(async () => {
  await inst?.destroy();
  await nut?.stop();
});

async function ups(): Promise<Record<string, unknown>> {
  const i = inst as Instance;
  const r = await apiRequest(i.httpUrl, i.ctx.ca.certPem, {
    path: '/api/v1/system',
    headers: sessionOf('viewer'),
  });
  assert.equal(r.status, 200, r.text);
  return (r.json as { power: { ups: Record<string, unknown> } }).power.ups;
}

const active = async (rule: string) =>
  (await (inst as Instance).server.alarms.list({ subject: SYSTEM_SUBJECT, rule, state: 'active' }))[0];

describe('host power through NUT upsd', {
  skip: NUT_AVAILABLE ? false : 'skipped: nut-server (upsd, dummy-ups) not installed',
}, () => {
  it('reads the UPS on line: reachable, OL, charge and runtime, no alarm', async () => {
    // The driver reports WAIT until it has read its file once.
    const u = await waitFor(
      'UPS read',
      async () => {
        const x = await ups();
        return x.reachable && (x.status as string[]).includes('OL') ? x : undefined;
      },
      30_000,
    );
    assert.deepEqual(
      [u.status, u.onBattery, u.lowBattery, u.chargePct, u.runtimeS],
      [['OL'], false, false, 100, 3600],
    );
    assert.equal(await active('ups-on-battery'), undefined);
  });

  it('raises the on-battery alarm when the UPS switches to battery', async () => {
    nut?.setStatus('OB', 80, 1800);
    const a = await waitFor('on-battery alarm', () => active('ups-on-battery'), 30_000);
    assert.equal(a.severity, 'warning');
    assert.match(a.message, /battery 80 %/);
    assert.equal((await ups()).onBattery, true);
    assert.deepEqual(shutdowns, []);
  });

  it('on low battery raises the critical alarm, audits the shutdown and asks for a graceful stop', async () => {
    nut?.setStatus('OB LB', 9, 120);
    const a = await waitFor('low-battery alarm', () => active('ups-low-battery'), 30_000);
    assert.equal(a.severity, 'critical');
    await waitFor('shutdown requested', () => shutdowns.length > 0, 10_000);
    assert.deepEqual(shutdowns, ['UPS low battery']);
    const audit = await waitFor(
      'audit entry',
      async () => (await (inst as Instance).ctx.store.queryAudit({ action: 'system.shutdown', limit: 5 }))[0],
    );
    assert.equal(audit.detail.reason, 'ups_low_battery');
    assert.equal(audit.detail.charge_pct, 9);
    assert.ok(!JSON.stringify(audit).includes('t3st-secret'), 'the NUT password never reaches the audit log');
  });

  it('raises the unreachable alarm when upsd is gone, and clears on-battery', async () => {
    await nut?.stopUpsd();
    const a = await waitFor('unreachable alarm', () => active('ups-unreachable'), 15_000);
    assert.match(a.message, /cannot be read/);
    assert.equal((await ups()).reachable, false);
    await waitFor('on-battery resolved', async () => (await active('ups-on-battery')) === undefined, 10_000);
  });
});
