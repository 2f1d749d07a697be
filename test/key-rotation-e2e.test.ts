/**
 * Device secret rotation kid N → N+1 by ECDH (docs/protocol.md §12) with simulated devices over
 * real mTLS: under load, offline devices, and the retired kid refused afterwards.
 */

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { lifecycleOf } from '../src/server/lifecycle-wiring.ts';
import { SimDevice } from '../src/sim/sim-device.ts';
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
import { publishWhile, waitAllStored } from './helpers/sim-fleet.fixture.ts';

let inst: Instance;
const devices: SimDevice[] = [];

before(async () => {
  inst = await startInstance({ commands: { resendAfterSeconds: 1 }, keys: { rotationOverlapMinutes: 60 } });
});
after(async () => {
  for (const d of devices) await d.close();
  await inst.destroy();
});

async function sim(id: string, connect = true): Promise<SimDevice> {
  const d = new SimDevice(await inst.addDevice(id), { brokerUrl: inst.url });
  devices.push(d);
  if (connect) await d.connect();
  return d;
}

const rotation = () => lifecycleOf(inst.server).rotation;
const keyStatus = async (id: string) =>
  Object.fromEntries((await inst.ctx.store.listDeviceKeys(id)).map((k) => [k.kid, k.status]));

describe('device secret rotation', () => {
  it('rotates 12 publishing devices with no reading lost, and retires the old kid', async () => {
    const fleet: SimDevice[] = [];
    for (let i = 1; i <= 12; i++) fleet.push(await sim(`rot-load-${String(i).padStart(3, '0')}`));
    const load = publishWhile(fleet, 20, 400);
    await new Promise((r) => setTimeout(r, 300));
    for (const d of fleet) await rotation().rotate(d.id, 'test');
    await waitFor(
      'all rotations completed',
      async () => {
        const latest = await inst.ctx.lifecycleStores.rotations.latestRotations();
        return fleet.every((d) => latest.find((r) => r.deviceId === d.id)?.state === 'completed');
      },
      20_000,
    );
    await new Promise((r) => setTimeout(r, 300));
    const recorded = await load.stop();
    for (const d of fleet) {
      assert.equal(d.kid, 2, `${d.id} sends under kid 2`);
      assert.deepEqual(await keyStatus(d.id), { 1: 'retired', 2: 'active' });
      assert.equal((await inst.ctx.store.getDevice(d.id))?.currentKid, 2);
    }
    await waitAllStored(inst, fleet, recorded);
    const audit = await inst.ctx.store.queryAudit({ action: 'key.rotation_completed', limit: 100 });
    assert.equal(audit.filter((a) => String(a.object).startsWith('rot-load-')).length, 12);
  });

  it('refuses and counts a message under the retired kid', async () => {
    const d = await sim('rot-retired-01');
    const oldBundle = {
      ...(await import('../src/sim/device-bundle.ts')).readDeviceBundle(
        `${inst.dataDir}/bundles/rot-retired-01`,
      ),
    };
    await rotation().rotate(d.id, 'test');
    await waitFor(
      'acked',
      async () => (await inst.ctx.lifecycleStores.rotations.latestRotations(d.id))[0]?.state === 'acked',
    );
    d.record(truckSample(), [], true);
    await waitFor(
      'completed',
      async () => (await inst.ctx.lifecycleStores.rotations.latestRotations(d.id))[0]?.state === 'completed',
    );
    await d.close();
    const refused = () => inst.server.rejections.totals().unknown_kid ?? 0;
    const before = refused();
    const c = await connectDevice(inst.url, oldBundle);
    try {
      // Sealed with the old secret (kid 1), fresh seq: MAC would be valid, but kid 1 is retired.
      await send(
        c,
        d.id,
        makeEnvelope(oldBundle, 'telemetry', { samples: [truckSample()] }, { seq: 1_000_000 }),
      );
    } finally {
      await closeClient(c);
    }
    await waitFor('counted', () => refused() > before);
    const readings = await inst.ctx.store.queryReadings({ deviceId: d.id, limit: 1000 });
    assert.ok(!readings.some((r) => r.seq === 1_000_000), 'nothing stored under the retired kid');
  });

  it('completes the rotation of an offline device when it returns', async () => {
    const d = await sim('rot-offline-01', false);
    const cmd = await rotation().rotate(d.id, 'test');
    await new Promise((r) => setTimeout(r, 500));
    assert.equal((await inst.ctx.lifecycleStores.rotations.latestRotations(d.id))[0]?.state, 'pending');
    assert.equal(d.kid, 1);
    await d.connect();
    await waitFor(
      'acked',
      async () => (await inst.ctx.lifecycleStores.commands.get(cmd.id))?.state === 'acked',
    );
    d.record(truckSample(), [], true);
    await waitFor(
      'completed',
      async () => (await inst.ctx.lifecycleStores.rotations.latestRotations(d.id))[0]?.state === 'completed',
    );
    assert.equal(d.kid, 2);
    assert.deepEqual(await keyStatus(d.id), { 1: 'retired', 2: 'active' });
  });

  it('refuses a second rotation while one is pending', async () => {
    const d = await sim('rot-twice-001', false);
    await rotation().rotate(d.id, 'test');
    await assert.rejects(rotation().rotate(d.id, 'test'), /rotation is already in progress/);
  });
});
