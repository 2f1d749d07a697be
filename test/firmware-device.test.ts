/**
 * The reference firmware end to end: `vigil-device` (firmware/host, the C core on libmosquitto)
 * is built with cmake, provisioned with a real `vigil device add` bundle, and run against a
 * running Vigil over mutual TLS on loopback. It must publish readings Vigil stores, answer
 * commands, report its state, buffer to its file while the broker is down, and survive kill -9
 * without reusing a seq or losing or duplicating an acknowledged reading (docs/protocol.md §8).
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it, test } from 'node:test';
import mqtt, { type MqttClient } from 'mqtt';
import { serializeEnvelope } from '../src/protocol/envelope.ts';
import {
  ackedTs,
  assertTsIncreasing,
  buildVigilDevice,
  DeviceProcess,
  FIRMWARE,
  issueServiceCert,
  run,
  storedTs,
  toolchainMissing,
} from './firmware-device.fixture.ts';
import { closeClient, type Instance, makeEnvelope, startInstance, waitFor } from './helpers/instance.ts';

const skip = await toolchainMissing();
if (skip) {
  test('reference firmware (vigil-device)', (t) => {
    t.skip(`skipped: ${skip}`);
  });
} else {
  describe('reference firmware: vigil-device against a running Vigil', () => {
    let work: string;
    let bin: string;
    let inst: Instance;
    let service: MqttClient | undefined;
    const procs: DeviceProcess[] = [];

    before(
      async () => {
        work = mkdtempSync(join(tmpdir(), 'vigil-fw-'));
        bin = await buildVigilDevice(work);
        inst = await startInstance();
      },
      { timeout: 400_000 },
    );

    after(async () => {
      for (const p of procs) p.kill('SIGKILL');
      await Promise.all(procs.map((p) => p.exited));
      if (service) await closeClient(service);
      await inst?.destroy();
      rmSync(work, { recursive: true, force: true });
    });

    async function provision(
      id: string,
      profile: 'vaccine-transport' | 'temperature-probe' = 'vaccine-transport',
    ) {
      return inst.addDevice(id, profile);
    }

    /** Starts vigil-device on a bundle; the running Vigil is its broker unless extra names brokers. */
    function start(bundleDir: string, extra: string[]): DeviceProcess {
      const broker = extra.includes('--broker')
        ? []
        : ['--broker', `mqtts://127.0.0.1:${inst.server.mqttPort}`];
      const p = new DeviceProcess(bin, ['--bundle', bundleDir, ...broker, ...extra]);
      procs.push(p);
      return p;
    }

    /** Stops the broker and waits until the device has buffered n readings to its file. */
    async function bufferWhileBrokerDown(p: DeviceProcess, n: number): Promise<void> {
      await inst.stop();
      await p.waitFor('disconnected', () => p.count('disconnected') >= 1);
      const before = p.count('stored');
      await p.waitFor(`${n} readings buffered`, () => p.count('stored') >= before + n);
    }

    async function readingsTs(id: string): Promise<number[]> {
      const rows = await inst.ctx.store.queryReadings({ deviceId: id, since: 0, limit: 100_000 });
      return rows.map((r) => r.ts);
    }

    /** A backend service identity (kind `service` in the store) that may publish commands. */
    async function connectService(): Promise<MqttClient> {
      const cert = await issueServiceCert(join(work, 'service'), inst.ctx.ca, 'vigil-fwtest');
      const now = Date.now();
      await inst.ctx.store.addCertificate({
        serial: cert.serial,
        subject: 'vigil-fwtest',
        kind: 'service',
        notBefore: now - 60_000,
        notAfter: now + 86_400_000,
        pem: cert.certPem,
        revokedAt: null,
        revocationReason: null,
      });
      const client = mqtt.connect(`mqtts://127.0.0.1:${inst.server.mqttPort}`, {
        clientId: 'vigil-fwtest',
        ca: inst.ctx.ca.certPem,
        cert: cert.certPem,
        key: cert.keyPem,
        protocolVersion: 4,
        clean: true,
        reconnectPeriod: 0,
        connectTimeout: 10_000,
      });
      await new Promise<void>((ok, fail) => {
        client.once('connect', () => ok());
        client.once('error', fail);
      });
      return client;
    }

    it('publishes telemetry from a `vigil device add` bundle; every acknowledged reading is stored once', async () => {
      const b = await provision('fw-truck-01');
      const p = start(b.dir, ['--interval-ms', '100', '--samples', '20', '--exit-when-drained']);
      assert.equal(await p.exited, 0, p.stderr.join(''));
      const stored = storedTs(p);
      assert.equal(stored.size, 20);
      assertTsIncreasing(p);
      const acked = ackedTs(p, stored);
      assert.equal(acked.length, 20, 'every reading acknowledged');
      const inStore = await readingsTs('fw-truck-01');
      assert.deepEqual(
        [...inStore].sort(),
        [...stored.values()].sort(),
        'exactly the readings taken, each once',
      );
      const rows = await inst.ctx.store.queryReadings({ deviceId: 'fw-truck-01', since: 0, limit: 1 });
      assert.deepEqual(Object.keys(rows[0]!.data).sort(), [
        'bat_pct',
        'door',
        'lat',
        'lon',
        'power',
        'rh_pct',
        'rssi_dbm',
        'temp_c',
      ]);
      assert.match(
        p.lines[0] ?? '',
        /^ready id=fw-truck-01 profile=vaccine-transport alg=A256GCM next_seq=0 /,
      );
    });

    it('refuses a broker whose certificate is not from the bundle CA, and fails over to the next', async () => {
      const b = await provision('fw-truck-06');
      const dir = join(work, 'rogue-ca');
      mkdirSync(dir, { mode: 0o700 });
      // the same bundle, trusting another CA: the real broker now looks like a man in the middle
      for (const f of ['device.json', 'device.crt', 'device.key'])
        writeFileSync(join(dir, f), readFileSync(join(b.dir, f)), { mode: 0o600 });
      await run('openssl', [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:P-256',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=Rogue CA',
        '-keyout',
        join(dir, 'rogue.key'),
        '-out',
        join(dir, 'ca.crt'),
      ]);
      const p = start(dir, ['--interval-ms', '200', '--reconnect-max-ms', '300']);
      await p.waitFor('three refused attempts', () => p.count('connect_failed') >= 3);
      assert.equal(p.count('connected'), 0, 'never connected');
      assert.ok(p.count('stored') > 0, 'it keeps its readings meanwhile');
      p.kill('SIGKILL');
      await p.exited;
      assert.deepEqual(await readingsTs('fw-truck-06'), [], 'nothing reached Vigil');
      // with the right CA, a dead first broker is skipped for the next in the list
      const good = start(b.dir, [
        '--broker',
        'mqtts://127.0.0.1:1',
        '--broker',
        `mqtts://127.0.0.1:${inst.server.mqttPort}`,
        '--interval-ms',
        '100',
        '--samples',
        '3',
        '--exit-when-drained',
        '--reconnect-max-ms',
        '300',
      ]);
      assert.equal(await good.exited, 0, good.stderr.join(''));
      assert.ok(good.count('connect_failed') >= 1 && good.count('connected') >= 1, 'failed over');
      assert.equal((await readingsTs('fw-truck-06')).length, 3);
    });

    it('reports state online (retained) and offline as its last will, and answers commands once', async () => {
      const b = await provision('fw-probe-02', 'temperature-probe');
      service = await connectService();
      const states: string[] = [];
      service.on('message', (t, payload) => {
        if (t.endsWith('/fw-probe-02/state')) states.push(payload.toString());
      });
      await service.subscribeAsync('vigil/v1/devices/fw-probe-02/state', { qos: 1 });
      const p = start(b.dir, ['--interval-ms', '60000']);
      await p.waitFor('connected', () => p.count('connected') === 1);
      await waitFor('online', () => states.includes('online') || undefined, 10_000);
      let seq = 100;
      const command = (body: unknown) => serializeEnvelope(makeEnvelope(b, 'commands', body, { seq: seq++ }));
      const setInterval = command({
        id: '6f1c2f4e-8a4b-4e1a-9a57-0d6c1b7e2a10',
        op: 'set_interval',
        args: { seconds: 2 },
      });
      await service.publishAsync('vigil/v1/devices/fw-probe-02/commands', setInterval, { qos: 1 });
      await service.publishAsync(
        'vigil/v1/devices/fw-probe-02/commands',
        command({ id: '0b8f6f0e-3c5d-4d7a-8e2b-1f0a9c8d7e6f', op: 'format_disk' }),
        { qos: 1 },
      );
      // a replay of the first envelope, and the same command id under a fresh seq
      await service.publishAsync('vigil/v1/devices/fw-probe-02/commands', setInterval, { qos: 1 });
      await service.publishAsync(
        'vigil/v1/devices/fw-probe-02/commands',
        command({ id: '6f1c2f4e-8a4b-4e1a-9a57-0d6c1b7e2a10', op: 'set_interval', args: { seconds: 9 } }),
        { qos: 1 },
      );
      const acks = await waitFor(
        'three acks stored',
        async () => {
          const m = await inst.ctx.store.queryMessages({ deviceId: 'fw-probe-02', channel: 'acks' });
          return m.length >= 3 ? m.sort((x, y) => x.seq - y.seq) : undefined;
        },
        30_000,
      );
      const bodies = acks.map((m) => m.body);
      assert.deepEqual(bodies[0], {
        id: '6f1c2f4e-8a4b-4e1a-9a57-0d6c1b7e2a10',
        ok: true,
        result: { seconds: 2 },
      });
      assert.deepEqual(bodies[1], {
        id: '0b8f6f0e-3c5d-4d7a-8e2b-1f0a9c8d7e6f',
        ok: false,
        error: 'unsupported op',
      });
      assert.equal(bodies[2]?.id, '6f1c2f4e-8a4b-4e1a-9a57-0d6c1b7e2a10');
      assert.deepEqual(bodies[2]?.result, { duplicate: true }, 'the same id is not run twice');
      assert.ok(p.lines.includes('refused reason=VIGIL_ERR_REPLAY'), 'the replayed envelope is refused');
      assert.ok(p.lines.includes('interval_ms=2000'), 'set_interval applied');
      assert.ok(!p.lines.includes('interval_ms=9000'), 'the duplicate did not run');
      // a forged command (wrong MAC) is refused and never acked
      const forged = JSON.parse(
        command({ id: '1b8f6f0e-3c5d-4d7a-8e2b-1f0a9c8d7e6f', op: 'set_interval', args: { seconds: 1 } }),
      );
      forged.mac = `${forged.mac.slice(0, 10)}${forged.mac[10] === 'A' ? 'B' : 'A'}${forged.mac.slice(11)}`;
      await service.publishAsync('vigil/v1/devices/fw-probe-02/commands', JSON.stringify(forged), { qos: 1 });
      await p.waitFor('forgery refused', () => p.lines.includes('refused reason=VIGIL_ERR_MAC_INVALID'));
      p.kill('SIGKILL');
      await p.exited;
      await waitFor('offline will', () => states.at(-1) === 'offline' || undefined, 15_000);
      const n = (await inst.ctx.store.queryMessages({ deviceId: 'fw-probe-02', channel: 'acks' })).length;
      assert.equal(n, 3, 'no ack for the replay or the forgery');
    });

    it('buffers to its file while the broker is down and delivers the backlog when it is back', async () => {
      const b = await provision('fw-truck-03');
      const p = start(b.dir, ['--interval-ms', '100', '--reconnect-max-ms', '500']);
      await p.waitFor('first acks', () => p.count('acked') >= 3);
      await bufferWhileBrokerDown(p, 10);
      await inst.restart();
      await p.waitFor('reconnected', () => p.count('connected') >= 2, 45_000);
      await p.waitFor(
        'backlog delivered',
        () => {
          const last = p.events('stored').at(-1);
          return (
            !!last && p.events('acked').some((a) => Number(a.first) + Number(a.count) > Number(last.index))
          );
        },
        45_000,
      );
      p.kill('SIGTERM');
      assert.equal(await p.exited, 0);
      assertTsIncreasing(p);
      const stored = storedTs(p);
      const acked = new Set(ackedTs(p, stored));
      const inStore = await readingsTs('fw-truck-03');
      assert.equal(new Set(inStore).size, inStore.length, 'no reading stored twice');
      for (const ts of acked) assert.ok(inStore.includes(ts), `acknowledged reading ${ts} is stored`);
      assert.ok(
        p.events('sealed').some((s) => Number(s.count) > 1),
        'the backlog went out several samples per envelope',
      );
    });

    it('survives kill -9 mid-stream: no seq reused, nothing acknowledged lost or stored twice', async () => {
      const b = await provision('fw-truck-04');
      const first = start(b.dir, ['--interval-ms', '20', '--reconnect-max-ms', '300']);
      await first.waitFor('10 envelopes acknowledged', () => first.count('acked') >= 10);
      // a backlog builds up while the broker is down...
      await bufferWhileBrokerDown(first, 100);
      // ...and the device is killed while it sends the backlog, right at its first envelope
      let reconnected = false;
      first.onLine = (line) => {
        if (line.startsWith('connected ')) reconnected = true;
        else if (reconnected && line.startsWith('published ')) first.kill('SIGKILL');
      };
      await inst.restart();
      await first.exited;
      const second = start(b.dir, ['--interval-ms', '20', '--samples', '30', '--exit-when-drained']);
      assert.equal(await second.exited, 0, second.stderr.join(''));

      // seq: every envelope sealed once; the restart continued above the stored block
      const sealed1 = first.events('sealed').map((e) => Number(e.seq));
      const sealed2 = second.events('sealed').map((e) => Number(e.seq));
      assert.equal(
        new Set([...sealed1, ...sealed2]).size,
        sealed1.length + sealed2.length,
        'no seq sealed twice',
      );
      assert.ok(Math.min(...sealed2) > Math.max(...sealed1), 'the second run seals above the first');
      assert.match(
        second.lines[0] ?? '',
        /next_seq=(256|512|768|1024) /,
        'continues at a reserved block end',
      );
      // envelopes in flight at the kill are redelivered under their own seq, not sealed again
      const acked1 = new Set(first.events('acked').map((e) => Number(e.seq)));
      const inFlight = sealed1.filter((q) => !acked1.has(q));
      const republished = new Set(second.events('published').map((e) => Number(e.seq)));
      for (const q of inFlight)
        assert.ok(republished.has(q), `envelope seq ${q} redelivered after the restart`);

      // readings: everything either run stored on the device is in Vigil exactly once (a reading
      // is known by its ts: each run stamps each of its readings with a later ms than the last)
      assertTsIncreasing(first);
      assertTsIncreasing(second);
      const s1 = storedTs(first);
      const s2 = storedTs(second);
      const inStore = await readingsTs('fw-truck-04');
      assert.equal(new Set(inStore).size, inStore.length, 'no reading stored twice');
      for (const ts of ackedTs(first, s1))
        assert.ok(inStore.includes(ts), 'acknowledged before the kill: stored');
      const all = new Set([...s1.values(), ...s2.values()]);
      for (const ts of all)
        assert.ok(inStore.includes(ts), `reading ${ts} taken and stored on the device is in Vigil`);
      // kill -9 may land between a reading becoming durable and its line being printed: at most
      // that one reading is in Vigil without a line, and it is from the moment of the kill
      const unlisted = inStore.filter((ts) => !all.has(ts));
      assert.ok(unlisted.length <= 1, `readings without a line: ${unlisted.length}`);
      for (const ts of unlisted) assert.ok(ts > Math.max(...s1.values()) && ts < Math.min(...s2.values()));
    });

    it('turns a bundle into the NVS image CSV the ESP32 is provisioned from (secret never in the app image)', async () => {
      const b = await provision('fw-esp32-05');
      const tool = join(FIRMWARE, 'esp32', 'tools', 'bundle_to_nvs.py');
      const out = join(work, 'nvs.csv');
      await run('python3', [
        tool,
        b.dir,
        out,
        '--broker',
        'mqtts://vigil.example:8883',
        '--broker',
        'mqtts://[::1]:8883',
      ]);
      assert.equal(statSync(out).mode & 0o777, 0o600, 'the CSV holds the secret');
      const rows = readFileSync(out, 'utf8').trim().split('\n');
      assert.deepEqual(rows.slice(0, 6), [
        'key,type,encoding,value',
        'vigil,namespace,,',
        'id,data,string,fw-esp32-05',
        'profile,data,string,vaccine-transport',
        'kid,data,u32,1',
        'alg,data,string,A256GCM',
      ]);
      assert.ok(
        rows.includes(`secret,data,hex2bin,${Buffer.from(b.info.secret, 'base64url').toString('hex')}`),
      );
      assert.ok(rows.includes('brokers,data,string,mqtts://vigil.example:8883 mqtts://[::1]:8883'));
      assert.ok(rows.includes(`key,file,string,${join(b.dir, 'device.key')}`));
      rmSync(out);
      await assert.rejects(run('python3', [tool, b.dir, out, '--broker', 'mqtt://plain:1883']), /not mqtts/);
      assert.ok(!existsSync(out), 'nothing written for a refused bundle');
    });
  });
}
