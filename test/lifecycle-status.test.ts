/** Visibility (issue §6): device lifecycle, fleet rotation and expiry status, and /metrics. */

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { lifecycleOf } from '../src/server/lifecycle-wiring.ts';
import { SimDevice } from '../src/sim/sim-device.ts';
import { apiRequest } from './helpers/api-client.ts';
import { type Instance, startInstance, truckSample, waitFor } from './helpers/instance.ts';

let inst: Instance;
let token = '';
const sims: SimDevice[] = [];

const get = async (path: string) => {
  const r = await apiRequest(inst.httpUrl, inst.ctx.ca.certPem, {
    path,
    headers: { authorization: `Bearer ${token}` },
  });
  assert.equal(r.status, 200, `${path}: ${r.text}`);
  return r;
};

before(async () => {
  inst = await startInstance({ commands: { resendAfterSeconds: 1 } });
  token = (
    await inst.server.auth.tokens.create({
      label: 'scraper',
      role: 'operator',
      owner: 'admin',
      actor: 'test',
    })
  ).token;
});
after(async () => {
  for (const s of sims) await s.close();
  await inst.destroy();
});

describe('lifecycle visibility', () => {
  it('shows kid, its age, last rotation, certificate expiry and pending commands of a device', async () => {
    await inst.addDevice('vis-offline-01');
    await lifecycleOf(inst.server).rotation.rotate('vis-offline-01', 'test');
    const l = (await get('/api/v1/devices/vis-offline-01/lifecycle')).json as Record<string, unknown> & {
      lastRotation: { kid: number; state: string };
    };
    assert.equal(l.kid, 1);
    assert.match(String(l.kidCreatedAt), /Z$/);
    assert.deepEqual([l.lastRotation.kid, l.lastRotation.state], [2, 'pending']);
    assert.equal(l.pendingCommands, 1);
    assert.match(String(l.certNotAfter), /^\d{4}-/);
  });

  it('reports the fleet status and the rotation counters and soonest expiry on /metrics', async () => {
    const d = new SimDevice(await inst.addDevice('vis-online-01'), { brokerUrl: inst.url });
    sims.push(d);
    await d.connect();
    await lifecycleOf(inst.server).rotation.rotate(d.id, 'test');
    await waitFor('switched', () => d.kid === 2);
    d.record(truckSample(), [], true);
    await waitFor(
      'completed',
      async () => (await inst.ctx.lifecycleStores.rotations.latestRotations(d.id))[0]?.state === 'completed',
    );
    const fleet = (await get('/api/v1/system/lifecycle')).json as {
      rotation: { inProgress: number; overdue: number };
      certificates: { soonestExpiry: { deviceId: string } | null };
      counters: Record<string, number>;
    };
    assert.equal(fleet.rotation.inProgress, 1, 'the offline device');
    assert.equal(fleet.rotation.overdue, 0);
    assert.ok(fleet.certificates.soonestExpiry);
    assert.ok((fleet.counters.key_rotations_completed ?? 0) >= 1);
    const metrics = (await get('/metrics')).text;
    assert.match(metrics, /^vigil_lifecycle_events_total\{event="key_rotations_completed"\} [1-9]\d*$/m);
    assert.match(metrics, /^vigil_key_rotation_devices\{status="inProgress"\} 1$/m);
    assert.match(
      metrics,
      /^vigil_device_certificate_soonest_expiry_timestamp_seconds\{device="[a-z0-9-]+"\} \d+$/m,
    );
  });
});
