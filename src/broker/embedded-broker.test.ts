import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { MqttClient } from 'mqtt';
import mqttPacket from 'mqtt-packet';
import { makeTestPki, type TestCert, type TestPki } from '../pki/test-pki.fixture.ts';
import type { BrokerIdentity } from './acl.ts';
import { closedWithin, deferred, FakeSink, rawTls, sleep, tryConnect, waitUntil } from './broker.fixture.ts';
import type { BrokerSecurityEvent } from './broker-types.ts';
import { EmbeddedBroker } from './embedded-broker.ts';

const T = (id: string, ch: string) => `vigil/v1/devices/${id}/${ch}`;

/** The SUBACK return codes, in SUBSCRIBE order (MQTT.js turns a 128 into an error carrying the packet). */
function subackCodes(client: MqttClient, topics: Record<string, { qos: 0 | 1 | 2 }>): Promise<number[]> {
  return new Promise((resolve, reject) => {
    client.subscribe(topics, (err, granted) => {
      const packet = (err as { packet?: { granted?: number[] } } | null)?.packet;
      if (packet?.granted) resolve(packet.granted);
      else if (err) reject(err);
      else resolve((granted ?? []).map((g) => g.qos));
    });
  });
}

// Every property once with TLS on the main thread and once through two TLS offload workers.
for (const listenerWorkers of [0, 2])
  describe(`EmbeddedBroker (listenerWorkers: ${listenerWorkers})`, { timeout: 60_000 }, () => {
    let pki: TestPki;
    let broker: EmbeddedBroker;
    let port: number;
    const sink = new FakeSink();
    const events: BrokerSecurityEvent[] = [];
    const registry = new Map<string, BrokerIdentity | 'disabled'>();
    const certs: Record<string, TestCert> = {};
    const open: MqttClient[] = [];

    const ca = () => pki.certPem;
    /** Waits for a security event with this reason (and CN), among those recorded after index `since`. */
    const waitEvent = (reason: string, cn?: string, since = 0) =>
      waitUntil(
        () => events.slice(since).some((e) => e.reason === reason && (cn === undefined || e.cn === cn)),
        3000,
        `security event ${reason}`,
      );
    async function connectAs(cn: string, opts: Parameters<typeof tryConnect>[3] = { clientId: cn }) {
      const out = await tryConnect(port, ca(), certs[cn]!, opts);
      open.push(out.client);
      return out;
    }

    before(async () => {
      pki = await makeTestPki();
      const devices = ['0001', '0002', '0003', '0004', '0006', '0007', '0008', '0009'].map((n) => `dev-${n}`);
      for (const id of devices) {
        certs[id] = await pki.client(id);
        registry.set(id, { kind: 'device', id });
      }
      certs['dev-9999'] = await pki.client('dev-9999'); // valid certificate, unknown to the registry
      certs['dev-0005'] = await pki.client('dev-0005', { expired: true });
      registry.set('dev-0005', { kind: 'device', id: 'dev-0005' });
      for (const name of ['svc-watch', 'svc-flip']) {
        certs[name] = await pki.client(name, { kind: 'service' });
        registry.set(name, { kind: 'service', name });
      }
      broker = new EmbeddedBroker({
        host: '127.0.0.1',
        port: 0,
        listenerWorkers,
        tls: {
          ca: pki.certPem,
          cert: pki.server.certPem,
          key: pki.server.keyPkcs8Pem,
          crl: await pki.crl([certs['dev-0003']!.serial]),
        },
        limits: {
          connectTimeoutMs: 1500,
          publishRatePerSec: 20,
          publishBurst: 20,
          maxConnectionsPerAddress: 12,
        },
        sink,
        resolveIdentity: async (cn) => registry.get(cn) ?? null,
        onSecurityEvent: (ev) => events.push(ev),
      });
      port = await broker.start();
    });

    after(async () => {
      for (const c of open) c.end(true);
      await broker?.close();
    });

    it('listens on the bound port and reports it in stats', () => {
      assert.ok(port > 0);
      const s = broker.stats();
      assert.equal(s.port, port);
      assert.equal(s.address, '127.0.0.1');
    });

    it('ingests a device publish and sends PUBACK only after the sink resolved', async () => {
      const { client, connected } = await connectAs('dev-0001');
      assert.ok(connected);
      const gate = deferred();
      sink.gate = gate.promise;
      let acked = false;
      const before = sink.calls.length;
      client.publish(T('dev-0001', 'telemetry'), '{"v":1}', { qos: 1 }, (err) => {
        if (!err) acked = true;
      });
      await waitUntil(() => sink.calls.length === before + 1, 3000, 'sink call');
      await sleep(300);
      assert.equal(acked, false, 'no PUBACK while the sink has not resolved');
      sink.gate = null;
      gate.resolve();
      await waitUntil(() => acked, 3000, 'PUBACK');
      const msg = sink.calls.at(-1)!;
      assert.equal(msg.topic, T('dev-0001', 'telemetry'));
      assert.equal(msg.payload.toString(), '{"v":1}');
      assert.equal(msg.publisher, 'dev-0001');
      assert.equal(msg.address, '127.0.0.1');
      assert.deepEqual(
        msg.route,
        { deviceId: 'dev-0001', channel: 'telemetry' },
        'topic parsed once, by the broker',
      );
      assert.equal(typeof msg.receivedAt, 'number');
      assert.equal(broker.stats().devices, 1);
    });

    it('refuses a client without a certificate', async () => {
      const mark = events.length;
      const out = await tryConnect(port, ca(), null, { clientId: 'dev-0001' });
      assert.equal(out.connected, false);
      await waitEvent('no_client_cert', undefined, mark);
    });

    it('refuses a certificate from a rogue CA', async () => {
      const rogue = await (await pki.rogueCa()).client('dev-0002');
      const mark = events.length;
      const out = await tryConnect(port, ca(), rogue, { clientId: 'dev-0002' });
      assert.equal(out.connected, false);
      await waitEvent('unknown_ca', undefined, mark);
      assert.equal(events.find((e) => e.reason === 'unknown_ca')?.code, 'VIGIL_ERR_TLS_AUTH');
    });

    it('refuses an expired certificate', async () => {
      const mark = events.length;
      const out = await connectAs('dev-0005');
      assert.equal(out.connected, false);
      await waitEvent('cert_expired', undefined, mark);
    });

    it('refuses a revoked certificate at connect', async () => {
      const mark = events.length;
      const out = await connectAs('dev-0003');
      assert.equal(out.connected, false);
      await waitEvent('cert_revoked', undefined, mark);
      assert.equal(events.find((e) => e.reason === 'cert_revoked')?.code, 'VIGIL_ERR_CERT_REVOKED');
    });

    it('drops a live session within 5 s after its certificate is revoked', async () => {
      const { client, connected } = await connectAs('dev-0004');
      assert.ok(connected);
      const closed = new Promise<void>((r) => client.once('close', () => r()));
      const t0 = Date.now();
      const crl = await pki.crl([certs['dev-0003']!.serial, certs['dev-0004']!.serial]);
      const dropped = broker.updateCrl(crl, [
        certs['dev-0003']!.serial,
        certs['dev-0004']!.serial.toUpperCase(),
      ]);
      assert.equal(dropped, 1);
      await closed;
      assert.ok(Date.now() - t0 < 5000);
      assert.ok(events.some((e) => e.reason === 'cert_revoked' && e.cn === 'dev-0004'));
      const again = await connectAs('dev-0004');
      assert.equal(again.connected, false, 'the new CRL refuses new handshakes');
    });

    it('keeps the current CRL when updateCrl is given an invalid one', async () => {
      assert.throws(() => broker.updateCrl('', []), TypeError);
      assert.throws(() => broker.updateCrl('-----BEGIN X509 CRL-----\nAAAA\n-----END X509 CRL-----\n', []));
      assert.equal((await connectAs('dev-0004')).connected, false, 'dev-0004 is still revoked');
      const ok = await connectAs('dev-0002');
      assert.ok(ok.connected);
      ok.client.end(true);
    });

    it('refuses a client id that is not the certificate CN', async () => {
      const out = await connectAs('dev-0002', { clientId: 'dev-0001' });
      assert.equal(out.connected, false);
      assert.equal(out.errorCode, 2);
      await waitEvent('client_id_mismatch', 'dev-0002');
      assert.equal(events.find((e) => e.reason === 'client_id_mismatch')?.code, 'VIGIL_ERR_CLIENT_ID');
    });

    it('refuses an unknown identity (unknown_identity) and names a disabled device device_disabled', async () => {
      const out = await connectAs('dev-9999');
      assert.deepEqual([out.connected, out.errorCode], [false, 5]);
      await waitEvent('unknown_identity', 'dev-9999');
      registry.set('dev-0009', 'disabled');
      const off = await connectAs('dev-0009').finally(() =>
        registry.set('dev-0009', { kind: 'device', id: 'dev-0009' }),
      );
      assert.deepEqual([off.connected, off.errorCode], [false, 5]);
      await waitEvent('device_disabled', 'dev-0009');
      assert.equal(events.find((e) => e.reason === 'device_disabled')?.code, 'VIGIL_ERR_DEVICE_DISABLED');
    });

    it('refuses keep-alive 0 and keep-alive above the cap', async () => {
      for (const keepalive of [0, 301]) {
        const out = await connectAs('dev-0002', { clientId: 'dev-0002', keepalive });
        assert.equal(out.connected, false, `keepalive ${keepalive}`);
      }
      await waitEvent('keepalive_invalid', 'dev-0002');
    });

    it("refuses a publish to another device's topic and does not ingest it", async () => {
      const { client, connected } = await connectAs('dev-0002');
      assert.ok(connected);
      const before = sink.calls.length;
      const closed = new Promise<void>((r) => client.once('close', () => r()));
      client.publish(T('dev-0001', 'telemetry'), 'forged', { qos: 1 });
      await closed;
      await waitEvent('acl_publish', 'dev-0002');
      assert.equal(sink.calls.length, before);
    });

    it('refuses retained telemetry and a state payload other than online/offline', async () => {
      for (const [topic, payload, retain, reason] of [
        [T('dev-0002', 'telemetry'), '{}', true, 'retain_not_allowed'],
        [T('dev-0002', 'state'), 'hello', true, 'state_payload'],
      ] as const) {
        const { client, connected } = await connectAs('dev-0002');
        assert.ok(connected);
        const closed = new Promise<void>((r) => client.once('close', () => r()));
        client.publish(topic, payload, { qos: 1, retain });
        await closed;
        await waitEvent(reason, 'dev-0002');
      }
    });

    it('refuses subscriptions to #, +/#, $SYS/# and another device commands (granted 128)', async () => {
      const { client, connected } = await connectAs('dev-0002');
      assert.ok(connected);
      for (const topic of ['#', '+/#', '$SYS/#', T('dev-0001', 'commands'), 'vigil/v1/devices/+/telemetry']) {
        assert.deepEqual(await subackCodes(client, { [topic]: { qos: 1 } }), [128], topic);
      }
      assert.ok(client.connected, 'a refused subscription does not disconnect');
      await waitEvent('acl_subscribe', 'dev-0002');
    });

    it('answers a multi-topic SUBSCRIBE per topic when one topic is refused', async () => {
      const { client } = await connectAs('dev-0002');
      const codes = await subackCodes(client, { [T('dev-0002', 'commands')]: { qos: 1 }, '#': { qos: 0 } });
      assert.deepEqual(codes, [1, 128]);
    });

    it('refuses a CONNECT whose will targets another device', async () => {
      const out = await connectAs('dev-0002', {
        clientId: 'dev-0002',
        will: { topic: T('dev-0001', 'state'), payload: Buffer.from('offline'), qos: 1, retain: true },
      });
      assert.equal(out.connected, false);
      assert.equal(out.errorCode, 5);
      await waitEvent('will_not_allowed', 'dev-0002');
    });

    it('publishes an allowed will (own state) to a subscribed service', async () => {
      const watch = await connectAs('svc-watch');
      assert.ok(watch.connected);
      const got: string[] = [];
      watch.client.on('message', (topic, payload) => got.push(`${topic}=${payload}`));
      await watch.client.subscribeAsync(T('+', 'state'), { qos: 1 });
      const dev = await connectAs('dev-0008', {
        clientId: 'dev-0008',
        will: { topic: T('dev-0008', 'state'), payload: Buffer.from('offline'), qos: 1, retain: true },
      });
      assert.ok(dev.connected);
      await dev.client.publishAsync(T('dev-0008', 'state'), 'online', { qos: 1, retain: true });
      dev.client.stream.destroy(); // no DISCONNECT: the will fires
      await waitUntil(() => got.includes(`${T('dev-0008', 'state')}=offline`), 3000, 'will');
      assert.ok(got.includes(`${T('dev-0008', 'state')}=online`));
      watch.client.end(true);
    });

    it('acknowledges but never forwards a message the sink rejected', async () => {
      const watch = await connectAs('svc-watch');
      const got: string[] = [];
      watch.client.on('message', (_t, payload) => got.push(payload.toString()));
      const granted = await watch.client.subscribeAsync(T('+', 'telemetry'), { qos: 1 });
      assert.equal(granted[0]?.qos, 1);
      sink.outcome = (m) => (m.payload.toString() === 'bad' ? 'reject' : 'ok');
      const { client } = await connectAs('dev-0001');
      for (const p of ['good-1', 'bad', 'good-2'])
        await client.publishAsync(T('dev-0001', 'telemetry'), p, { qos: 1 });
      await waitUntil(() => got.includes('good-2'), 3000, 'forwarded messages');
      await sleep(100);
      assert.deepEqual(got, ['good-1', 'good-2']);
      sink.outcome = () => 'ok';
      watch.client.end(true);
    });

    it('withholds PUBACK and disconnects when the sink throws', async () => {
      sink.outcome = (m) => (m.payload.toString() === 'boom' ? 'throw' : 'ok');
      const { client } = await connectAs('dev-0009');
      let acked = false;
      const closed = new Promise<void>((r) => client.once('close', () => r()));
      client.publish(T('dev-0009', 'telemetry'), 'boom', { qos: 1 }, (err) => {
        if (!err) acked = true;
      });
      await closed;
      await sleep(100);
      assert.equal(acked, false);
      sink.outcome = () => 'ok';
    });

    it('re-checks restored subscriptions of a persistent session against the ACL', async () => {
      const first = await connectAs('svc-flip', { clientId: 'svc-flip', clean: false });
      assert.ok(first.connected);
      const granted = await first.client.subscribeAsync(T('+', 'telemetry'), { qos: 1 });
      assert.equal(granted[0]?.qos, 1);
      await first.client.endAsync();
      // The registry now says svc-flip is a device: its stored wildcard subscription is no longer allowed.
      registry.set('svc-flip', { kind: 'device', id: 'svc-flip' });
      const second = await connectAs('svc-flip', { clientId: 'svc-flip', clean: false });
      assert.ok(second.connected);
      assert.equal(second.sessionPresent, true);
      await waitEvent('acl_restored_subscription', 'svc-flip');
      const got: string[] = [];
      second.client.on('message', (t) => got.push(t));
      const { client } = await connectAs('dev-0001');
      await client.publishAsync(T('dev-0001', 'telemetry'), 'after-flip', { qos: 1 });
      await sleep(300);
      assert.deepEqual(got, []);
      await second.client.endAsync();
      const third = await connectAs('svc-flip', { clientId: 'svc-flip', clean: false });
      assert.equal(third.sessionPresent, false, 'the refused subscription was removed from the session');
      registry.set('svc-flip', { kind: 'service', name: 'svc-flip' });
    });

    it('closes the socket on a 256 MiB remaining length without allocating it', async () => {
      const rss0 = process.memoryUsage().rss;
      // As the first packet...
      const s1 = await rawTls(port, ca(), certs['dev-0006']!);
      s1.on('error', () => {});
      s1.write(Buffer.from([0x10, 0xff, 0xff, 0xff, 0x7f]));
      for (let i = 0; i < 16 && !s1.destroyed; i++) s1.write(Buffer.alloc(64 * 1024));
      await closedWithin(s1, 3000);
      // ...and as a PUBLISH after a valid CONNECT.
      const s2 = await rawTls(port, ca(), certs['dev-0006']!);
      s2.on('error', () => {});
      s2.write(
        mqttPacket.generate({
          cmd: 'connect',
          protocolId: 'MQTT',
          protocolVersion: 4,
          clean: true,
          clientId: 'dev-0006',
          keepalive: 30,
        }),
      );
      await new Promise((r) => s2.once('data', r)); // CONNACK
      s2.write(Buffer.from([0x32, 0xff, 0xff, 0xff, 0x7f]));
      await closedWithin(s2, 3000);
      await waitEvent('packet_too_large', 'dev-0006');
      assert.equal(events.find((e) => e.reason === 'packet_too_large')?.code, 'VIGIL_ERR_PACKET_SIZE');
      const grown = process.memoryUsage().rss - rss0;
      assert.ok(grown < 64 * 1024 * 1024, `RSS grew by ${grown} bytes`);
    });

    it('closes a connection that sends a truncated CONNECT then goes silent', async () => {
      const s = await rawTls(port, ca(), certs['dev-0006']!);
      s.on('error', () => {});
      s.write(Buffer.from([0x10, 0x20, 0x00, 0x04, 0x4d])); // CONNECT announcing 32 bytes, 3 sent
      const ms = await closedWithin(s, 5000);
      assert.ok(ms >= 1000, `closed after ${ms} ms`);
      await waitEvent('connect_timeout', 'dev-0006');
    });

    it('disconnects a client that exceeds the publish rate', async () => {
      const { client, connected } = await connectAs('dev-0006');
      assert.ok(connected);
      const before = sink.calls.length;
      const closed = new Promise<void>((r) => client.once('close', () => r()));
      for (let i = 0; i < 60; i++) client.publish(T('dev-0006', 'telemetry'), `m${i}`, { qos: 1 });
      await closed;
      await waitEvent('rate_limit', 'dev-0006');
      assert.ok(sink.calls.length - before <= 21, `ingested ${sink.calls.length - before}`);
    });

    it('refuses connections above the per-address cap at accept', async () => {
      await waitUntil(() => broker.stats().tcpConnections <= 6, 3000, 'connections to settle');
      const base = broker.stats().tcpConnections;
      const socks: net.Socket[] = [];
      for (let i = base; i < 12; i++) {
        const s = net.connect(port, '127.0.0.1');
        s.on('error', () => {});
        socks.push(s);
        await new Promise((r) => s.once('connect', r));
      }
      await waitUntil(() => broker.stats().tcpConnections === 12, 1000, 'cap reached');
      const extra = net.connect(port, '127.0.0.1');
      extra.on('error', () => {});
      await new Promise<void>((r) => extra.once('close', () => r()));
      await waitEvent('address_connection_limit');
      assert.equal(
        events.find((e) => e.reason === 'address_connection_limit')?.code,
        'VIGIL_ERR_CONNECTION_LIMIT',
      );
      for (const s of socks) s.destroy();
      await waitUntil(() => broker.stats().tcpConnections === base, 3000, 'sockets released');
    });

    it('refuses a TLS 1.1 handshake (openssl s_client -tls1_1)', async () => {
      const mark = events.length;
      const code = await new Promise<number | null>((resolve) => {
        const p = spawn(
          '/usr/bin/openssl',
          ['s_client', '-connect', `127.0.0.1:${port}`, '-tls1_1', '-cipher', 'DEFAULT@SECLEVEL=0'],
          { stdio: ['ignore', 'ignore', 'ignore'], timeout: 8000 },
        );
        p.on('close', (c) => resolve(c));
        p.on('error', () => resolve(null));
      });
      assert.notEqual(code, 0);
      await waitEvent('tls_protocol', undefined, mark);
      const ev = events.slice(mark).find((e) => e.reason === 'tls_protocol');
      assert.equal(ev?.detail?.errorCode, 'ERR_SSL_UNSUPPORTED_PROTOCOL');
    });

    it('kicks a client on disconnect(identity)', async () => {
      const { client, connected } = await connectAs('dev-0007');
      assert.ok(connected);
      const closed = new Promise<void>((r) => client.once('close', () => r()));
      assert.equal(broker.disconnect('dev-0007'), 1);
      await closed;
    });

    it('still serves a good device after all the attacks', async () => {
      // Earlier tests left sessions of dev-0001 open; taking one over is fine, three in a row are
      // throttled (embedded-broker-abuse.test.ts), so end them first.
      for (const c of open.splice(0)) c.end(true);
      await waitUntil(() => broker.stats().connected === 0, 3000, 'sessions closed');
      const { client, connected } = await connectAs('dev-0001');
      assert.ok(connected);
      const granted = await client.subscribeAsync(T('dev-0001', 'commands'), { qos: 1 });
      assert.equal(granted[0]?.qos, 1);
      await client.publishAsync(T('dev-0001', 'events'), '{"type":"door"}', { qos: 1 });
      assert.equal(sink.accepted.at(-1)?.payload.toString(), '{"type":"door"}');
      // A service may command the device; the device receives it.
      const svc = await connectAs('svc-watch');
      const got = new Promise<string>((r) => client.once('message', (_t, p) => r(p.toString())));
      await svc.client.publishAsync(T('dev-0001', 'commands'), '{"op":"ping"}', { qos: 1 });
      assert.equal(await got, '{"op":"ping"}');
      const s = broker.stats();
      assert.ok(s.devices >= 1 && s.services >= 1 && s.connected === s.devices + s.services);
    });
  });

describe('EmbeddedBroker global connection cap', () => {
  it('refuses sockets above maxConnections at accept', async () => {
    const pki = await makeTestPki();
    const events: BrokerSecurityEvent[] = [];
    const broker = new EmbeddedBroker({
      host: '127.0.0.1',
      port: 0,
      tls: { ca: pki.certPem, cert: pki.server.certPem, key: pki.server.keyPkcs8Pem },
      limits: { maxConnections: 2 },
      sink: new FakeSink(),
      resolveIdentity: async () => null,
      onSecurityEvent: (ev) => events.push(ev),
    });
    const port = await broker.start();
    try {
      const socks = [net.connect(port, '127.0.0.1'), net.connect(port, '127.0.0.1')];
      for (const s of socks) {
        s.on('error', () => {});
        await new Promise((r) => s.once('connect', r));
      }
      await waitUntil(() => broker.stats().tcpConnections === 2, 1000, 'two connections');
      const extra = net.connect(port, '127.0.0.1');
      extra.on('error', () => {});
      await new Promise<void>((r) => extra.once('close', () => r()));
      await waitUntil(() => events.some((e) => e.reason === 'connection_limit'), 1000, 'event');
      for (const s of socks) s.destroy();
    } finally {
      await broker.close();
    }
  });
});
