/**
 * /api/v1/system reports backup and continuity honestly: no backup recorded yet (null, not a
 * failure), devices on battery or backup power from their latest reading, devices that delivered
 * backfill within the last hour (they were buffering offline), and broker reachability.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { BackfillTracker } from '../src/api/backfill-tracker.ts';
import { apiRequest } from './helpers/api-client.ts';
import { fakeAuthenticator, sessionOf } from './helpers/fake-authenticator.ts';
import {
  closeClient,
  connectDevice,
  type Instance,
  makeEnvelope,
  send,
  startInstance,
  truckSample,
  waitFor,
} from './helpers/instance.ts';

interface Continuity {
  brokerReachable: boolean | null;
  onBatteryOrBackup: string[];
  buffering: string[];
  bufferingWindowMs: number;
  devices: {
    id: string;
    power: string | null;
    batPct: number | null;
    online: boolean;
    offlineSince: string | null;
    broker: string | null;
    buffered: number | null;
    buffering: boolean;
    lastBackfillAt: string | null;
  }[];
}

let inst: Instance;

before(async () => {
  inst = await startInstance({}, undefined, {
    authenticator: fakeAuthenticator,
    webRoot: '/nonexistent-vigil-web',
  });
});

after(async () => {
  await inst?.destroy();
});

async function system(): Promise<{ backup: unknown; continuity: Continuity }> {
  const r = await apiRequest(inst.httpUrl, inst.ctx.ca.certPem, {
    path: '/api/v1/system',
    headers: sessionOf('viewer'),
  });
  assert.equal(r.status, 200, r.text);
  return r.json as { backup: unknown; continuity: Continuity };
}

describe('system status: backup and continuity', () => {
  it('reports backups as not configured and nothing recorded, rather than as a failure', async () => {
    const b = (await system()).backup as Record<string, unknown>;
    assert.equal(b.configured, false);
    assert.equal(b.newest, null);
    assert.equal(b.lastFailure, null);
    assert.equal(b.lastDrill, null);
    assert.equal(b.nextAt, null);
  });

  it('lists devices on battery or backup power and devices that delivered backfill in the last hour', async () => {
    const onBattery = await inst.addDevice('truck-0901');
    const buffering = await inst.addDevice('truck-0902');
    await inst.addDevice('truck-0903'); // never sends
    const now = Date.now();

    const a = await connectDevice(inst.url, onBattery);
    await send(
      a,
      'truck-0901',
      makeEnvelope(
        onBattery,
        'telemetry',
        {
          samples: [
            { ...truckSample(now - 60_000), power: 'mains' },
            { ...truckSample(now), power: 'battery', bat_pct: 41 },
          ],
        },
        { seq: 1 },
      ),
    );
    // Two hours offline, then the buffer arrives (samples older than backfillAfterMs), then live.
    const b = await connectDevice(inst.url, buffering);
    const buffered = [3, 2, 1].map((h) => truckSample(now - h * 3_600_000, 5));
    await send(b, 'truck-0902', makeEnvelope(buffering, 'telemetry', { samples: buffered }, { seq: 1 }));
    await send(
      b,
      'truck-0902',
      makeEnvelope(buffering, 'telemetry', { samples: [truckSample(now, 5.1)] }, { seq: 2 }),
    );
    await waitFor('readings stored', async () => (await inst.ctx.store.countReadings()) >= 6);

    const { continuity: c } = await system();
    assert.equal(c.brokerReachable, true);
    assert.deepEqual(c.onBatteryOrBackup, ['truck-0901']);
    assert.deepEqual(c.buffering, ['truck-0902']);
    assert.equal(c.bufferingWindowMs, 3_600_000);
    const byId = new Map(c.devices.map((d) => [d.id, d]));
    assert.deepEqual(
      { ...byId.get('truck-0901'), lastBackfillAt: null },
      {
        id: 'truck-0901',
        power: 'battery',
        batPct: 41,
        online: true,
        offlineSince: null,
        broker: null,
        buffered: null,
        buffering: false,
        lastBackfillAt: null,
      },
    );
    const d2 = byId.get('truck-0902');
    assert.equal(d2?.buffering, true);
    assert.equal(d2?.power, 'mains');
    assert.ok(
      d2?.lastBackfillAt && Math.abs(Date.parse(d2.lastBackfillAt) - now) < 60_000,
      String(d2?.lastBackfillAt),
    );
    assert.deepEqual(byId.get('truck-0903'), {
      id: 'truck-0903',
      power: null,
      batPct: null,
      online: false,
      offlineSince: null,
      broker: null,
      buffered: null,
      buffering: false,
      lastBackfillAt: null,
    });
    await closeClient(a);
    await closeClient(b);
  });

  it('forgets backfill older than the window', () => {
    const t = new BackfillTracker();
    t.observe({ deviceId: 'd1', readings: [{ backfill: false, receivedAt: 5000 }] });
    t.observe({ deviceId: 'd2', readings: [{ backfill: true, receivedAt: 1000 }] });
    t.observe({ deviceId: 'd3', readings: [{ backfill: true, receivedAt: 9000 }] });
    t.observe({ deviceId: 'd3', readings: [{ backfill: true, receivedAt: 7000 }] });
    assert.deepEqual(t.since(2000), ['d3']);
    assert.equal(t.lastAt('d3'), 9000);
    assert.equal(t.lastAt('d1'), null);
  });
});
