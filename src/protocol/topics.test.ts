import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  assertValidTopicPrefix,
  DEFAULT_TOPIC_PREFIX,
  deviceTopic,
  parseDeviceTopic,
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
    for (const ok of ['vigil/v1', 'a', 'site-1/vigil']) assert.doesNotThrow(() => assertValidTopicPrefix(ok));
    for (const bad of ['', '$SYS', 'a//b', 'a/+', 'a/#', '/a', 'x'.repeat(129), 'a\u0000']) {
      assert.throws(() => assertValidTopicPrefix(bad), TypeError, JSON.stringify(bad));
    }
  });
});
