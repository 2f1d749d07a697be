/**
 * Actuators (docs/protocol.md §7.4 `set_output`): outputs declared per profile, checked by the
 * server before anything is queued, applied by the simulated device and reported back in an
 * `output` event, stored and shown through `GET /api/v1/devices/{id}/reported` with the running
 * firmware version, over real mTLS on loopback.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { AcceptedMessage } from '../src/ingest/pipeline.ts';
import { lifecycleOf } from '../src/server/lifecycle-wiring.ts';
import { SimDevice } from '../src/sim/sim-device.ts';
import { apiRequest } from './helpers/api-client.ts';
import { type Instance, startInstance, waitFor } from './helpers/instance.ts';

let inst: Instance;
let token: string;
const devices: SimDevice[] = [];

/** `GET /api/v1/devices/{id}/reported` as a viewer's API token. */
async function reportedOf(id: string) {
  const r = await apiRequest(inst.httpUrl, inst.ctx.ca.certPem, {
    path: `/api/v1/devices/${id}/reported`,
    method: 'GET',
    headers: { authorization: `Bearer ${token}` },
  });
  assert.equal(r.status, 200, r.text);
  return r.json as {
    firmware: { version: string } | null;
    outputs: { name: string; kind: string; value: number | boolean | null; ts: string | null }[];
  };
}
const reported: { deviceId: string; body: Record<string, unknown> }[] = [];

before(async () => {
  inst = await startInstance({ commands: { resendAfterSeconds: 1 } }, undefined, {
    onAccepted: (ev: AcceptedMessage) => {
      if (ev.channel !== 'events') return;
      for (const m of ev.messages)
        if (m.body.type === 'output') reported.push({ deviceId: ev.deviceId, body: m.body });
    },
  });
  token = (
    await inst.server.auth.tokens.create({
      label: 'wallboard',
      role: 'viewer',
      owner: 'admin',
      actor: 'test',
    })
  ).token;
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
      const c = await inst.ctx.lifecycleStores.commands.get(cmd.id);
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
    assert.equal((await inst.ctx.lifecycleStores.commands.list({ deviceId: 'ward-led-0002' })).length, 0);
  });
  it("reports each output's state from the device's stored output events, a change the device made itself included", async () => {
    const d = new SimDevice(await inst.addDevice('fridge-rly-0002', 'temperature-probe'), {
      brokerUrl: inst.url,
    });
    devices.push(d);
    await d.connect();
    assert.deepEqual((await reportedOf(d.id)).outputs, [
      { name: 'relay', kind: 'relay', label: 'Relay', value: null, ts: null, receivedAt: null },
    ]);
    await lifecycleOf(inst.server).commands.send({
      deviceId: d.id,
      op: 'set_output',
      args: { name: 'relay', value: true },
      actor: 'test',
    });
    await waitFor('relay on reported', async () => (await reportedOf(d.id)).outputs[0]?.value === true);
    // The device switches the relay off on its own (a local fault): no command, only its event.
    const offAt = Date.now();
    d.sendEvent({ type: 'output', name: 'relay', value: false });
    await waitFor('relay off reported', async () => (await reportedOf(d.id)).outputs[0]?.value === false);
    const relay = (await reportedOf(d.id)).outputs[0];
    assert.ok(relay?.ts && Date.parse(relay.ts) >= offAt - 1000, 'the time is the event time');
    // Both reports are in the device's event log, as stored by ingest.
    const stored = await inst.ctx.store.queryMessages({ deviceId: d.id, channel: 'events' });
    assert.deepEqual(
      stored.filter((m) => m.body.type === 'output').map((m) => m.body.value),
      [true, false],
    );
    // A value of the wrong kind for the output is not shown as its state.
    d.sendEvent({ type: 'output', name: 'relay', value: 7 });
    await waitFor('bad report stored', async () =>
      (await inst.ctx.store.queryMessages({ deviceId: d.id, channel: 'events' })).some(
        (m) => m.body.value === 7,
      ),
    );
    assert.equal((await reportedOf(d.id)).outputs[0]?.value, null);
  });

  it('reports the running firmware version a device sends after it boots', async () => {
    const d = new SimDevice(await inst.addDevice('fridge-fw-0001', 'temperature-probe'), {
      brokerUrl: inst.url,
    });
    devices.push(d);
    assert.equal((await reportedOf(d.id)).firmware, null);
    await d.connect();
    await waitFor('version reported', async () => (await reportedOf(d.id)).firmware?.version === '1.0.0');
  });
});
