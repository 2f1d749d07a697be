/**
 * External-broker mode against a real Eclipse Mosquitto 2.x: `vigil mosquitto-config` writes the
 * broker's configuration, Mosquitto enforces mTLS, the CRL and the topic ACL (DESIGN §3), and
 * Vigil ingests through its MQTT v5 shared-subscription link as `vigil-ingest`.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it, test } from 'node:test';
import mqtt, { type MqttClient } from 'mqtt';
import { mosquittoConfigCommand } from '../src/cli/commands/mosquitto-config.ts';
import type { CliIo } from '../src/cli/io.ts';
import { openContext, type VigilContext } from '../src/data-dir/context.ts';
import { addDevice, revokeDevice } from '../src/devices/device-service.ts';
import { addGateway, revokeGateway } from '../src/gateway/gateway-admin.ts';
import { readGatewayBundle, writeGatewayBundle } from '../src/gateway/gateway-bundle.ts';
import { startGateway } from '../src/gateway/gateway-node.ts';
import { lifecycleOf } from '../src/server/lifecycle-wiring.ts';
import { type RunningServer, startServer } from '../src/server/start-server.ts';
import { type DeviceBundleFiles, readDeviceBundle } from '../src/sim/device-bundle.ts';
import { SimDevice } from '../src/sim/sim-device.ts';
import {
  closeClient,
  connectDevice,
  MASTER_KEY_HEX,
  makeEnvelope,
  publish,
  send,
  topic,
  truckSample,
  waitFor,
} from './helpers/instance.ts';

const MOSQUITTO = '/usr/sbin/mosquitto';

if (!existsSync(MOSQUITTO)) {
  test('external Mosquitto broker', (t) => {
    t.skip('skipped: mosquitto not installed');
  });
} else {
  describe('external Mosquitto broker (mTLS, ACL, CRL, shared-subscription link)', () => {
    const env = { VIGIL_MASTER_KEY: MASTER_KEY_HEX };
    let dir: string;
    let dataDir: string;
    let mqDir: string;
    let port: number;
    let url: string;
    let ctx: VigilContext;
    let server: RunningServer | undefined;
    let broker: ChildProcess | undefined;
    let brokerLog = '';
    let cliOut: string[] = [];
    const bundles: Record<string, DeviceBundleFiles> = {};
    const clients: MqttClient[] = [];
    let seq = 0;
    const nextSeq = () => ++seq;

    /** Runs `vigil mosquitto-config` in-process. */
    async function runMosquittoConfig(): Promise<void> {
      cliOut = [];
      const io: CliIo = {
        out: (l) => cliOut.push(l),
        err: (l) => cliOut.push(l),
        env,
        signal: new AbortController().signal,
      };
      const argv = ['--data-dir', dataDir, '--out', mqDir, '--port', String(port), '--host', '127.0.0.1'];
      // Started as root, Mosquitto would switch to the `mosquitto` user, which cannot read a
      // root-owned temporary directory; tests keep it as root instead.
      if (process.getuid?.() === 0) argv.push('--user', 'root');
      assert.equal(await mosquittoConfigCommand(argv, io), 0, cliOut.join('\n'));
    }

    /** SIGHUP: Mosquitto reads its ACL and CRL again. */
    async function reload(): Promise<void> {
      const reloaded = brokerLog.split('Reloading config').length;
      broker?.kill('SIGHUP');
      await waitFor('mosquitto reloaded', () => brokerLog.split('Reloading config').length > reloaded, 5000);
    }

    async function connect(id: string, extra: Parameters<typeof connectDevice>[2] = {}): Promise<MqttClient> {
      const c = await connectDevice(url, bundles[id]!, extra);
      clients.push(c);
      return c;
    }

    const readings = (id: string) => ctx.store.queryReadings({ deviceId: id, since: 0, limit: 100000 });
    const count = (label: string) => server?.rejections.totals()[label] ?? 0;

    /** Publishes a valid reading as `id` and waits until Vigil stored it (a barrier for earlier messages). */
    async function sendAndAwait(client: MqttClient, id: string): Promise<number> {
      const s = nextSeq();
      await send(
        client,
        id,
        makeEnvelope(bundles[id]!, 'telemetry', { samples: [truckSample()] }, { seq: s }),
      );
      await waitFor(`reading ${id}#${s} stored`, async () => (await readings(id)).some((r) => r.seq === s));
      return s;
    }

    before(async () => {
      dir = mkdtempSync(join(tmpdir(), 'vigil-mosquitto-'));
      dataDir = join(dir, 'data');
      mqDir = join(dir, 'mosquitto');
      port = await freeLoopbackPort();
      url = `mqtts://127.0.0.1:${port}`;
      ctx = await openContext({
        dataDir,
        env,
        create: true,
        logLevel: process.env.VIGIL_TEST_LOG ?? 'silent',
        overrides: {
          // The server certificate's SAN has localhost and 127.0.0.1.
          mqtt: {
            external: { url: `mqtts://localhost:${port}` },
            // What device and gateway bundles name as their broker.
            advertisedBrokers: [`mqtts://localhost:${port}`],
            connectTimeoutMs: 8000,
          },
          http: { host: '127.0.0.1', port: 0 },
          pki: { crlPollMs: 200 },
        },
      });
      for (const id of [
        'truck-ext-a',
        'truck-ext-b',
        'truck-ext-m',
        'truck-ext-r',
        'truck-ext-c',
        'truck-ext-g1',
        'truck-ext-g2',
      ]) {
        const b = await addDevice(ctx, {
          id,
          profile: 'vaccine-transport',
          outDir: join(dir, 'bundles', id),
          actor: 'test',
        });
        bundles[id] = readDeviceBundle(b.dir);
      }
      await runMosquittoConfig();

      broker = spawn(MOSQUITTO, ['-c', join(mqDir, 'mosquitto.conf')], { stdio: ['ignore', 'pipe', 'pipe'] });
      broker.stdout?.on('data', (d: Buffer) => {
        brokerLog += d.toString();
      });
      broker.stderr?.on('data', (d: Buffer) => {
        brokerLog += d.toString();
      });
      await waitFor(
        'mosquitto running',
        () => {
          if (broker?.exitCode !== null) throw new Error(`mosquitto exited:\n${brokerLog}`);
          return / running/.test(brokerLog);
        },
        5000,
      );
      server = await startServer(ctx);
    });

    after(async () => {
      for (const c of clients) await closeClient(c).catch(() => {});
      await server?.stop().catch(() => {});
      await ctx?.close().catch(() => {});
      if (broker && broker.exitCode === null) {
        const exited = new Promise((r) => broker?.once('exit', r));
        broker.kill('SIGTERM');
        const timer = setTimeout(() => broker?.kill('SIGKILL'), 3000);
        await exited;
        clearTimeout(timer);
      }
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    it('writes a Mosquitto configuration with the unsealed server key kept private', () => {
      for (const f of ['mosquitto.conf', 'acl', 'ca.crt', 'server.crt', 'server.key', 'crl.pem']) {
        assert.ok(existsSync(join(mqDir, f)), f);
      }
      assert.equal(statSync(join(mqDir, 'server.key')).mode & 0o777, 0o600);
      assert.match(readFileSync(join(mqDir, 'server.key'), 'utf8'), /BEGIN PRIVATE KEY/);
      assert.ok(existsSync(join(dataDir, 'pki', 'vigil-ingest.crt')));
      assert.ok(existsSync(join(dataDir, 'pki', 'vigil-ingest.key.sealed')));
      const out = cliOut.join('\n');
      assert.match(out, /secret/);
      assert.match(out, new RegExp(`mosquitto -c ${join(mqDir, 'mosquitto.conf')}`));
      assert.match(out, /"external": \{ "url": "mqtts:\/\/127\.0\.0\.1:\d+"/);
    });

    it('runs in external mode: no embedded broker, the external port reported', async () => {
      assert.equal(server?.broker, undefined);
      assert.equal(server?.mqttPort, port);
      const services = await ctx.store.listCertificates({ subject: 'vigil-ingest', kind: 'service' });
      assert.equal(services.length, 1);
      assert.match(brokerLog, /as vigil-ingest \(p5,/, 'the link connected with MQTT v5 as vigil-ingest');
    });

    it('refuses a client without a certificate at the TLS handshake', async () => {
      const c = mqtt.connect(url, {
        ca: bundles['truck-ext-a']!.ca,
        clientId: 'truck-ext-a',
        reconnectPeriod: 0,
        connectTimeout: 4000,
      });
      const res = await new Promise<string>((resolve) => {
        c.once('connect', () => resolve('connected'));
        c.once('error', (e) => resolve(`error: ${e.message}`));
        c.once('close', () => resolve('closed'));
      });
      c.end(true);
      assert.notEqual(res, 'connected');
    });

    it('stores a reading a device publishes through Mosquitto, decrypted', async () => {
      const a = await connect('truck-ext-a');
      const ts = Date.now() - 1000;
      const s = nextSeq();
      await send(
        a,
        'truck-ext-a',
        makeEnvelope(bundles['truck-ext-a']!, 'telemetry', { samples: [truckSample(ts, 5.25)] }, { seq: s }),
      );
      const rows = await waitFor('reading stored', async () => {
        const r = await readings('truck-ext-a');
        return r.length > 0 ? r : undefined;
      });
      assert.equal(rows[0]?.seq, s);
      assert.equal(rows[0]?.ts, ts);
      assert.deepEqual(rows[0]?.data, {
        temp_c: 5.25,
        rh_pct: 51.2,
        lat: 52.37,
        lon: 4.89,
        bat_pct: 88,
        power: 'mains',
      });
    });

    it('refuses and counts a forged MAC', async () => {
      const a = clients[0]!;
      const before = count('mac_invalid');
      const s = nextSeq();
      await send(a, 'truck-ext-a', {
        ...makeEnvelope(bundles['truck-ext-a']!, 'telemetry', { samples: [truckSample()] }, { seq: s }),
        mac: 'A'.repeat(43),
      });
      await waitFor('mac_invalid counted', () => count('mac_invalid') > before);
      assert.ok(!(await readings('truck-ext-a')).some((r) => r.seq === s));
      await sendAndAwait(a, 'truck-ext-a');
    });

    it("drops a device's publish to another device's topic (Mosquitto ACL): nothing stored", async () => {
      const victim = bundles['truck-ext-b']!;
      // Even a correctly sealed envelope of the victim (stolen or replayed) must not pass.
      const stolen = () =>
        makeEnvelope(victim, 'telemetry', { samples: [truckSample()] }, { seq: 1_000_000 + nextSeq() });
      const rejectedBefore = Object.values(server?.rejections.totals() ?? {}).reduce((a, b) => a + b, 0);

      // MQTT 3.1.1 cannot say no to a QoS 1 PUBLISH: Mosquitto acknowledges it and drops it.
      const m4 = await connect('truck-ext-m');
      await send(m4, 'truck-ext-b', stolen());
      await sendAndAwait(m4, 'truck-ext-m');
      await closeClient(m4);

      // MQTT v5: PUBACK reason code 0x87 Not authorized.
      const m5 = await connect('truck-ext-m', { protocolVersion: 5 });
      await assert.rejects(send(m5, 'truck-ext-b', stolen()), (err: { code?: number }) => err.code === 0x87);
      await sendAndAwait(m5, 'truck-ext-m');

      assert.equal((await readings('truck-ext-b')).length, 0, 'nothing stored for the victim');
      const rejectedAfter = Object.values(server?.rejections.totals() ?? {}).reduce((a, b) => a + b, 0);
      assert.equal(rejectedAfter, rejectedBefore, 'the messages never reached Vigil');
    });

    it("lets a device subscribe to # but delivers no other device's messages", async () => {
      const m = await connect('truck-ext-m', { protocolVersion: 5 });
      const got: string[] = [];
      m.on('message', (t) => got.push(t));
      const granted = await m.subscribeAsync(['#', '$SYS/#', topic('+', 'telemetry')], { qos: 1 });
      // Mosquitto 2.0 grants these filters (SUBACK reason code 0/1) and checks read access per message.
      assert.ok(
        granted.every((g) => g.qos < 0x80),
        JSON.stringify(granted),
      );
      const b = await connect('truck-ext-b');
      await sendAndAwait(b, 'truck-ext-b');
      await publish(b, topic('truck-ext-b', 'state'), 'online');
      await sendAndAwait(clients[0]!, 'truck-ext-a');
      // The link has both readings, so Mosquitto routed them; give a stray copy time to arrive.
      await new Promise((r) => setTimeout(r, 300));
      assert.deepEqual(got, []);
    });

    it('delivers a signed command through Mosquitto with the link identity; the device acks it', async () => {
      const sim = new SimDevice(bundles['truck-ext-c']!, { brokerUrl: url });
      try {
        await sim.connect();
        const cmd = await lifecycleOf(server!).commands.send({
          deviceId: 'truck-ext-c',
          op: 'identify',
          actor: 'test',
        });
        await waitFor(
          'command acked',
          async () => (await ctx.lifecycleStores.commands.get(cmd.id))?.state === 'acked',
          10_000,
        );
        assert.equal(sim.identifyCount, 1);
        assert.equal((await ctx.lifecycleStores.commands.get(cmd.id))?.outcome, 'ok');
      } finally {
        await sim.close();
      }
    });

    it('refuses a revoked device once the config is re-run and Mosquitto reloads (SIGHUP)', async () => {
      const r = await connect('truck-ext-r');
      await sendAndAwait(r, 'truck-ext-r');
      await closeClient(r);
      await revokeDevice(ctx, 'truck-ext-r', 'test');
      await runMosquittoConfig();
      assert.match(readFileSync(join(mqDir, 'crl.pem'), 'utf8'), /BEGIN X509 CRL/);

      // Mosquitto reads crlfile only at start and on reload: the new file alone changes nothing.
      const stillIn = await connect('truck-ext-r');
      await closeClient(stillIn);

      await reload();
      await assert.rejects(connect('truck-ext-r'));
      // Everyone else still gets in (the re-signed CRL is valid), and data still flows.
      const a2 = await connect('truck-ext-b');
      await sendAndAwait(a2, 'truck-ext-b');
    });

    it('relays through a gateway that Mosquitto lets write for its bound devices only; revoked, it is refused at TLS', async () => {
      const made = await addGateway(ctx, { id: 'ext-site-gw', devices: ['truck-ext-g1'], actor: 'test' });
      const gwDir = join(dir, 'ext-site-gw');
      mkdirSync(gwDir, { mode: 0o700 });
      writeGatewayBundle(gwDir, made);
      const bundle = readGatewayBundle(gwDir);
      assert.equal(bundle.info.upstream_url, `mqtts://localhost:${port}`, 'the bundle points at Mosquitto');
      await runMosquittoConfig();
      await reload();
      assert.match(readFileSync(join(mqDir, 'acl'), 'utf8'), /^user ext-site-gw$/m);
      await waitFor('gateway loaded', () => server!.gateways.views().some((g) => g.id === 'ext-site-gw'));
      const gw = await startGateway({
        bundle,
        dataDir: join(dir, 'ext-site-gw-data'),
        listenPort: 0,
        listenHost: '127.0.0.1',
        maxQueueBytes: 1 << 20,
        window: 8,
        statusIntervalMs: 1000,
      });
      const sim = new SimDevice(bundles['truck-ext-g1']!, { brokerUrl: `mqtts://127.0.0.1:${gw.port}` });
      const asGateway = {
        ...bundle,
        info: { ...bundle.info, id: 'ext-site-gw' },
      } as unknown as DeviceBundleFiles;
      try {
        // Its status reaches Vigil through Mosquitto and the link; its config comes back the same way.
        await waitFor('status through Mosquitto', () =>
          server!.gateways.views().find((g) => g.id === 'ext-site-gw' && g.status?.uplink === 'up'),
        );
        await sim.connect();
        sim.record(truckSample(Date.now() - 1000, 4.75), [], true);
        await waitFor('relayed reading stored', async () => (await readings('truck-ext-g1')).length === 1);
        assert.equal((await readings('truck-ext-g1'))[0]?.data.temp_c, 4.75);
        assert.equal(gw.status().devicesBound, 1, 'the config from Vigil arrived through Mosquitto');

        // The gateway's own identity, for a device not bound to it: refused by Mosquitto's ACL.
        const c = await connectDevice(url, asGateway, { protocolVersion: 5 });
        clients.push(c);
        const victim = makeEnvelope(
          bundles['truck-ext-g2']!,
          'telemetry',
          { samples: [truckSample()] },
          { seq: 1 },
        );
        await assert.rejects(send(c, 'truck-ext-g2', victim), (err: { code?: number }) => err.code === 0x87);
        // Mosquitto grants a SUBSCRIBE and checks read access per message: a command to the
        // unbound device reaches that device, never the gateway.
        const seen: string[] = [];
        c.on('message', (t) => seen.push(t));
        await c.subscribeAsync(topic('truck-ext-g2', 'commands'), { qos: 1 });
        const g2 = await connect('truck-ext-g2');
        const delivered = new Promise<void>((r) => g2.once('message', () => r()));
        await g2.subscribeAsync(topic('truck-ext-g2', 'commands'), { qos: 1 });
        await lifecycleOf(server!).commands.send({ deviceId: 'truck-ext-g2', op: 'identify', actor: 'test' });
        await delivered;
        await new Promise((r) => setTimeout(r, 300));
        assert.deepEqual(seen, [], 'the gateway read no command of a device not bound to it');
        await closeClient(c);
        assert.equal((await readings('truck-ext-g2')).length, 0);

        // Revoked: once the CRL is re-run and Mosquitto reloads, its handshake fails.
        await revokeGateway(ctx, { id: 'ext-site-gw', actor: 'test' });
        await runMosquittoConfig();
        assert.doesNotMatch(readFileSync(join(mqDir, 'acl'), 'utf8'), /^user ext-site-gw$/m);
        await reload();
        await assert.rejects(connectDevice(url, asGateway, { protocolVersion: 5 }));
        const other = await connect('truck-ext-b');
        await sendAndAwait(other, 'truck-ext-b');
      } finally {
        await sim.close();
        await gw.close();
      }
    });
  });
}

/** A free TCP port on 127.0.0.1 (bound once by the kernel, then released). */
function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}
