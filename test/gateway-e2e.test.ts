/**
 * `vigil gateway` (docs/gateway.md) as a real child process between simulated devices and a Vigil
 * server, every hop mutual TLS on loopback: store and forward through an uplink outage and kill -9,
 * the upstream ACL, relayed commands for an offline device, queue-full back-pressure.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { MqttClient } from 'mqtt';
import { readGatewayBundle } from '../src/gateway/gateway-bundle.ts';
import { serializeEnvelope } from '../src/protocol/envelope.ts';
import { lifecycleOf } from '../src/server/lifecycle-wiring.ts';
import type { DeviceBundleFiles } from '../src/sim/device-bundle.ts';
import { SimDevice } from '../src/sim/sim-device.ts';
import {
  addGatewayCli,
  type GatewayProcess,
  killGateway,
  queuedEnvelopes,
  spawnGateway,
  waitGatewayStatus,
} from './helpers/gateway.fixture.ts';
import {
  closeClient,
  connectDevice,
  type Instance,
  makeEnvelope,
  publish,
  startInstance,
  topic,
  waitFor,
} from './helpers/instance.ts';
import { runVigil } from './helpers/run-vigil.ts';
import { type CuttableLink, cuttableLink } from './helpers/tcp-cut.fixture.ts';

/** 20 devices × 5,000 readings = 100,000 readings buffered over a simulated hour (one every 720 ms). */
const DEVICES = 20;
const PER_DEVICE = Number(process.env.VIGIL_GATEWAY_READINGS_PER_DEVICE ?? 5000);
const HOUR = 3_600_000;

let inst: Instance;
let link: CuttableLink;
let tmp: string;
const sims: SimDevice[] = [];
const bundles = new Map<string, DeviceBundleFiles>();
const gateways: GatewayProcess[] = [];
const rejected = (label: string) => inst.server.rejections.totals()[label] ?? 0;

const ids = Array.from({ length: DEVICES }, (_, i) => `gw-dev-${String(i + 1).padStart(3, '0')}`);

async function device(id: string): Promise<DeviceBundleFiles> {
  const b = await inst.addDevice(id, 'temperature-probe');
  bundles.set(id, b);
  return b;
}

function sim(id: string, port: number): SimDevice {
  // A gateway restart must not leave a device in a minute of backoff (full jitter, capped at 2 s here).
  const d = new SimDevice(bundles.get(id) as DeviceBundleFiles, {
    brokerUrl: `mqtts://127.0.0.1:${port}`,
    reconnect: { baseMs: 200, capMs: 2000 },
  });
  sims.push(d);
  return d;
}

async function gateway(bundle: string, data: string, port?: number): Promise<GatewayProcess> {
  const g = await spawnGateway(bundle, data, port);
  gateways.push(g);
  return g;
}

/** A gateway data directory with a fast status report (and any other gateway settings). */
function gatewayDir(name: string, settings: Record<string, unknown> = {}): string {
  const dir = join(tmp, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, 'config.json'),
    JSON.stringify({ gateway: { statusIntervalMs: 1000, ...settings } }),
  );
  return dir;
}

/** Publishes and waits for the broker to close the connection (its answer to a refused PUBLISH). */
async function refusedPublish(c: MqttClient, t: string, payload: string): Promise<void> {
  const closed = new Promise<void>((r) => c.once('close', () => r()));
  c.publish(t, payload, { qos: 1 });
  await closed;
  c.end(true);
}

async function stored(list: readonly string[]): Promise<number> {
  let n = 0;
  for (const id of list) n += await inst.ctx.store.countReadings(id);
  return n;
}

before(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'vigil-gateway-e2e-'));
  inst = await startInstance({ pki: { crlPollMs: 200 } });
  link = await cuttableLink(inst.server.mqttPort);
  for (const id of [...ids, 'gw-acl-01', 'gw-spare-01', 'gw-full-01', 'gw-other-01']) await device(id);
  await addGatewayCli(inst, 'site-gw', [...ids, 'gw-acl-01'], join(tmp, 'site-gw'), link.port);
  await waitFor(
    'gateway registered',
    () => inst.server.gateways.views().some((g) => g.id === 'site-gw'),
    10_000,
  );
});

after(async () => {
  for (const d of sims) await d.close().catch(() => {});
  for (const g of gateways) if (g.run.child.exitCode === null) await killGateway(g);
  await link.close();
  await inst.destroy();
  rmSync(tmp, { recursive: true, force: true });
});

describe('vigil gateway', () => {
  it('may publish only for its bound devices; a tampered envelope it relays is refused as if sent directly; bind and unbind apply live', async () => {
    const gw = readGatewayBundle(join(tmp, 'site-gw'));
    const asGateway = (): Promise<MqttClient> =>
      connectDevice(inst.url, { ...gw, info: { ...gw.info, id: 'site-gw' } } as unknown as DeviceBundleFiles);
    const bound = bundles.get('gw-acl-01') as DeviceBundleFiles;
    const other = bundles.get('gw-other-01') as DeviceBundleFiles;

    // A relayed envelope of a bound device is stored; one of an unbound device is refused by the ACL.
    let c = await asGateway();
    await publish(
      c,
      topic(bound.info.id, 'telemetry'),
      serializeEnvelope(
        makeEnvelope(bound, 'telemetry', { samples: [{ ts: Date.now() - HOUR * 2, temp_c: 4 }] }, { seq: 1 }),
      ),
    );
    await waitFor(
      'relayed reading stored',
      async () => (await inst.ctx.store.countReadings(bound.info.id)) === 1,
    );
    const aclBefore = rejected('acl_publish');
    const env = makeEnvelope(other, 'telemetry', { samples: [{ ts: Date.now(), temp_c: 4 }] }, { seq: 1 });
    await refusedPublish(c, topic(other.info.id, 'telemetry'), serializeEnvelope(env));
    await waitFor('acl refusal counted', () => rejected('acl_publish') === aclBefore + 1);
    assert.equal(await inst.ctx.store.countReadings(other.info.id), 0);

    // Tampered (MAC), relayed by the gateway and sent directly: the same refusal, once each.
    c = await asGateway();
    const macBefore = rejected('mac_invalid');
    const good = makeEnvelope(bound, 'telemetry', { samples: [{ ts: Date.now(), temp_c: 5 }] }, { seq: 2 });
    const tampered = serializeEnvelope({ ...good, b: `${good.b.slice(0, -2)}AA` });
    await publish(c, topic(bound.info.id, 'telemetry'), tampered);
    await waitFor('relayed tamper counted', () => rejected('mac_invalid') === macBefore + 1);
    const direct = await connectDevice(inst.url, bound);
    await publish(direct, topic(bound.info.id, 'telemetry'), tampered);
    await waitFor('direct tamper counted', () => rejected('mac_invalid') === macBefore + 2);
    await closeClient(direct);
    assert.equal(await inst.ctx.store.countReadings(bound.info.id), 1);

    // `vigil gateway bind` from another process: the gateway may relay for the device within a poll.
    const bind = await runVigil(['gateway', 'bind', 'site-gw', 'gw-other-01', '--json'], {
      dataDir: inst.dataDir,
    });
    assert.equal(bind.code, 0, bind.stderr);
    assert.deepEqual(JSON.parse(bind.stdout), {
      gatewayId: 'site-gw',
      deviceId: 'gw-other-01',
      bound: true,
      changed: true,
    });
    await waitFor('bind applied', () => inst.server.gateways.gatewayOf('gw-other-01') === 'site-gw');
    await publish(c, topic(other.info.id, 'telemetry'), serializeEnvelope(env));
    await waitFor('now relayed', async () => (await inst.ctx.store.countReadings(other.info.id)) === 1);
    const unbind = await runVigil(['gateway', 'unbind', 'site-gw', 'gw-other-01'], { dataDir: inst.dataDir });
    assert.equal(unbind.code, 0, unbind.stderr);
    await waitFor('unbind applied', () => inst.server.gateways.gatewayOf('gw-other-01') === undefined);
    const next = makeEnvelope(other, 'telemetry', { samples: [{ ts: Date.now(), temp_c: 4 }] }, { seq: 2 });
    await refusedPublish(c, topic(other.info.id, 'telemetry'), serializeEnvelope(next));
    await closeClient(c).catch(() => {});
    assert.equal(await inst.ctx.store.countReadings(other.info.id), 1);
  });

  it(`buffers ${DEVICES * PER_DEVICE} readings of ${DEVICES} devices through an uplink outage and two kill -9, then stores each once, in order, as backfill`, async () => {
    const base = await stored(ids);
    const data = gatewayDir('site-gw-data');
    const bundleDir = join(tmp, 'site-gw');
    let g = await gateway(bundleDir, data);
    await waitGatewayStatus(inst, 'site-gw', (s) => s.uplink === 'up');
    link.cut();
    const fleet = ids.map((id) => sim(id, g.port));
    for (const d of fleet) await d.connect();
    // One simulated hour per device, time-compressed: the samples carry the timestamps of an hour
    // that ended 10 minutes ago (longer than ingest.backfillAfterMs), as a real outage would.
    const t0 = Date.now() - HOUR - 600_000;
    const step = Math.floor(HOUR / PER_DEVICE);
    for (const d of fleet) {
      for (let i = 0; i < PER_DEVICE; i++)
        d.record({ ts: t0 + i * step, temp_c: 4 + (i % 20) / 10 }, [], false);
      d.restoreLink();
    }
    await waitFor(
      'every envelope acknowledged by the gateway',
      () => fleet.every((d) => d.stats.buffered === 0 && d.stats.acked === d.stats.sent),
      120_000,
    );
    const envelopes = fleet.reduce((n, d) => n + d.stats.sent, 0);
    assert.equal(queuedEnvelopes(data), envelopes);
    assert.equal(await stored(ids), base, 'nothing reached Vigil during the outage');

    // kill -9 with the uplink still down: the queue survives.
    await killGateway(g);
    assert.equal(queuedEnvelopes(data), envelopes);
    g = await gateway(bundleDir, data, g.port);
    link.restore();
    const started = Date.now();
    const total = DEVICES * PER_DEVICE + base;
    await waitFor('a third forwarded', async () => (await stored(ids)) >= total / 3, 120_000).catch(
      async (err) => {
        const out = g.run.output();
        throw new Error(
          `${err.message}: ${await stored(ids)} of ${total}, rejections ${JSON.stringify(inst.server.rejections.totals())}\n${out.stdout.slice(-3000)}\n${out.stderr.slice(-3000)}`,
        );
      },
    );
    // kill -9 mid-forward: what was acknowledged upstream but not yet deleted is sent again and
    // refused as a replay; nothing is lost.
    await killGateway(g);
    g = await gateway(bundleDir, data, g.port);
    await waitFor('every reading stored', async () => (await stored(ids)) >= total, 180_000).catch(
      async (err) => {
        const out = g.run.output();
        throw new Error(
          `${err.message}: ${await stored(ids)} of ${total}, queue ${queuedEnvelopes(data)}\n${out.stdout.slice(-3000)}\n${out.stderr.slice(-3000)}`,
        );
      },
    );
    const seconds = (Date.now() - started) / 1000;
    await waitFor('queue drained', () => queuedEnvelopes(data) === 0, 30_000);
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(await stored(ids), total, 'none stored twice');
    for (const id of ids) {
      const rows = (await inst.ctx.store.queryReadings({ deviceId: id, since: t0, limit: 100_000 })).filter(
        (r) => r.ts >= t0,
      );
      assert.equal(rows.length, PER_DEVICE, `${id}: every reading once`);
      for (let i = 1; i < rows.length; i++) {
        const a = rows[i - 1] as (typeof rows)[0];
        const b = rows[i] as (typeof rows)[0];
        assert.ok(
          b.ts > a.ts && (b.seq > a.seq || (b.seq === a.seq && b.idx > a.idx)),
          `${id}: order kept at ${i}`,
        );
      }
      assert.ok(
        rows.every((r) => r.backfill),
        `${id}: marked backfill`,
      );
    }
    await waitGatewayStatus(
      inst,
      'site-gw',
      (st) => st.uplink === 'up' && st.queueDepth === 0 && st.devicesOnline === DEVICES,
    );
    process.stdout.write(
      `# gateway outage: ${total - base} readings in ${envelopes} envelopes buffered, forwarded in ${seconds.toFixed(1)} s (two kill -9 included)\n`,
    );
  });

  it('relays a command to a device that was offline when it was sent', async () => {
    const bind = await runVigil(['gateway', 'bind', 'site-gw', 'gw-spare-01'], { dataDir: inst.dataDir });
    assert.equal(bind.code, 0, bind.stderr);
    await waitFor('bind applied', () => inst.server.gateways.gatewayOf('gw-spare-01') === 'site-gw');
    const cmd = await lifecycleOf(inst.server).commands.send({
      deviceId: 'gw-spare-01',
      op: 'set_interval',
      args: { seconds: 42 },
      actor: 'test',
    });
    const g = gateways.at(-1) as GatewayProcess;
    await waitGatewayStatus(inst, 'site-gw', (s) => (s.commandsQueued ?? 0) >= 1).catch((err) => {
      throw new Error(`${err.message}\n${g.run.output().stdout.slice(-4000)}`);
    });
    const d = sim('gw-spare-01', g.port);
    await d.connect();
    await waitFor(
      'command acked through the gateway',
      async () => {
        const c = await inst.ctx.lifecycleStores.commands.get(cmd.id);
        return c?.state === 'acked' ? c : undefined;
      },
      20_000,
    );
    assert.equal(d.intervalMs, 42_000);
  });

  it('stops acknowledging devices when its queue is full, raises an alarm, and loses nothing', async () => {
    const full = join(tmp, 'full-gw');
    const link2 = await cuttableLink(inst.server.mqttPort);
    try {
      await addGatewayCli(inst, 'full-gw', ['gw-full-01'], full, link2.port);
      await waitFor('registered', () => inst.server.gateways.views().some((g) => g.id === 'full-gw'), 10_000);
      const data = gatewayDir('full-gw-data', { maxQueueBytes: 65_536 });
      const g = await gateway(full, data);
      await waitGatewayStatus(inst, 'full-gw', (s) => s.uplink === 'up');
      link2.cut();
      const d = sim('gw-full-01', g.port);
      await d.connect();
      const t0 = Date.now() - HOUR;
      const n = 4000; // 100 envelopes of 40, well over 64 KiB
      for (let i = 0; i < n; i++) d.record({ ts: t0 + i * 500, temp_c: 5 }, [], false);
      d.restoreLink();
      await g.run.waitFor(/gateway queue full/, 60_000);
      // Back-pressure: no PUBACK while the queue is full; the device keeps what was not acknowledged.
      const acked = d.stats.acked;
      await new Promise((r) => setTimeout(r, 2000));
      assert.equal(d.stats.acked, acked, 'no envelope acknowledged while the queue is full');
      assert.ok(d.stats.acked < d.stats.sent, 'the device still holds unacknowledged envelopes');
      assert.ok(d.stats.buffered > 0, 'the device keeps its readings');
      assert.ok(queuedEnvelopes(data) > 0);
      link2.restore();
      await waitFor(
        'alarm raised',
        async () =>
          (await inst.ctx.alarmStore.list({ subject: 'full-gw', rule: 'gateway_queue_full' })).length > 0,
        20_000,
      );
      await waitFor(
        'every reading stored',
        async () => (await inst.ctx.store.countReadings('gw-full-01')) === n,
        90_000,
      );
      await waitFor(
        'alarm resolved',
        async () => {
          const [a] = await inst.ctx.alarmStore.list({ subject: 'full-gw', rule: 'gateway_queue_full' });
          return a?.state === 'resolved';
        },
        30_000,
      );
    } finally {
      await link2.close();
    }
  });
});
