import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  assertValidTopicPrefix,
  DEFAULT_TOPIC_PREFIX,
  DEVICE_UPLINK_CHANNELS,
  deviceTopic,
  GATEWAY_CHANNELS,
  gatewayTopic,
  INGEST_CHANNELS,
  parseDeviceTopic,
  parseGatewayTopic,
  splitDeviceTopic,
} from './topics.ts';

const P = DEFAULT_TOPIC_PREFIX;

describe('device topics', () => {
  it('parses what deviceTopic builds, for every channel', () => {
    for (const channel of ['telemetry', 'events', 'acks', 'state', 'commands'] as const) {
      assert.deepEqual(parseDeviceTopic(P, deviceTopic(P, 'truck-0042', channel)), {
        deviceId: 'truck-0042',
        channel,
      });
    }
    assert.deepEqual(parseDeviceTopic('site/a', 'site/a/devices/probe-001/telemetry'), {
      deviceId: 'probe-001',
      channel: 'telemetry',
    });
  });

  it('refuses other shapes, wildcards, bad ids, unknown channels and another prefix', () => {
    for (const topic of [
      `${P}/devices/truck-0042`,
      `${P}/devices/+/telemetry`,
      `${P}/devices/Truck-0042/telemetry`,
      `${P}/devices/truck-0042/nope`,
      `${P}/devices/truck-0042/telemetry/extra`,
      `other/devices/truck-0042/telemetry`,
      `${P}/devices/ab/telemetry`,
    ]) {
      assert.equal(parseDeviceTopic(P, topic), null, topic);
    }
  });

  it('splits a filter without judging its segments', () => {
    assert.deepEqual(splitDeviceTopic(P, `${P}/devices/+/telemetry`), ['+', 'telemetry']);
    assert.equal(splitDeviceTopic(P, `${P}/devices/+`), null);
  });

  it('accepts plain prefixes only', () => {
    for (const ok of ['vigil/v1', 'a', 'site-1/vigil', 'x'.repeat(128), 'a$', 'a/b$c']) {
      assert.doesNotThrow(() => assertValidTopicPrefix(ok), ok);
    }
    for (const bad of [
      '',
      '$SYS',
      'a//b',
      'a/+',
      'a/#',
      '/a',
      'a/',
      'x'.repeat(129),
      'a\u0000',
      'a+b',
      'a#b',
    ]) {
      assert.throws(() => assertValidTopicPrefix(bad), TypeError, JSON.stringify(bad));
    }
  });

  it('refuses a prefix that is not a string with its own message', () => {
    for (const bad of [['vigil'], 5, null, undefined]) {
      assert.throws(() => assertValidTopicPrefix(bad as unknown as string), {
        name: 'TypeError',
        message: `invalid topic prefix: ${JSON.stringify(bad)}`,
      });
    }
  });

  it('answers null for a topic that is not a string', () => {
    for (const t of [5, null, ['vigil/v1/devices/truck-0042/telemetry']]) {
      assert.equal(splitDeviceTopic(P, t as unknown as string), null);
      assert.equal(parseDeviceTopic(P, t as unknown as string), null);
    }
  });

  it('names the default prefix and the channels (DESIGN §3)', () => {
    assert.equal(DEFAULT_TOPIC_PREFIX, 'vigil/v1');
    assert.equal(deviceTopic('p/q', 'truck-0042', 'acks'), 'p/q/devices/truck-0042/acks');
    assert.deepEqual([...DEVICE_UPLINK_CHANNELS], ['telemetry', 'events', 'acks', 'state']);
    assert.deepEqual([...INGEST_CHANNELS], ['telemetry', 'events', 'acks']);
  });
});

describe('gateway topics', () => {
  it('builds and parses <prefix>/gateways/<id>/<channel> for each channel', () => {
    for (const channel of GATEWAY_CHANNELS) {
      const topic = gatewayTopic('vigil/v1', 'gw-ward-b', channel);
      assert.equal(topic, `vigil/v1/gateways/gw-ward-b/${channel}`);
      assert.deepEqual(parseGatewayTopic('vigil/v1', topic), { gatewayId: 'gw-ward-b', channel });
    }
  });

  it('answers null for another prefix, a device topic, a bad id, an unknown channel or extra levels', () => {
    for (const topic of [
      'other/gateways/gw-ward-b/status',
      'x/vigil/v1/gateways/gw-ward-b/status',
      'vigil/v1/devices/gw-ward-b/status',
      'vigil/v1/gateways/GW_bad!/status',
      'vigil/v1/gateways/gw-ward-b/telemetry',
      'vigil/v1/gateways/gw-ward-b/status/extra',
      'vigil/v1/gateways/gw-ward-b',
      42 as never,
    ]) {
      assert.equal(parseGatewayTopic('vigil/v1', topic), null, String(topic));
    }
  });
});
