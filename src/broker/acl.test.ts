import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  type BrokerIdentity,
  canPublish,
  canReceive,
  canSubscribe,
  identityName,
  isValidIdentity,
  isValidIdentityName,
} from './acl.ts';

const dev: BrokerIdentity = { kind: 'device', id: 'truck-0042' };
const svc: BrokerIdentity = { kind: 'service', name: 'vigil-ingest' };
const P = 'vigil/v1/devices';

describe('identity names', () => {
  const table: [string, boolean][] = [
    ['truck-0042', true],
    ['abc', true],
    ['0ab', true],
    [`a${'b'.repeat(63)}`, true],
    [`a${'b'.repeat(64)}`, false],
    ['ab', false],
    ['-abc', false],
    ['Truck-1', false],
    ['dev+1', false],
    ['dev#1', false],
    ['dev/1', false],
    ['dev\u00001', false],
    ['dev_1', false],
    ['', false],
  ];
  for (const [name, ok] of table) {
    it(`${ok ? 'accepts' : 'refuses'} identity name ${JSON.stringify(name)}`, () => {
      assert.equal(isValidIdentityName(name), ok);
      assert.equal(isValidIdentity({ kind: 'device', id: name }), ok);
      assert.equal(isValidIdentity({ kind: 'service', name }), ok);
    });
  }
  it('refuses an identity of an unknown kind', () => {
    assert.equal(isValidIdentity({ kind: 'admin', name: 'root-user' }), false);
    assert.equal(isValidIdentity(null), false);
  });
});

describe('canPublish', () => {
  const table: [string, BrokerIdentity, string, boolean][] = [
    ['device to its own telemetry', dev, `${P}/truck-0042/telemetry`, true],
    ['device to its own events', dev, `${P}/truck-0042/events`, true],
    ['device to its own acks', dev, `${P}/truck-0042/acks`, true],
    ['device to its own state', dev, `${P}/truck-0042/state`, true],
    ['device to its own commands', dev, `${P}/truck-0042/commands`, false],
    ['device to another device telemetry', dev, `${P}/truck-0043/telemetry`, false],
    // Ids that share a prefix: the ACL compares whole segments, never prefixes.
    ['device to a longer id it is a prefix of', dev, `${P}/truck-00421/telemetry`, false],
    ['device to a shorter id that is its prefix', dev, `${P}/truck-004/telemetry`, false],
    ['device to its id with a suffix on state', dev, `${P}/truck-0042x/state`, false],
    ['device to an unknown channel', dev, `${P}/truck-0042/config`, false],
    ['device to a deeper topic', dev, `${P}/truck-0042/telemetry/x`, false],
    ['device to a wildcard topic', dev, `${P}/+/telemetry`, false],
    ['device to $SYS', dev, '$SYS/broker/x', false],
    ['device with another prefix', dev, 'other/v1/devices/truck-0042/telemetry', false],
    ['device to a topic with trailing slash', dev, `${P}/truck-0042/telemetry/`, false],
    ['service to commands of a device', svc, `${P}/truck-0042/commands`, true],
    ['service to commands of an invalid id', svc, `${P}/Truck/commands`, false],
    ['service to telemetry', svc, `${P}/truck-0042/telemetry`, false],
    ['service to $SYS', svc, '$SYS/x', false],
    ['service to #', svc, '#', false],
  ];
  for (const [name, id, topic, ok] of table) {
    it(`${ok ? 'allows' : 'refuses'} ${name}`, () => assert.equal(canPublish(id, topic), ok));
  }
  it('honours a custom prefix', () => {
    assert.equal(canPublish(dev, 'acme/x/devices/truck-0042/telemetry', 'acme/x'), true);
    assert.equal(canPublish(dev, `${P}/truck-0042/telemetry`, 'acme/x'), false);
  });
  it('refuses an invalid identity even on a matching topic', () => {
    assert.equal(canPublish({ kind: 'device', id: '+' }, 'vigil/v1/devices/+/telemetry'), false);
  });
});

describe('canSubscribe', () => {
  const table: [string, BrokerIdentity, string, boolean][] = [
    ['device to its own commands', dev, `${P}/truck-0042/commands`, true],
    ['device to another device commands', dev, `${P}/truck-0043/commands`, false],
    ['device to the commands of a longer id', dev, `${P}/truck-00421/commands`, false],
    ['device to + commands', dev, `${P}/+/commands`, false],
    ['device to its own telemetry', dev, `${P}/truck-0042/telemetry`, false],
    ['device to #', dev, '#', false],
    ['device to +/#', dev, '+/#', false],
    ['device to $SYS/#', dev, '$SYS/#', false],
    ['service to + telemetry', svc, `${P}/+/telemetry`, true],
    ['service to + events', svc, `${P}/+/events`, true],
    ['service to + acks', svc, `${P}/+/acks`, true],
    ['service to + state', svc, `${P}/+/state`, true],
    ['service to one device telemetry', svc, `${P}/truck-0042/telemetry`, true],
    ['service to shared + telemetry', svc, `$share/vigil-ingest/${P}/+/telemetry`, true],
    ['service to shared one device events', svc, `$share/g1/${P}/truck-0042/events`, true],
    ['service to shared #', svc, '$share/g1/#', false],
    ['service to shared $SYS', svc, '$share/g1/$SYS/x', false],
    ['service to shared without filter', svc, '$share/g1', false],
    ['service to shared with bad group', svc, `$share/g+/${P}/+/telemetry`, false],
    ['service to + commands', svc, `${P}/+/commands`, false],
    ['service to #', svc, '#', false],
    ['service to +/#', svc, '+/#', false],
    ['service to prefix #', svc, 'vigil/v1/#', false],
    ['service to devices/+/#', svc, `${P}/+/#`, false],
    ['service to $SYS/#', svc, '$SYS/#', false],
    ['service to $SYS/+', svc, '$SYS/+', false],
    ['service to + + ', svc, `${P}/+/+`, false],
    ['service to invalid device segment', svc, `${P}/Bad!/telemetry`, false],
    ['service to empty filter', svc, '', false],
    ['service to a NUL filter', svc, `${P}/+/telemetry\u0000`, false],
  ];
  for (const [name, id, filter, ok] of table) {
    it(`${ok ? 'allows' : 'refuses'} ${name}`, () => assert.equal(canSubscribe(id, filter), ok));
  }
});

describe('canReceive', () => {
  const table: [string, BrokerIdentity, string, boolean][] = [
    ['device its own commands', dev, `${P}/truck-0042/commands`, true],
    ['device another device commands', dev, `${P}/truck-0043/commands`, false],
    ['device the commands of a longer id', dev, `${P}/truck-00421/commands`, false],
    ['device telemetry', dev, `${P}/truck-0042/telemetry`, false],
    ['service telemetry', svc, `${P}/truck-0042/telemetry`, true],
    ['service state', svc, `${P}/truck-0042/state`, true],
    ['service commands', svc, `${P}/truck-0042/commands`, false],
    ['service $SYS', svc, '$SYS/x/heartbeat', false],
  ];
  for (const [name, id, topic, ok] of table) {
    it(`${ok ? 'delivers' : 'withholds'} ${name}`, () => assert.equal(canReceive(id, topic), ok));
  }
});

describe('gateway ACL', () => {
  const bound = new Set(['probe-0001', 'probe-0002']);
  const gw: BrokerIdentity = { kind: 'gateway', name: 'site-gw', devices: bound };
  const G = 'vigil/v1/gateways';

  it('publishes telemetry, events and acks only for its bound devices, never their state', () => {
    for (const ch of ['telemetry', 'events', 'acks']) {
      assert.equal(canPublish(gw, `${P}/probe-0001/${ch}`), true, ch);
      assert.equal(canPublish(gw, `${P}/probe-0009/${ch}`), false, `unbound ${ch}`);
    }
    assert.equal(canPublish(gw, `${P}/probe-0001/state`), false);
    assert.equal(canPublish(gw, `${P}/probe-0001/commands`), false);
    assert.equal(canPublish(gw, `${P}/site-gw/telemetry`), false);
  });

  it('subscribes exactly to the commands of bound devices and its own config', () => {
    assert.equal(canSubscribe(gw, `${P}/probe-0002/commands`), true);
    assert.equal(canSubscribe(gw, `${P}/probe-0009/commands`), false);
    assert.equal(canSubscribe(gw, `${P}/+/commands`), false);
    assert.equal(canSubscribe(gw, `${P}/probe-0001/telemetry`), false);
    assert.equal(canSubscribe(gw, `${G}/site-gw/config`), true);
    assert.equal(canSubscribe(gw, `${G}/other-gw/config`), false);
    assert.equal(canSubscribe(gw, `${G}/+/config`), false);
    assert.equal(canSubscribe(gw, '#'), false);
  });

  it('publishes only its own status', () => {
    assert.equal(canPublish(gw, `${G}/site-gw/status`), true);
    assert.equal(canPublish(gw, `${G}/other-gw/status`), false);
    assert.equal(canPublish(gw, `${G}/site-gw/config`), false);
    assert.equal(canPublish(dev, `${G}/truck-0042/status`), false);
  });

  it('follows the live device set: an unbound device is refused at once', () => {
    const live = new Set(['probe-0001']);
    const g: BrokerIdentity = { kind: 'gateway', name: 'site-gw', devices: live };
    assert.equal(canReceive(g, `${P}/probe-0001/commands`), true);
    live.delete('probe-0001');
    assert.equal(canReceive(g, `${P}/probe-0001/commands`), false);
    assert.equal(canPublish(g, `${P}/probe-0001/telemetry`), false);
  });

  it('lets services read gateway status but not config; devices neither', () => {
    assert.equal(canReceive(svc, `${G}/site-gw/status`), true);
    assert.equal(canReceive(svc, `${G}/site-gw/config`), false);
    assert.equal(canReceive(dev, `${G}/site-gw/status`), false);
    assert.equal(isValidIdentity({ kind: 'gateway', name: 'site-gw', devices: ['x'] }), false);
  });
});

describe('defence in depth (each check refuses on its own)', () => {
  // Prefixes the topic parser accepts as plain text, so only the ACL's own checks refuse these.
  it('refuses reserved ($) and wildcard characters even inside a configured prefix', () => {
    for (const prefix of ['$x', 'a+', 'a#', 'a\u0000']) {
      assert.equal(canPublish(dev, `${prefix}/devices/truck-0042/telemetry`, prefix), false, prefix);
      assert.equal(canReceive(svc, `${prefix}/devices/truck-0042/telemetry`, prefix), false, prefix);
      assert.equal(canReceive(dev, `${prefix}/devices/truck-0042/commands`, prefix), false, prefix);
      assert.equal(canPublish(svc, `${prefix}/devices/truck-0042/commands`, prefix), false, prefix);
    }
    for (const prefix of ['$x', 'a#', 'a\u0000']) {
      assert.equal(canSubscribe(svc, `${prefix}/devices/+/telemetry`, prefix), false, prefix);
    }
    for (const prefix of ['a#', 'a\u0000'])
      assert.equal(canSubscribe(dev, `${prefix}/devices/truck-0042/commands`, prefix), false, prefix);
  });
  it('refuses a malformed identity on a topic it would otherwise match', () => {
    const badSvc = { kind: 'service', name: 'X' } as BrokerIdentity;
    const badDev = { kind: 'device', id: 'Truck-0042' } as BrokerIdentity;
    assert.equal(canPublish(badSvc, `${P}/truck-0042/commands`), false);
    assert.equal(canSubscribe(badSvc, `${P}/+/telemetry`), false);
    assert.equal(canReceive(badSvc, `${P}/truck-0042/telemetry`), false);
    assert.equal(canPublish(badDev, `vigil/v1/devices/Truck-0042/telemetry`), false);
    assert.equal(canSubscribe(badDev, 'vigil/v1/devices/Truck-0042/commands'), false);
    assert.equal(canReceive(badDev, 'vigil/v1/devices/Truck-0042/commands'), false);
  });
  it('refuses a topic or filter that is not a string', () => {
    const notString = 42 as unknown as string;
    assert.equal(canPublish(dev, notString), false);
    assert.equal(canSubscribe(svc, notString), false);
    assert.equal(canReceive(svc, notString), false);
  });
  it('refuses a $share group that is not plain from its first character', () => {
    assert.equal(canSubscribe(svc, `$share/+g1/${P}/+/telemetry`), false);
    assert.equal(canSubscribe(svc, `$share/!g1/${P}/+/telemetry`), false);
    assert.equal(canSubscribe(svc, `$share/${'g'.repeat(64)}/${P}/+/telemetry`), true);
    assert.equal(canSubscribe(svc, `$share/${'g'.repeat(65)}/${P}/+/telemetry`), false);
  });
  it('refuses identities that are not objects', () => {
    for (const v of [undefined, 'device', 7, { kind: 'device' }, { kind: 'service', id: 'truck-0042' }])
      assert.equal(isValidIdentity(v), false);
  });
  it('names a device by its id and a service by its name', () => {
    assert.equal(identityName(dev), 'truck-0042');
    assert.equal(identityName(svc), 'vigil-ingest');
  });
});
