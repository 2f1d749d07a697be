/**
 * Two ingest workers on one PostgreSQL behind a real Mosquitto (MQTT v5 shared subscription),
 * one of them stalled (SIGSTOP, as an overloaded machine deschedules a process) while a device
 * publishes more than a replay window (mqtt.protocol.replayWindow, 1024) of messages. The broker
 * acknowledges every message at once; the running worker stores its share and moves the device's
 * committed window far ahead; the stalled worker's share waits in its broker session. When it
 * resumes, its messages are older than the committed window by more than a window, yet each was
 * acknowledged to the device: every one must be stored, exactly once.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { MqttClient } from 'mqtt';
import { openContext, type VigilContext } from '../src/data-dir/context.ts';
import { addDevice } from '../src/devices/device-service.ts';
import { serializeEnvelope } from '../src/protocol/envelope.ts';
import { type DeviceBundleFiles, readDeviceBundle } from '../src/sim/device-bundle.ts';
import {
  closeClient,
  connectDevice,
  MASTER_KEY_HEX,
  makeEnvelope,
  publish,
  topic,
  waitFor,
} from './helpers/instance.ts';
import {
  freeLoopbackPort,
  type MosquittoProcess,
  mosquittoProcess,
  postgresBehindMosquitto,
  writeMosquittoConfig,
} from './helpers/mosquitto-process.ts';
import { startVigilChild, type VigilChild } from './helpers/vigil-child.ts';

const { pg, skip } = await postgresBehindMosquitto();

/** More than two replay windows: the stalled worker's share reaches far below the committed window. */
const MESSAGES = 3000;

describe('a stalled ingest worker on the shared subscription', {
  skip,
  timeout: 240_000,
}, () => {
  let dir: string;
  let ctx: VigilContext;
  let broker: MosquittoProcess;
  let mqttUrl: string;
  let bundle: DeviceBundleFiles;
  let client: MqttClient | undefined;
  const workers: VigilChild[] = [];
  /** Envelopes as first sent, for the replay attack. */
  const captured = new Map<number, string>();

  before(async () => {
    assert.ok(pg);
    dir = mkdtempSync(join(tmpdir(), 'vigil-lag-'));
    const dataDir = join(dir, 'data');
    const port = await freeLoopbackPort();
    mqttUrl = `mqtts://127.0.0.1:${port}`;
    await pg.query('CREATE DATABASE vigil_lag');
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    writeFileSync(
      join(dataDir, 'config.json'),
      JSON.stringify({
        storage: { url: pg.url('vigil_lag') },
        mqtt: { external: { url: `mqtts://localhost:${port}`, ingestWorkers: 2 } },
        http: { host: '127.0.0.1', port: 0 },
      }),
    );
    ctx = await openContext({
      dataDir,
      env: { VIGIL_MASTER_KEY: MASTER_KEY_HEX },
      logLevel: 'silent',
      create: true,
    });
    const b = await addDevice(ctx, {
      id: 'probe-lag',
      profile: 'temperature-probe',
      outDir: join(dir, 'bundles', 'probe-lag'),
      actor: 'test',
    });
    bundle = readDeviceBundle(b.dir);
    await writeMosquittoConfig(dataDir, join(dir, 'mq'), port);
    broker = mosquittoProcess(join(dir, 'mq'));
    await broker.start();
    for (let i = 0; i < 2; i++) workers.push(startVigilChild(['--data-dir', dataDir, '--role', 'ingest']));
    await Promise.all(workers.map((w) => w.started()));
    await waitFor(
      'both workers on the shared subscription',
      () => ['vigil-ingest-1', 'vigil-ingest-2'].every((id) => broker.log().includes(`as ${id} (p5`)),
      30_000,
    );
  });

  after(async () => {
    for (const w of workers) w.signal('SIGCONT');
    if (client) await closeClient(client).catch(() => {});
    await Promise.all(workers.map((w) => w.stop().catch(() => null)));
    await ctx?.close().catch(() => {});
    await broker?.stop().catch(() => {});
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('stores every acknowledged message exactly once when one worker lags more than a replay window behind', async () => {
    const stalled = workers[0] as VigilChild;
    client = await connectDevice(mqttUrl, bundle);
    const c = client;
    stalled.signal('SIGSTOP');
    let resumed = false;
    try {
      // Every publish resolves on the broker's PUBACK: all MESSAGES are acknowledged to the device.
      const t0 = Date.now() - 2 * 60 * 60_000;
      const inFlight = 64;
      for (let from = 1; from <= MESSAGES; from += inFlight) {
        const batch: Promise<void>[] = [];
        for (let seq = from; seq < Math.min(from + inFlight, MESSAGES + 1); seq++) {
          const env = makeEnvelope(
            bundle,
            'telemetry',
            { samples: [{ ts: t0 + seq * 1000, temp_c: 5 }] },
            { seq },
          );
          const wire = serializeEnvelope(env);
          if (seq <= 4) captured.set(seq, wire);
          batch.push(publish(c, topic('probe-lag', 'telemetry'), wire));
        }
        await Promise.all(batch);
      }
      // The running worker stores its share: the committed window passes far beyond the other's.
      let last = -1;
      await waitFor(
        "the running worker's share stored",
        async () => {
          const n = await ctx.store.countReadings('probe-lag');
          const still = n === last && n > MESSAGES / 4;
          last = n;
          if (!still) await new Promise((r) => setTimeout(r, 1000));
          return still;
        },
        90_000,
      );
      const st = await ctx.store.getReplayState('probe-lag');
      const stored = await ctx.store.countReadings('probe-lag');
      assert.ok(stored < MESSAGES, `the stalled worker holds a share (${stored} of ${MESSAGES} stored)`);
      assert.ok((st?.highest ?? 0) > 2 * 1024, `committed window at ${st?.highest}`);
      stalled.signal('SIGCONT');
      resumed = true;
      let n = 0;
      let seen = -1;
      let since = Date.now();
      await waitFor(
        'every acknowledged message stored',
        async () => {
          n = await ctx.store.countReadings('probe-lag');
          if (n !== seen) [seen, since] = [n, Date.now()];
          return n >= MESSAGES || Date.now() - since > 15_000;
        },
        120_000,
      );
      const rows = await ctx.store.queryReadings({ deviceId: 'probe-lag', limit: MESSAGES * 2 });
      const seqs = new Set(rows.map((r) => r.seq));
      const missing = [];
      for (let s = 1; s <= MESSAGES; s++) if (!seqs.has(s)) missing.push(s);
      const refusals = (await ctx.store.queryAudit({ action: 'ingest.reject', limit: 100 })).map(
        (e) => `${e.detail.reason} ${e.detail.code ?? ''} ${e.detail.detail ?? ''}`,
      );
      assert.equal(
        missing.length,
        0,
        `lost ${missing.length}, e.g. ${missing.slice(0, 5).join(', ')}; refusals audited: ${[...new Set(refusals)].join('; ')}`,
      );
      assert.equal(rows.length, MESSAGES, 'each stored once');
    } finally {
      if (!resumed) stalled.signal('SIGCONT');
    }
  });

  it('still refuses a replay of a stored message far below the window, whichever worker gets it', async () => {
    const c = client as MqttClient;
    const before = await ctx.store.countReadings('probe-lag');
    assert.equal(before, MESSAGES);
    const stored = (await ctx.store.queryReadings({ deviceId: 'probe-lag', limit: MESSAGES * 2 })).find(
      (r) => r.seq === 2,
    );
    // Captured copies of seq 2, exactly as the device sent it: 2 is now far below the window.
    const original = captured.get(2);
    assert.ok(original);
    const since = Date.now() - 1000;
    await Promise.all(
      Array.from({ length: 12 }, () => publish(c, topic('probe-lag', 'telemetry'), original)),
    );
    // Each worker audits its first refusal of the kind at once (the rest are summed later).
    await waitFor(
      'the replays refused',
      async () =>
        (await ctx.store.queryAudit({ since, action: 'ingest.reject', limit: 100 })).some(
          (e) => e.object === 'probe-lag' && e.detail.reason === 'replay_too_old',
        ),
      30_000,
    );
    await new Promise((r) => setTimeout(r, 2000));
    assert.equal(await ctx.store.countReadings('probe-lag'), MESSAGES, 'nothing stored again');
    const again = (await ctx.store.queryReadings({ deviceId: 'probe-lag', limit: MESSAGES * 2 })).filter(
      (r) => r.seq === 2,
    );
    assert.deepEqual(again, stored ? [stored] : [], 'the stored reading is unchanged');
  });
});
