/**
 * Actuators (docs/protocol.md §7.4 `set_output`): outputs declared per profile, checked by the
 * server before anything is queued, applied by the simulated device and reported back in an
 * `output` event, over real mTLS on loopback.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { lifecycleStoresOf } from '../src/data-dir/context.ts';
import type { AcceptedMessage } from '../src/ingest/pipeline.ts';
import { lifecycleOf } from '../src/server/lifecycle-wiring.ts';
import { SimDevice } from '../src/sim/sim-device.ts';
import { type Instance, startInstance, waitFor } from './helpers/instance.ts';

let inst: Instance;
const devices: SimDevice[] = [];
const reported: { deviceId: string; body: Record<string, unknown> }[] = [];

before(async () => {
  inst = await startInstance({ commands: { resendAfterSeconds: 1 } }, undefined, {
    onAccepted: (ev: AcceptedMessage) => {
      if (ev.channel !== 'events') return;
      for (const m of ev.messages)
        if (m.body.type === 'output') reported.push({ deviceId: ev.deviceId, body: m.body });
    },
  });
});
after(async () => {
  for (const d of devices) await d.close();
  await inst.destroy();
});

describe('set_output', () => {
  it('sets the LED level of a patient monitor and the device reports the applied state', async () => {
    const d = new SimDevice(await inst.addDevice('ward-led-0001', 'patient-vitals'), { brokerUrl: inst.url });
    devices.push(d);
    await d.connect();
    const cmd = await lifecycleOf(inst.server).commands.send({
      deviceId: d.id,
      op: 'set_output',
      args: { name: 'led', value: 40 },
      actor: 'test',
    });
    await waitFor('output event', () => reported.find((r) => r.deviceId === d.id));
    assert.deepEqual(reported.find((r) => r.deviceId === d.id)?.body, {
      type: 'output',
      name: 'led',
      value: 40,
    });
    assert.equal(d.outputs.led, 40);
    const acked = await waitFor('ack', async () => {
      const c = await lifecycleStoresOf(inst.ctx).commands.get(cmd.id);
      return c?.state === 'acked' ? c : undefined;
    });
    assert.deepEqual(acked.result, { name: 'led', value: 40 });
  });

  it('refuses an output the profile does not declare, or a value out of range, before queueing', async () => {
    await inst.addDevice('ward-led-0002', 'patient-vitals');
    await inst.addDevice('fridge-rly-0001', 'temperature-probe');
    for (const [id, args] of [
      ['ward-led-0002', { name: 'led', value: 101 }],
      ['ward-led-0002', { name: 'led', value: true }],
      ['ward-led-0002', { name: 'relay', value: true }],
      ['fridge-rly-0001', { name: 'relay', value: 1 }],
    ] as const) {
      await assert.rejects(
        lifecycleOf(inst.server).commands.send({ deviceId: id, op: 'set_output', args, actor: 'test' }),
        (e: Error & { code?: string }) => e.code === 'VIGIL_ERR_COMMAND_INVALID',
      );
    }
    assert.equal((await lifecycleStoresOf(inst.ctx).commands.list({ deviceId: 'ward-led-0002' })).length, 0);
  });
});
