/**
 * The embedded broker with TLS offload workers (`mqtt.listenerWorkers`): what only the worker
 * split can break. Run-time TLS changes reach every worker (and a restarted one), a session ticket
 * of one worker resumes on the others, a takeover works whichever workers hold the two sessions,
 * a crashed worker's connections close on the broker's side and the worker comes back, a reader
 * that stops reading holds the broker's writes back without losing any, and close() stops it all.
 * The security properties themselves run through two workers in embedded-broker.test.ts and
 * embedded-broker-abuse.test.ts.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import tls from 'node:tls';
import type { MqttClient } from 'mqtt';
import { pino } from 'pino';
import { issueServerCert } from '../pki/issue-server.ts';
import { normalizeSerial } from '../pki/serial.ts';
import { makeTestPki, type TestCert, type TestPki } from '../pki/test-pki.fixture.ts';
import type { BrokerIdentity } from './acl.ts';
import { FakeSink, startTestBroker, tryConnect, waitUntil } from './broker.fixture.ts';
import type { BrokerSecurityEvent } from './broker-types.ts';
import type { EmbeddedBroker } from './embedded-broker.ts';

const T = (id: string, ch: string) => `vigil/v1/devices/${id}/${ch}`;
/** Enough connections that the kernel puts some on each of two workers (all on one: 2^-15). */
const SPREAD = 16;

describe('EmbeddedBroker with two TLS offload workers', { timeout: 120_000 }, () => {
  let pki: TestPki;
  let broker: EmbeddedBroker;
  let port: number;
  let events: BrokerSecurityEvent[];
  const logs: { msg?: string; worker?: number }[] = [];
  const sink = new FakeSink();
  const registry = new Map<string, BrokerIdentity>();
  const certs: Record<string, TestCert> = {};
  const open: MqttClient[] = [];

  const connectAs = async (cn: string, clientId = cn) => {
    const out = await tryConnect(port, pki.certPem, certs[cn]!, { clientId });
    open.push(out.client);
    return out;
  };
  /** The serial of the server certificate a fresh TLS connection is shown (and whether it resumed). */
  const handshake = (cn: string, session?: Buffer) =>
    new Promise<{ serial: string; reused: boolean; session?: Buffer }>((resolve, reject) => {
      const c = certs[cn]!;
      const s = tls.connect({
        host: '127.0.0.1',
        port,
        ca: pki.certPem,
        cert: c.certPem,
        key: c.keyPkcs8Pem,
        servername: 'localhost',
        ...(session ? { session } : {}),
      });
      let ticket: Buffer | undefined;
      s.on('session', (t) => {
        ticket = t;
      });
      s.once('error', reject);
      s.once('secureConnect', () => {
        const serial = normalizeSerial(s.getPeerCertificate()?.serialNumber ?? '');
        const reused = s.isSessionReused();
        // TLS 1.3 tickets arrive just after the handshake.
        setTimeout(() => {
          s.destroy();
          resolve({ serial, reused, ...(ticket ? { session: ticket } : {}) });
        }, 50);
      });
    });

  before(async () => {
    pki = await makeTestPki();
    for (const id of [
      'ok-0001',
      'rev-0001',
      'slow-0001',
      ...Array.from({ length: 4 }, (_, i) => `take-000${i}`),
    ]) {
      certs[id] = await pki.client(id);
      registry.set(id, { kind: 'device', id });
    }
    for (let i = 0; i < SPREAD; i++) {
      const id = `many-${String(i).padStart(4, '0')}`;
      certs[id] = await pki.client(id);
      registry.set(id, { kind: 'device', id });
    }
    certs['svc-0001'] = await pki.client('svc-0001', { kind: 'service' });
    registry.set('svc-0001', { kind: 'service', name: 'svc-0001' });
    const logger = pino({ level: 'info' }, { write: (line: string) => void logs.push(JSON.parse(line)) });
    ({ broker, port, events } = await startTestBroker({
      pki,
      registry,
      sink,
      crl: await pki.crl([]),
      listenerWorkers: 2,
      logger,
      limits: { connectRatePerMinute: 6000, publishRatePerSec: 10_000, publishBurst: 10_000 },
    }));
  });

  after(async () => {
    for (const c of open) c.end(true);
    await broker?.close();
  });

  it('runs two worker threads and serves 16 connections through them, each reading acknowledged once', async () => {
    assert.equal(broker.listenerWorkerThreads().length, 2);
    const clients = await Promise.all(
      Array.from({ length: SPREAD }, (_, i) => connectAs(`many-${String(i).padStart(4, '0')}`)),
    );
    assert.ok(clients.every((c) => c.connected));
    const before = sink.accepted.length;
    await Promise.all(
      clients.map((c, i) =>
        c.client.publishAsync(T(`many-${String(i).padStart(4, '0')}`, 'telemetry'), `{"i":${i}}`, { qos: 1 }),
      ),
    );
    const got = sink.accepted
      .slice(before)
      .map((m) => m.payload.toString())
      .sort();
    assert.deepEqual(got, Array.from({ length: SPREAD }, (_, i) => `{"i":${i}}`).sort());
    assert.equal(broker.stats().devices, SPREAD);
    for (const c of clients) c.client.end(true);
    await waitUntil(() => broker.stats().tcpConnections === 0, 5000, 'connections released on the main side');
  });

  it('resumes a session ticket issued by one worker on every worker', async () => {
    const first = await handshake('ok-0001');
    assert.ok(first.session, 'a ticket');
    for (let i = 0; i < 6; i++) assert.equal((await handshake('ok-0001', first.session)).reused, true);
  });

  it('forwards a CRL update to every worker: every new handshake of the revoked certificate fails', async () => {
    const cert = certs['rev-0001']!;
    const ticket = (await handshake('rev-0001')).session;
    assert.ok((await connectAs('rev-0001')).connected);
    const dropped = broker.updateCrl(await pki.crl([cert.serial]), [cert.serial]);
    assert.equal(dropped, 1);
    const mark = events.length;
    for (let i = 0; i < 6; i++) assert.equal((await connectAs('rev-0001')).connected, false, `attempt ${i}`);
    await waitUntil(
      () => events.slice(mark).filter((e) => e.reason === 'cert_revoked').length >= 6,
      3000,
      'six cert_revoked events',
    );
    assert.ok(events.slice(mark).every((e) => e.address === '127.0.0.1'));
    // A resumed session skips the CRL; the revoked list closes it on the main thread.
    const resumedMark = events.length;
    await handshake('rev-0001', ticket).catch(() => undefined);
    await waitUntil(
      () => events.slice(resumedMark).some((e) => e.reason === 'cert_revoked' && e.cn === 'rev-0001'),
      3000,
      'revoked resumption refused',
    );
  });

  it('forwards a renewed server certificate to every worker, and to a worker restarted later', async () => {
    const old = normalizeSerial(pki.server.serial);
    assert.equal((await handshake('ok-0001')).serial, old);
    const next = await issueServerCert({ ca: pki.ca, hostNames: [], ips: [], now: new Date() });
    broker.updateTls({ cert: next.certPem, key: next.keyPkcs8Pem });
    const fresh = normalizeSerial(next.serial);
    for (let i = 0; i < 6; i++) assert.equal((await handshake('ok-0001')).serial, fresh);
    const [victim] = broker.listenerWorkerThreads();
    await victim!.terminate();
    await waitUntil(
      () => broker.listenerWorkerThreads().length === 2 && !broker.listenerWorkerThreads().includes(victim!),
      10_000,
      'worker restarted',
    );
    for (let i = 0; i < 6; i++) assert.equal((await handshake('ok-0001')).serial, fresh);
  });

  it('lets a second CONNECT of the same identity take the session over, whichever workers hold the two', async () => {
    for (let i = 0; i < 4; i++) {
      const id = `take-000${i}`;
      const first = await connectAs(id);
      assert.ok(first.connected);
      const closed = new Promise<void>((r) => first.client.once('close', () => r()));
      const second = await connectAs(id);
      assert.ok(second.connected, id);
      await closed;
      await second.client.publishAsync(T(id, 'telemetry'), `{"take":${i}}`, { qos: 1 });
      assert.equal(sink.acceptedPayloads().filter((p) => p === `{"take":${i}}`).length, 1);
    }
  });

  it("closes a crashed worker's connections on the main side, logs it, restarts it, and a reconnect works", async () => {
    for (const c of open.splice(0)) c.end(true);
    await waitUntil(() => broker.stats().tcpConnections === 0, 5000, 'earlier connections closed');
    const ids = Array.from({ length: SPREAD }, (_, i) => `many-${String(i).padStart(4, '0')}`);
    const clients = await Promise.all(ids.map((id) => connectAs(id)));
    assert.ok(clients.every((c) => c.connected));
    const closed = new Set<number>();
    for (const [i, c] of clients.entries()) c.client.once('close', () => closed.add(i));
    const [victim, survivor] = broker.listenerWorkerThreads();
    await victim!.terminate();
    await waitUntil(() => closed.size > 0, 5000, 'connections of the dead worker closed');
    await waitUntil(
      () => broker.stats().tcpConnections === SPREAD - closed.size,
      5000,
      'main side forgot them',
    );
    assert.equal(broker.stats().devices, SPREAD - closed.size);
    assert.ok(closed.size < SPREAD, 'the other worker keeps its connections');
    assert.ok(logs.some((l) => l.msg?.startsWith('listener worker exited')));
    await waitUntil(() => broker.listenerWorkerThreads().length === 2, 10_000, 'worker restarted');
    assert.ok(broker.listenerWorkerThreads().includes(survivor!));
    for (const [i, c] of clients.entries()) {
      const id = ids[i]!;
      if (closed.has(i)) {
        const again = await connectAs(id);
        assert.ok(again.connected, `${id} reconnects`);
        await again.client.publishAsync(T(id, 'telemetry'), '{"back":1}', { qos: 1 });
      } else await c.client.publishAsync(T(id, 'telemetry'), '{"stayed":1}', { qos: 1 });
    }
    assert.equal(sink.acceptedPayloads().filter((p) => p === '{"back":1}').length, closed.size);
  });

  it('holds writes back for a reader that stops reading and delivers all of them, in order, once it reads again', async () => {
    const device = await connectAs('slow-0001');
    assert.ok(device.connected);
    await device.client.subscribeAsync(T('slow-0001', 'commands'), { qos: 1 });
    const got: number[] = [];
    device.client.on('message', (_t, p) => got.push(p.readUInt32BE(0)));
    // Stop reading at the TCP level: the kernel buffers fill, then the worker's socket queues.
    const stream = (device.client as unknown as { stream: tls.TLSSocket }).stream;
    stream.pause();
    const N = 200;
    const payload = (i: number) =>
      Buffer.concat([Buffer.from([i >>> 24, i >>> 16, i >>> 8, i]), Buffer.alloc(16 * 1024)]);
    const sent = Array.from({ length: N }, (_, i) => broker.publish(T('slow-0001', 'commands'), payload(i)));
    // Others are served meanwhile.
    const other = await connectAs('ok-0001');
    assert.ok(other.connected);
    await other.client.publishAsync(T('ok-0001', 'telemetry'), '{"meanwhile":1}', { qos: 1 });
    stream.resume();
    await Promise.all(sent);
    await waitUntil(() => got.length === N, 20_000, 'every command delivered');
    assert.deepEqual(
      got,
      Array.from({ length: N }, (_, i) => i),
    );
  });

  it('stops every worker and closes every connection on close()', async () => {
    const c = await connectAs('ok-0001');
    assert.ok(c.connected);
    const closed = new Promise<void>((r) => c.client.once('close', () => r()));
    const threads = broker.listenerWorkerThreads();
    const exited = threads.map((w) => new Promise<void>((r) => w.once('exit', () => r())));
    await broker.close();
    await closed;
    await Promise.all(exited);
    assert.deepEqual(broker.listenerWorkerThreads(), []);
    assert.equal(broker.stats().tcpConnections, 0);
  });
});
