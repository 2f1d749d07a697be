import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import tls from 'node:tls';
import mqttPacket from 'mqtt-packet';
import { makeTestPki, type TestCert, type TestPki } from '../pki/test-pki.fixture.ts';
import type { BrokerIdentity } from './acl.ts';
import { deferred, FakeSink, sleep, tryConnect, waitUntil } from './broker.fixture.ts';
import { EmbeddedBroker } from './embedded-broker.ts';
import { startMqttLink } from './mqtt-link.ts';

const T = (id: string, ch: string) => `vigil/v1/devices/${id}/${ch}`;

describe('mqtt link against the embedded broker (MQTT 3.1.1)', { timeout: 30_000 }, () => {
  // Aedes 1.x speaks MQTT 3.1/3.1.1 only and has no shared subscriptions (`$share/...` would be a
  // literal topic), so this link runs with protocolVersion 4 and plain `+` subscriptions.
  let pki: TestPki;
  let broker: EmbeddedBroker;
  let port: number;
  let dev: TestCert;
  let svc: TestCert;
  const brokerSink = new FakeSink();
  const registry = new Map<string, BrokerIdentity>();

  before(async () => {
    pki = await makeTestPki();
    dev = await pki.client('dev-0001');
    svc = await pki.client('svc-ingest', { kind: 'service' });
    registry.set('dev-0001', { kind: 'device', id: 'dev-0001' });
    registry.set('svc-ingest', { kind: 'service', name: 'svc-ingest' });
    broker = new EmbeddedBroker({
      host: '127.0.0.1',
      port: 0,
      tls: { ca: pki.certPem, cert: pki.server.certPem, key: pki.server.keyPkcs8Pem },
      sink: brokerSink,
      resolveIdentity: async (cn) => registry.get(cn) ?? null,
    });
    port = await broker.start();
  });

  after(async () => {
    await broker?.close();
  });

  it('feeds the sink from device publishes and redelivers what the sink failed to store', async () => {
    const linkSink = new FakeSink();
    let failures = 1;
    linkSink.outcome = (m) => (m.payload.toString() === 'boom' && failures-- > 0 ? 'throw' : 'ok');
    const link = await startMqttLink({
      url: `mqtts://127.0.0.1:${port}`,
      ca: pki.certPem,
      cert: svc.certPem,
      key: svc.keyPkcs8Pem,
      clientId: 'svc-ingest',
      protocolVersion: 4,
      sink: linkSink,
      reconnectMinMs: 200,
    });
    try {
      await link.waitUntilSubscribed(5000);
      const device = await tryConnect(port, pki.certPem, dev, { clientId: 'dev-0001' });
      assert.ok(device.connected);
      await device.client.publishAsync(T('dev-0001', 'telemetry'), 'hello', { qos: 1 });
      await device.client.publishAsync(T('dev-0001', 'events'), '{"type":"door"}', { qos: 1 });
      await waitUntil(() => linkSink.accepted.length === 2, 3000, 'link ingest');
      assert.deepEqual(linkSink.acceptedPayloads(), ['hello', '{"type":"door"}']);
      assert.equal(linkSink.accepted[0]?.publisher, undefined, 'no publisher via an external broker');
      // The sink throws once: no PUBACK, the link reconnects and the broker redelivers.
      await device.client.publishAsync(T('dev-0001', 'acks'), 'boom', { qos: 1 });
      await waitUntil(() => linkSink.acceptedPayloads().includes('boom'), 8000, 'redelivery');
      const s = link.stats();
      assert.equal(s.failed, 1);
      assert.ok(s.reconnects >= 1);
      assert.equal(s.accepted, 3);
      device.client.end(true);
    } finally {
      await link.close();
    }
  });

  it('refuses a non-TLS URL', async () => {
    await assert.rejects(
      startMqttLink({
        url: 'mqtt://127.0.0.1:1883',
        ca: '',
        cert: '',
        key: '',
        clientId: 'svc-ingest',
        sink: new FakeSink(),
      }),
      /mqtts/,
    );
  });
});

describe('mqtt link with MQTT v5 manual acks (scripted broker)', { timeout: 30_000 }, () => {
  // A minimal scripted v5 broker over mutual TLS, to observe exactly what the link sends.
  it('subscribes with $share, PUBACKs only after the sink resolved, and never acks a failed store', async () => {
    const pki = await makeTestPki();
    const svc = await pki.client('svc-ingest', { kind: 'service' });
    const connects: mqttPacket.IConnectPacket[] = [];
    const subscribes: mqttPacket.ISubscribePacket[] = [];
    const pubacks: mqttPacket.IPubackPacket[] = [];
    let current: ((p: mqttPacket.Packet) => void) | null = null;
    const server = tls.createServer(
      {
        ca: pki.certPem,
        cert: pki.server.certPem,
        key: pki.server.keyPkcs8Pem,
        requestCert: true,
        rejectUnauthorized: true,
      },
      (sock) => {
        sock.on('error', () => {});
        const parser = mqttPacket.parser({ protocolVersion: 5 });
        const send = (p: mqttPacket.Packet) => sock.write(mqttPacket.generate(p, { protocolVersion: 5 }));
        current = send;
        parser.on('packet', (p) => {
          if (p.cmd === 'connect') {
            connects.push(p);
            send({ cmd: 'connack', reasonCode: 0, sessionPresent: connects.length > 1 });
          } else if (p.cmd === 'subscribe') {
            subscribes.push(p);
            send({ cmd: 'suback', messageId: p.messageId!, granted: p.subscriptions.map(() => 1) });
          } else if (p.cmd === 'puback') {
            pubacks.push(p);
          } else if (p.cmd === 'pingreq') {
            send({ cmd: 'pingresp' });
          }
        });
        sock.on('data', (d: Buffer) => parser.parse(d));
      },
    );
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    const sink = new FakeSink();
    const link = await startMqttLink({
      url: `mqtts://127.0.0.1:${port}`,
      ca: pki.certPem,
      cert: svc.certPem,
      key: svc.keyPkcs8Pem,
      clientId: 'svc-ingest',
      sink,
      reconnectMinMs: 200,
    });
    const publish = (messageId: number, payload: string, dup = false) =>
      current!({
        cmd: 'publish',
        topic: T('dev-0001', 'telemetry'),
        payload: Buffer.from(payload),
        qos: 1,
        messageId,
        dup,
        retain: false,
      });
    try {
      await link.waitUntilSubscribed(5000);
      assert.equal(connects[0]?.protocolVersion, 5);
      assert.equal(connects[0]?.clean, false);
      assert.equal(connects[0]?.clientId, 'svc-ingest');
      assert.ok((connects[0]?.properties?.sessionExpiryInterval ?? 0) > 0);
      assert.deepEqual(
        subscribes[0]?.subscriptions.map((s) => [s.topic, s.qos]),
        ['telemetry', 'events', 'acks'].map((c) => [`$share/vigil-ingest/vigil/v1/devices/+/${c}`, 1]),
      );

      const gate = deferred();
      sink.gate = gate.promise;
      publish(1, 'one');
      await waitUntil(() => sink.calls.length === 1, 3000, 'sink call');
      await sleep(300);
      assert.equal(pubacks.length, 0, 'no PUBACK before the sink resolved');
      sink.gate = null;
      gate.resolve();
      await waitUntil(() => pubacks.length === 1, 3000, 'PUBACK');
      assert.equal(pubacks[0]?.messageId, 1);
      assert.equal(pubacks[0]?.reasonCode ?? 0, 0);

      // Storage down: no PUBACK at all, the link reconnects (same persistent session).
      sink.outcome = () => 'throw';
      publish(2, 'two');
      await waitUntil(() => connects.length === 2, 5000, 'reconnect');
      assert.equal(pubacks.length, 1, 'the failed message was not acknowledged');
      assert.equal(connects[1]?.clean, false);
      // The broker redelivers it (DUP) on the new connection; now storage works.
      sink.outcome = () => 'ok';
      await sleep(100);
      publish(2, 'two', true);
      await waitUntil(() => pubacks.length === 2, 3000, 'PUBACK after redelivery');
      assert.equal(pubacks[1]?.messageId, 2);
      assert.deepEqual(sink.acceptedPayloads(), ['one', 'two']);
      // Mosquitto 2.0 restores a session without its shared subscriptions: subscribe every time.
      assert.equal(subscribes.length, 2, 'subscribes again on every connection');

      // In parallel, acknowledged in arrival order: 3 and 4 are stored before 5 is, and wait for it.
      const slow = deferred();
      const acksBefore = pubacks.length;
      const ingest = sink.ingest.bind(sink);
      sink.ingest = async (m) => {
        if (m.payload.toString() === 'five') await slow.promise;
        return ingest(m);
      };
      publish(5, 'five');
      publish(3, 'three');
      publish(4, 'four');
      await waitUntil(() => sink.acceptedPayloads().includes('four'), 3000, 'parallel ingest');
      assert.equal(link.stats().maxInFlight >= 3, true, 'three messages in flight at once');
      await sleep(100);
      assert.equal(pubacks.length, acksBefore, 'no PUBACK overtakes the first unacknowledged message');
      slow.resolve();
      await waitUntil(() => pubacks.length === acksBefore + 3, 3000, 'ordered PUBACKs');
      assert.deepEqual(
        pubacks.slice(acksBefore).map((p) => p.messageId),
        [5, 3, 4],
      );
    } finally {
      await link.close();
      await new Promise<void>((r) => server.close(() => r()));
    }
  });
});
