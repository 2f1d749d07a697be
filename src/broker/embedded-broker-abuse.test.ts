/**
 * Abuse of a valid identity against the embedded broker: reconnect and takeover loops against
 * the rate limits, wills and QoS levels the protocol does not allow, a client id that differs
 * from the CN only in case, and a TLS session resumed after its certificate was revoked.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import tls from 'node:tls';
import type { MqttClient } from 'mqtt';
import mqttPacket from 'mqtt-packet';
import { makeTestPki, type TestCert, type TestPki } from '../pki/test-pki.fixture.ts';
import type { BrokerIdentity } from './acl.ts';
import { FakeSink, sleep, startTestBroker, tryConnect, waitUntil } from './broker.fixture.ts';
import type { BrokerSecurityEvent } from './broker-types.ts';
import type { EmbeddedBroker } from './embedded-broker.ts';

const T = (id: string, ch: string) => `vigil/v1/devices/${id}/${ch}`;
const RATE = 20;
const BURST = 20;

// Once with TLS on the main thread, once through two TLS offload workers: a session ticket of one
// worker resumes on the other, and the revoked list still refuses it.
for (const listenerWorkers of [0, 2])
  describe(`EmbeddedBroker under abuse by a valid identity (listenerWorkers: ${listenerWorkers})`, {
    timeout: 90_000,
  }, () => {
    let pki: TestPki;
    let broker: EmbeddedBroker;
    let port: number;
    let events: BrokerSecurityEvent[];
    const sink = new FakeSink();
    const registry = new Map<string, BrokerIdentity>();
    const certs: Record<string, TestCert> = {};
    const open: MqttClient[] = [];

    const connectAs = async (cn: string, opts: Parameters<typeof tryConnect>[3] = { clientId: cn }) => {
      const out = await tryConnect(port, pki.certPem, certs[cn]!, opts);
      open.push(out.client);
      return out;
    };
    const count = (reason: string, cn?: string) =>
      events.filter((e) => e.reason === reason && (cn === undefined || e.cn === cn)).length;
    const acceptedFrom = (id: string) => sink.accepted.filter((m) => m.publisher === id).length;

    before(async () => {
      pki = await makeTestPki();
      for (const id of [
        'loop-0001',
        'take-0001',
        'conn-0001',
        'qos-0001',
        'will-0001',
        'case-0001',
        'rev-0001',
      ]) {
        certs[id] = await pki.client(id);
        registry.set(id, { kind: 'device', id });
      }
      certs['svc-0001'] = await pki.client('svc-0001', { kind: 'service' });
      registry.set('svc-0001', { kind: 'service', name: 'svc-0001' });
      ({ broker, port, events } = await startTestBroker({
        pki,
        listenerWorkers,
        registry,
        sink,
        crl: await pki.crl([]),
        // A high connect rate, so the publish and takeover limits are seen on their own.
        limits: { publishRatePerSec: RATE, publishBurst: BURST, connectRatePerMinute: 6000 },
      }));
    });

    after(async () => {
      for (const c of open) c.end(true);
      await broker?.close();
    });

    it('keeps the publish bucket of a device across reconnects (connect, publish a burst, disconnect, repeat)', async () => {
      const id = 'loop-0001';
      const t0 = Date.now();
      for (let round = 0; round < 40 && Date.now() - t0 < 2500; round++) {
        const { client, connected } = await connectAs(id);
        assert.ok(connected, `round ${round}`);
        const closed = new Promise<void>((r) => client.once('close', () => r()));
        for (let i = 0; i < BURST + 10; i++) client.publish(T(id, 'telemetry'), `r${round}m${i}`, { qos: 1 });
        await Promise.race([closed, sleep(1000)]);
        client.end(true);
      }
      const seconds = (Date.now() - t0) / 1000;
      const stored = acceptedFrom(id);
      assert.ok(stored <= RATE * seconds + BURST, `stored ${stored} in ${seconds.toFixed(1)} s`);
      assert.ok(stored >= BURST, `the first burst is accepted (${stored})`);
      assert.ok(count('rate_limit', id) > 0);
    });

    it('throttles two holders of one certificate taking the session from each other, and counts each takeover', async () => {
      const id = 'take-0001';
      const t0 = Date.now();
      let connects = 0;
      let refused = 0;
      // Two "holders" take turns as fast as they can; each publishes while it holds the session.
      const holder = async () => {
        for (let i = 0; i < 200 && Date.now() - t0 < 3000; i++) {
          const out = await connectAs(id);
          if (!out.connected) {
            refused++;
            continue;
          }
          connects++;
          for (let m = 0; m < 5; m++) out.client.publish(T(id, 'telemetry'), `t${i}.${m}`, { qos: 1 });
          await Promise.race([new Promise<void>((r) => out.client.once('close', () => r())), sleep(300)]);
          out.client.end(true);
        }
      };
      await Promise.all([holder(), holder()]);
      const seconds = (Date.now() - t0) / 1000;
      const takeovers = count('session_takeover', id);
      // Burst 2, then one every 10 s.
      assert.ok(
        takeovers <= 2 + Math.ceil(seconds / 10),
        `${takeovers} takeovers in ${seconds.toFixed(1)} s`,
      );
      assert.ok(takeovers >= 1, 'the first takeover is allowed');
      assert.ok(refused > 0 && count('takeover_rate', id) > 0, 'later takeovers are refused and counted');
      assert.equal(events.find((e) => e.reason === 'takeover_rate')?.code, 'VIGIL_ERR_RATE_LIMIT');
      assert.ok(connects > 0);
      const stored = acceptedFrom(id);
      assert.ok(stored <= RATE * seconds + BURST, `stored ${stored} in ${seconds.toFixed(1)} s`);
    });

    it('answers CONNECTs above connectRatePerMinute with CONNACK 3 (server unavailable) and counts them', async () => {
      const limited = await startTestBroker({ pki, registry, limits: { connectRatePerMinute: 5 } });
      try {
        const outcomes: (string | number | undefined)[] = [];
        for (let i = 0; i < 8; i++) {
          const out = await tryConnect(limited.port, pki.certPem, certs['conn-0001']!, {
            clientId: 'conn-0001',
          });
          outcomes.push(out.connected ? 'ok' : out.errorCode);
          out.client.end(true);
        }
        assert.deepEqual(outcomes, ['ok', 'ok', 'ok', 'ok', 'ok', 3, 3, 3]);
        const refusals = limited.events.filter((e) => e.reason === 'connect_rate');
        assert.equal(refusals.length, 3);
        assert.equal(refusals[0]?.code, 'VIGIL_ERR_RATE_LIMIT');
        assert.equal(refusals[0]?.cn, 'conn-0001');
      } finally {
        await limited.broker.close();
      }
    });

    for (const qos of [0, 2] as const) {
      it(`refuses telemetry published at QoS ${qos}, closes the connection and ingests nothing`, async () => {
        const { client, connected } = await connectAs('qos-0001');
        assert.ok(connected);
        const before = sink.calls.length;
        const mark = events.length;
        const closed = new Promise<void>((r) => client.once('close', () => r()));
        client.publish(T('qos-0001', 'telemetry'), `{"qos":${qos}}`, { qos });
        await closed;
        await waitUntil(() => events.slice(mark).some((e) => e.reason === 'qos_not_allowed'), 3000, 'event');
        assert.equal(events.slice(mark).find((e) => e.reason === 'qos_not_allowed')?.detail?.qos, qos);
        assert.equal(sink.calls.length, before);
      });
    }

    const will = (change: Record<string, unknown>) => ({
      topic: T('will-0001', 'state'),
      payload: Buffer.from('offline'),
      qos: 1 as const,
      retain: true,
      ...change,
    });
    for (const [name, change, why] of [
      ['payload online', { payload: Buffer.from('online') }, 'will_payload'],
      ['QoS 0', { qos: 0 }, 'will_qos'],
      ['QoS 2', { qos: 2 }, 'will_qos'],
      ['retain 0', { retain: false }, 'will_retain'],
    ] as const) {
      it(`refuses a will on the own state topic with ${name} (CONNACK 5)`, async () => {
        const mark = events.length;
        const out = await connectAs('will-0001', { clientId: 'will-0001', will: will(change) });
        assert.equal(out.connected, false);
        assert.equal(out.errorCode, 5);
        const ev = events.slice(mark).find((e) => e.reason === 'will_not_allowed');
        assert.equal(ev?.detail?.will, why);
      });
    }

    it('accepts the one will the protocol allows', async () => {
      const out = await connectAs('will-0001', { clientId: 'will-0001', will: will({}) });
      assert.ok(out.connected);
      out.client.end(true);
    });

    it('refuses a client id that differs from the CN only in case (CONNACK 2)', async () => {
      for (const clientId of ['CASE-0001', 'Case-0001', 'case-0001 ']) {
        const mark = events.length;
        const out = await connectAs('case-0001', { clientId });
        assert.equal(out.connected, false, clientId);
        assert.equal(out.errorCode, 2, clientId);
        assert.ok(events.slice(mark).some((e) => e.reason === 'client_id_mismatch'));
      }
      assert.ok((await connectAs('case-0001')).connected, 'the exact CN is accepted');
    });

    it('refuses a TLS session resumed after the certificate was revoked, right after the handshake', async () => {
      const cert = certs['rev-0001']!;
      const opts = {
        host: '127.0.0.1',
        port,
        ca: pki.certPem,
        cert: cert.certPem,
        key: cert.keyPkcs8Pem,
        servername: 'localhost',
      };
      // A full handshake hands out a session ticket.
      let session: Buffer | undefined;
      const first = tls.connect(opts);
      first.on('session', (s) => {
        session = s;
      });
      await new Promise((r) => first.once('secureConnect', r));
      await waitUntil(() => session !== undefined, 3000, 'session ticket');
      first.destroy();
      broker.updateCrl(await pki.crl([cert.serial]), [cert.serial]);

      const mark = events.length;
      const resumed = tls.connect({ ...opts, session });
      resumed.on('error', () => {});
      await new Promise((r) => resumed.once('secureConnect', r));
      // The TLS layer resumed the session: no chain verification, so no CRL either.
      assert.equal(resumed.isSessionReused(), true);
      // Send a valid CONNECT at once: the broker must close the socket without a CONNACK.
      resumed.write(
        mqttPacket.generate({
          cmd: 'connect',
          protocolId: 'MQTT',
          protocolVersion: 4,
          clean: true,
          clientId: 'rev-0001',
          keepalive: 30,
        }),
      );
      const received: Buffer[] = [];
      resumed.on('data', (d: Buffer) => received.push(d));
      await new Promise((r) => resumed.once('close', r));
      assert.equal(Buffer.concat(received).length, 0, 'no CONNACK, not even a refusal');
      await waitUntil(
        () => events.slice(mark).some((e) => e.reason === 'cert_revoked' && e.cn === 'rev-0001'),
        3000,
        'cert_revoked event',
      );
      assert.equal(
        events.slice(mark).find((e) => e.reason === 'cert_revoked')?.code,
        'VIGIL_ERR_CERT_REVOKED',
      );
      // Still revoked for MQTT.js clients too (full handshake: the TLS-layer CRL).
      assert.equal((await connectAs('rev-0001')).connected, false);
    });
  });
