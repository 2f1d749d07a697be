import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { newMessageContext } from './message-context.ts';
import { parseTopic } from './parse-topic.ts';
import { codeOf, NOW, refusalOf, stepDeps } from './steps.fixture.ts';

const deps = stepDeps([]);
const at = (
  topic: string,
  extra: { publisher?: string; route?: { deviceId: string; channel: string } } = {},
) => newMessageContext({ topic, payload: Buffer.from('{}'), receivedAt: NOW, ...extra }, NOW);

describe('parseTopic', () => {
  it('takes device and channel from a device data topic', async () => {
    for (const channel of ['telemetry', 'events', 'acks'] as const) {
      const ctx = at(`vigil/v1/devices/truck-0042/${channel}`, { publisher: 'truck-0042' });
      assert.equal(await codeOf(parseTopic, ctx, deps), null);
      assert.equal(ctx.deviceId, 'truck-0042');
      assert.equal(ctx.channel, channel);
    }
  });

  it('refuses state, commands and topics that are not device data topics', async () => {
    for (const t of [
      'vigil/v1/devices/truck-0042/state',
      'vigil/v1/devices/truck-0042/commands',
      'vigil/v1/devices/truck-0042/telemetry/x',
      'vigil/v2/devices/truck-0042/telemetry',
      'vigil/v1/devices/TRUCK/telemetry',
      'vigil/v1/devices/+/telemetry',
    ]) {
      assert.equal(await codeOf(parseTopic, at(t), deps), 'VIGIL_ERR_TOPIC', t);
    }
  });

  it('accepts the gateway bound to the topic device and refuses any other gateway', async () => {
    const bound = { ...deps, gatewayOf: (id: string) => (id === 'truck-0042' ? 'site-gw' : undefined) };
    const via = (publisher: string) => at('vigil/v1/devices/truck-0042/telemetry', { publisher });
    assert.equal(await codeOf(parseTopic, via('site-gw'), bound), null);
    assert.equal(await codeOf(parseTopic, via('other-gw'), bound), 'VIGIL_ERR_ACL');
    assert.equal(await codeOf(parseTopic, via('site-gw'), deps), 'VIGIL_ERR_ACL');
  });

  it('refuses a publisher that is not the topic device', async () => {
    const ctx = at('vigil/v1/devices/truck-0042/telemetry', { publisher: 'truck-0043' });
    assert.deepEqual(await refusalOf(parseTopic, ctx, deps), {
      code: 'VIGIL_ERR_ACL',
      detail: 'publisher is neither the topic device nor its gateway',
    });
    assert.deepEqual(await refusalOf(parseTopic, at('x/y'), deps), {
      code: 'VIGIL_ERR_TOPIC',
      detail: 'not a device data topic',
    });
  });

  it("takes the broker's parse when it sent one, so a topic is parsed once", async () => {
    const ctx = at('not parsed again', { route: { deviceId: 'truck-0042', channel: 'events' } });
    assert.equal(await codeOf(parseTopic, ctx, deps), null);
    assert.deepEqual([ctx.deviceId, ctx.channel], ['truck-0042', 'events']);
    const state = at('x', { route: { deviceId: 'truck-0042', channel: 'state' } });
    assert.equal(await codeOf(parseTopic, state, deps), 'VIGIL_ERR_TOPIC');
  });
});
