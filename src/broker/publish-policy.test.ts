import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { BrokerIdentity } from './acl.ts';
import { isStatePayload, publishRefusal, willRefusal } from './publish-policy.ts';

const P = 'vigil/v1';
const T = (id: string, ch: string) => `${P}/devices/${id}/${ch}`;
const dev: BrokerIdentity = { kind: 'device', id: 'truck-0042' };
const svc: BrokerIdentity = { kind: 'service', name: 'vigil-ingest' };

describe('publishRefusal', () => {
  const cases: [string, BrokerIdentity, Parameters<typeof publishRefusal>[1], string | null][] = [
    ['telemetry at QoS 1', dev, { topic: T('truck-0042', 'telemetry'), payload: '{}', qos: 1 }, null],
    ['events at QoS 1', dev, { topic: T('truck-0042', 'events'), payload: '{}', qos: 1 }, null],
    ['acks at QoS 1', dev, { topic: T('truck-0042', 'acks'), payload: '{}', qos: 1 }, null],
    [
      'retained online state',
      dev,
      { topic: T('truck-0042', 'state'), payload: 'online', qos: 1, retain: true },
      null,
    ],
    ['commands from a service', svc, { topic: T('truck-0042', 'commands'), payload: '{}', qos: 1 }, null],
    [
      'telemetry at QoS 0',
      dev,
      { topic: T('truck-0042', 'telemetry'), payload: '{}', qos: 0 },
      'qos_not_allowed',
    ],
    [
      'telemetry at QoS 2',
      dev,
      { topic: T('truck-0042', 'telemetry'), payload: '{}', qos: 2 },
      'qos_not_allowed',
    ],
    ['events at QoS 0', dev, { topic: T('truck-0042', 'events'), payload: '{}', qos: 0 }, 'qos_not_allowed'],
    ['acks at QoS 2', dev, { topic: T('truck-0042', 'acks'), payload: '{}', qos: 2 }, 'qos_not_allowed'],
    [
      'state at QoS 0',
      dev,
      { topic: T('truck-0042', 'state'), payload: 'online', qos: 0, retain: true },
      'qos_not_allowed',
    ],
    [
      'commands at QoS 2',
      svc,
      { topic: T('truck-0042', 'commands'), payload: '{}', qos: 2 },
      'qos_not_allowed',
    ],
    [
      'a QoS that is not a number',
      dev,
      { topic: T('truck-0042', 'telemetry'), payload: '{}', qos: '1' },
      'qos_not_allowed',
    ],
    [
      'retained telemetry',
      dev,
      { topic: T('truck-0042', 'telemetry'), payload: '{}', qos: 1, retain: true },
      'retain_not_allowed',
    ],
    ['state "hello"', dev, { topic: T('truck-0042', 'state'), payload: 'hello', qos: 1 }, 'state_payload'],
    [
      'a longer id it is a prefix of',
      dev,
      { topic: T('truck-00421', 'telemetry'), payload: '{}', qos: 1 },
      'acl_publish',
    ],
    ['$SYS', dev, { topic: '$SYS/broker/x', payload: '{}', qos: 1 }, 'acl_publish'],
    ['a topic that is not a string', dev, { topic: 42, payload: '{}', qos: 1 }, 'acl_publish'],
  ];
  for (const [name, id, packet, want] of cases) {
    it(`${want ? `refuses (${want})` : 'allows'} ${name}`, () =>
      assert.equal(publishRefusal(id, packet, P), want));
  }
});

describe('willRefusal', () => {
  const good = { topic: T('truck-0042', 'state'), payload: Buffer.from('offline'), qos: 1, retain: true };
  it('allows the own state topic, payload offline, QoS 1, retained', () => {
    assert.equal(willRefusal(dev, good, P), null);
  });
  const cases: [string, BrokerIdentity, Record<string, unknown>, string][] = [
    ['another device state', dev, { topic: T('truck-0043', 'state') }, 'will_topic'],
    ['the state of a longer id', dev, { topic: T('truck-00421', 'state') }, 'will_topic'],
    ['own telemetry', dev, { topic: T('truck-0042', 'telemetry') }, 'will_topic'],
    ['payload online', dev, { payload: Buffer.from('online') }, 'will_payload'],
    ['an envelope as payload', dev, { payload: Buffer.from('{"v":1}') }, 'will_payload'],
    ['QoS 0', dev, { qos: 0 }, 'will_qos'],
    ['QoS 2', dev, { qos: 2 }, 'will_qos'],
    ['not retained', dev, { retain: false }, 'will_retain'],
    ['any will of a service', svc, {}, 'will_topic'],
  ];
  for (const [name, id, change, want] of cases) {
    it(`refuses a will with ${name} (${want})`, () =>
      assert.equal(willRefusal(id, { ...good, ...change }, P), want));
  }
});

describe('isStatePayload', () => {
  it('accepts exactly online and offline', () => {
    for (const p of ['online', 'offline', Buffer.from('online')]) assert.equal(isStatePayload(p), true);
    for (const p of ['Online', 'offline\n', '"online"', '', 'x'.repeat(17), 42, null]) {
      assert.equal(isStatePayload(p), false, String(p));
    }
  });
});
