import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type BrokerIdentity, canPublish, canReceive, canSubscribe } from './acl.ts';
import {
  BROKER_STAT_TOPICS,
  INGEST_SERVICE_NAME,
  type MosquittoConfOptions,
  mosquittoAcl,
  mosquittoConf,
  queueLimits,
} from './mosquitto-config.ts';

const FILES = {
  cafile: '/etc/vigil-mq/ca.crt',
  certfile: '/etc/vigil-mq/server.crt',
  keyfile: '/etc/vigil-mq/server.key',
  crlfile: '/etc/vigil-mq/crl.pem',
  aclFile: '/etc/vigil-mq/acl',
  persistenceDir: '/etc/vigil-mq/data',
};
const BASE: MosquittoConfOptions = { port: 8883, host: '0.0.0.0', files: FILES, maxPacketBytes: 20480 };

/** The directives of a mosquitto.conf, in order, comments and blank lines dropped. */
function directives(conf: string): [string, string][] {
  return conf
    .split('\n')
    .filter((l) => l.trim() !== '' && !l.startsWith('#'))
    .map((l) => {
      const sp = l.indexOf(' ');
      return [l.slice(0, sp), l.slice(sp + 1)];
    });
}

/** MQTT topic-filter matching (MQTT 3.1.1 §4.7), as Mosquitto applies it to ACL entries. */
function filterMatches(filter: string, topic: string): boolean {
  const f = filter.split('/');
  const t = topic.split('/');
  for (let i = 0; i < f.length; i++) {
    if (f[i] === '#') return true;
    if (i >= t.length) return false;
    if (f[i] !== '+' && f[i] !== t[i]) return false;
  }
  return f.length === t.length;
}

/**
 * A small model of Mosquitto's acl_file check (mosquitto.conf(5) "acl_file"): default deny; a
 * `topic` line belongs to the last `user`; `pattern` lines apply to every user with `%u`
 * replaced by the username; `read`/`write`/`readwrite` grant that access.
 */
function aclAllows(acl: string, username: string, topic: string, access: 'read' | 'write'): boolean {
  let user: string | null = null;
  // Deny rules first, before any grant.
  for (const line of acl.split('\n')) {
    const [kw, a, t] = line.split(' ') as [string, string, string];
    if (kw === 'user') user = a;
    if (kw === 'topic' && a === 'deny' && user === username && filterMatches(t, topic)) return false;
  }
  user = null;
  for (const line of acl.split('\n')) {
    if (line.startsWith('#') || line.trim() === '') continue;
    const [kw, a, t] = line.split(' ') as [string, string, string];
    if (kw === 'user') {
      user = a;
      continue;
    }
    const grants = a === 'readwrite' || a === access;
    if (kw === 'topic' && user === username && grants && filterMatches(t, topic)) return true;
    if (kw === 'pattern' && grants && filterMatches(t.replaceAll('%u', username), topic)) return true;
  }
  return false;
}

describe('mosquittoConf', () => {
  it('declares exactly one mutual-TLS listener with the certificate CN as identity', () => {
    const d = directives(mosquittoConf({ ...BASE, port: 18883, host: '127.0.0.1' }));
    assert.deepEqual(
      d.filter(([k]) => k === 'listener'),
      [['listener', '18883 127.0.0.1']],
    );
    const listenerAt = d.findIndex(([k]) => k === 'listener');
    const after = new Map(d.slice(listenerAt + 1));
    assert.equal(after.get('cafile'), FILES.cafile);
    assert.equal(after.get('certfile'), FILES.certfile);
    assert.equal(after.get('keyfile'), FILES.keyfile);
    assert.equal(after.get('crlfile'), FILES.crlfile);
    assert.equal(after.get('require_certificate'), 'true');
    assert.equal(after.get('use_identity_as_username'), 'true');
    assert.equal(after.get('use_username_as_clientid'), 'true');
    assert.equal(after.get('tls_version'), 'tlsv1.2');
  });

  it('binds every IPv4 and IPv6 address for the dual-stack ::, since Mosquitto makes :: IPv6-only', () => {
    const listener = (host: string | undefined) =>
      directives(mosquittoConf({ ...BASE, host })).filter(([k]) => k === 'listener');
    assert.deepEqual(listener('::'), [['listener', '8883']]);
    assert.deepEqual(listener(undefined), [['listener', '8883']]);
    assert.deepEqual(listener('0.0.0.0'), [['listener', '8883 0.0.0.0']]);
    assert.deepEqual(listener('::1'), [['listener', '8883 ::1']]);
  });

  it('opens no default or plain listener and allows no anonymous client', () => {
    const d = directives(mosquittoConf(BASE));
    const keys = d.map(([k]) => k);
    for (const k of ['port', 'bind_address', 'psk_file', 'password_file', 'allow_zero_length_clientid']) {
      assert.ok(!keys.includes(k), `no ${k}`);
    }
    const m = new Map(d);
    assert.equal(m.get('allow_anonymous'), 'false');
    assert.equal(m.get('per_listener_settings'), 'false');
    assert.equal(m.get('acl_file'), FILES.aclFile);
    // Every directive appears once: a later duplicate would silently win in Mosquitto.
    assert.equal(new Set(keys).size, keys.length);
  });

  it('sets max_packet_size to maxPacketBytes plus the largest fixed header', () => {
    const m = new Map(directives(mosquittoConf({ ...BASE, maxPacketBytes: 4096 })));
    assert.equal(m.get('max_packet_size'), '4101');
  });

  it('sizes the backend queues for the outage budget and persists with a short autosave', () => {
    const q = queueLimits({ ratePerSec: 1667, maxOutageMinutes: 60 });
    assert.equal(q.maxMessages, Math.ceil(1667 * 3600 * 1.2));
    assert.equal(q.maxBytes, q.maxMessages * 1024);
    assert.equal(queueLimits({ ratePerSec: 0.1, maxOutageMinutes: 1 }).maxMessages, 10_000, 'a floor');
    const m = new Map(
      directives(mosquittoConf({ ...BASE, queue: { ...q, ratePerSec: 1667, maxOutageMinutes: 60 } })),
    );
    assert.equal(m.get('max_queued_messages'), String(q.maxMessages));
    assert.equal(m.get('max_queued_bytes'), String(q.maxBytes));
    assert.equal(m.get('autosave_interval'), '10');
    assert.equal(m.get('persistent_client_expiration'), '7d');
  });

  it('persists sessions into the given directory', () => {
    const m = new Map(directives(mosquittoConf(BASE)));
    assert.equal(m.get('persistence'), 'true');
    assert.equal(m.get('persistence_location'), '/etc/vigil-mq/data/');
  });

  it('names the unprivileged user only when asked', () => {
    assert.ok(!new Map(directives(mosquittoConf(BASE))).has('user'));
    assert.equal(new Map(directives(mosquittoConf({ ...BASE, user: 'mosquitto' }))).get('user'), 'mosquitto');
  });

  it('refuses values that could break out of their line or point nowhere', () => {
    assert.throws(() => mosquittoConf({ ...BASE, port: 0 }), TypeError);
    assert.throws(() => mosquittoConf({ ...BASE, port: 65536 }), TypeError);
    assert.throws(() => mosquittoConf({ ...BASE, host: '127.0.0.1\nlistener 1883' }), TypeError);
    assert.throws(() => mosquittoConf({ ...BASE, host: '0.0.0.0 extra' }), TypeError);
    assert.throws(
      () => mosquittoConf({ ...BASE, files: { ...FILES, crlfile: '/x/crl.pem\nallow_anonymous true' } }),
      TypeError,
    );
    assert.throws(() => mosquittoConf({ ...BASE, files: { ...FILES, keyfile: 'server.key' } }), TypeError);
    assert.throws(() => mosquittoConf({ ...BASE, user: 'root\nlistener 1' }), TypeError);
    assert.throws(() => mosquittoConf({ ...BASE, maxPacketBytes: 10 }), TypeError);
  });
});

/** Mosquitto's verdict on `acl` equals the embedded broker's (src/broker/acl.ts) for every pair. */
function assertSameAsEmbedded(acl: string, ids: readonly BrokerIdentity[], topics: readonly string[]): void {
  for (const who of ids) {
    const name = who.kind === 'device' ? who.id : who.name;
    for (const t of topics) {
      // Stricter on purpose: a service gets nothing under `devices/<its own name>/`.
      const own = who.kind === 'service' && t.startsWith(`vigil/v1/devices/${name}/`);
      assert.equal(aclAllows(acl, name, t, 'write'), canPublish(who, t) && !own, `${name} write ${t}`);
      assert.equal(aclAllows(acl, name, t, 'read'), canReceive(who, t) && !own, `${name} read ${t}`);
    }
  }
}

describe('mosquittoAcl', () => {
  it('lets a device write only its own uplinks and read only its own commands', () => {
    const acl = mosquittoAcl();
    for (const ch of ['telemetry', 'events', 'acks', 'state']) {
      assert.ok(acl.includes(`pattern write vigil/v1/devices/%u/${ch}\n`), ch);
    }
    assert.ok(acl.includes('pattern read vigil/v1/devices/%u/commands\n'));
    assert.equal((acl.match(/^pattern /gm) ?? []).length, 5);
  });

  it('lets the ingest service read every uplink and write every command', () => {
    const acl = mosquittoAcl();
    const block = acl.slice(acl.indexOf(`user ${INGEST_SERVICE_NAME}\n`));
    assert.ok(block.length < acl.length, 'has a user block');
    for (const ch of ['telemetry', 'events', 'acks', 'state']) {
      assert.ok(block.includes(`topic read vigil/v1/devices/+/${ch}\n`), ch);
    }
    assert.ok(block.includes('topic write vigil/v1/devices/+/commands\n'));
    assert.ok(block.includes(`topic deny vigil/v1/devices/${INGEST_SERVICE_NAME}/+\n`));
  });

  it('grants no wildcard-everything or anonymous rule, and of $SYS only the counters Vigil follows, to services', () => {
    const acl = mosquittoAcl({ services: ['vigil-ingest', 'vigil-api'] });
    const rules = acl.split('\n').filter((l) => /^(topic|pattern) /.test(l));
    assert.ok(rules.every((r) => !r.includes('#')));
    const sys = rules.filter((r) => r.includes('$SYS'));
    assert.deepEqual([...new Set(sys)].sort(), BROKER_STAT_TOPICS.map((t) => `topic read ${t}`).sort());
    assert.equal(sys.length, 2 * BROKER_STAT_TOPICS.length, 'once per service');
    for (const t of BROKER_STAT_TOPICS) {
      assert.ok(aclAllows(acl, 'vigil-ingest', t, 'read'));
      assert.ok(!aclAllows(acl, 'truck-0001', t, 'read'), 'a device reads no broker counter');
    }
    assert.ok(!aclAllows(acl, 'vigil-ingest', '$SYS/broker/clients/connected', 'read'));
    assert.ok(
      rules.every((r) => / (read|write|deny) /.test(r)),
      'every rule names its access',
    );
    // Topic rules only appear after a user line (none for anonymous clients).
    const firstUser = acl.split('\n').findIndex((l) => l.startsWith('user '));
    const firstTopic = acl.split('\n').findIndex((l) => l.startsWith('topic '));
    assert.ok(firstUser >= 0 && firstUser < firstTopic);
    assert.equal((acl.match(/^user /gm) ?? []).length, 2);
  });

  it('uses the configured topic prefix', () => {
    const acl = mosquittoAcl({ topicPrefix: 'acme/cold-chain/v2' });
    assert.ok(acl.includes('pattern write acme/cold-chain/v2/devices/%u/telemetry\n'));
    assert.ok(acl.includes('topic read acme/cold-chain/v2/devices/+/events\n'));
    assert.ok(!acl.includes('vigil/v1'));
  });

  it('refuses a prefix or service name that would inject a rule or a substitution', () => {
    assert.throws(() => mosquittoAcl({ topicPrefix: 'vigil/v1\ntopic readwrite #' }), TypeError);
    assert.throws(() => mosquittoAcl({ topicPrefix: 'vigil/%u' }), TypeError);
    assert.throws(() => mosquittoAcl({ topicPrefix: 'vigil/#' }), TypeError);
    assert.throws(() => mosquittoAcl({ services: ['Vigil Ingest'] }), TypeError);
    assert.throws(() => mosquittoAcl({ services: ['vigil-ingest\ntopic readwrite #'] }), TypeError);
    assert.throws(() => mosquittoAcl({ services: [] }), TypeError);
  });

  it('grants exactly what the embedded broker grants (src/broker/acl.ts)', () => {
    const acl = mosquittoAcl({ services: ['vigil-ingest'] });
    const ids: BrokerIdentity[] = [
      { kind: 'device', id: 'truck-0001' },
      { kind: 'device', id: 'probe-0002' },
      { kind: 'service', name: 'vigil-ingest' },
    ];
    const topics: string[] = [];
    for (const dev of ['truck-0001', 'probe-0002', 'other-0003', 'vigil-ingest']) {
      for (const ch of ['telemetry', 'events', 'acks', 'state', 'commands', 'debug']) {
        topics.push(`vigil/v1/devices/${dev}/${ch}`);
      }
    }
    topics.push('vigil/v1/devices/truck-0001', 'vigil/v1/other/truck-0001/telemetry', 'elsewhere/x');
    assertSameAsEmbedded(acl, ids, topics);
    // The ingest link's filters are readable for the service and for no device.
    for (const ch of ['telemetry', 'events', 'acks']) {
      const filter = `vigil/v1/devices/+/${ch}`;
      assert.ok(canSubscribe(ids[2]!, `$share/vigil-ingest/${filter}`));
      assert.ok(aclAllows(acl, 'vigil-ingest', filter, 'read'));
      assert.ok(!aclAllows(acl, 'truck-0001', filter, 'read'));
    }
  });

  it('grants a gateway exactly what the embedded broker grants, for its bound devices only', () => {
    const acl = mosquittoAcl({
      services: ['vigil-ingest'],
      gateways: [
        { id: 'site-gw', devices: ['probe-0001', 'probe-0002'] },
        { id: 'depot-gw', devices: [] },
      ],
    });
    const ids: BrokerIdentity[] = [
      { kind: 'gateway', name: 'site-gw', devices: new Set(['probe-0001', 'probe-0002']) },
      { kind: 'gateway', name: 'depot-gw', devices: new Set() },
      { kind: 'device', id: 'probe-0001' },
      { kind: 'service', name: 'vigil-ingest' },
    ];
    const topics: string[] = [];
    for (const dev of ['probe-0001', 'probe-0002', 'probe-0003', 'site-gw', 'depot-gw']) {
      for (const ch of ['telemetry', 'events', 'acks', 'state', 'commands'])
        topics.push(`vigil/v1/devices/${dev}/${ch}`);
    }
    for (const gw of ['site-gw', 'depot-gw', 'other-gw']) {
      for (const ch of ['status', 'config', 'debug']) topics.push(`vigil/v1/gateways/${gw}/${ch}`);
    }
    assertSameAsEmbedded(acl, ids, topics);
    // The link's subscription to every gateway's status: services only.
    assert.ok(aclAllows(acl, 'vigil-ingest', 'vigil/v1/gateways/+/status', 'read'));
    assert.ok(!aclAllows(acl, 'site-gw', 'vigil/v1/gateways/+/status', 'read'));
    assert.ok(!aclAllows(acl, 'site-gw', 'vigil/v1/devices/+/commands', 'read'));
  });

  it('refuses a gateway or device id that would inject a rule', () => {
    assert.throws(
      () => mosquittoAcl({ gateways: [{ id: 'gw\ntopic readwrite #', devices: [] }] }),
      TypeError,
    );
    assert.throws(() => mosquittoAcl({ gateways: [{ id: 'site-gw', devices: ['+'] }] }), TypeError);
    assert.throws(() => mosquittoAcl({ gateways: [{ id: 'site-gw', devices: ['a b'] }] }), TypeError);
  });
});
