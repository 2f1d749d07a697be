/**
 * Gateway store-and-forward workload (`--only=gateway`, docs/gateway.md): 20 simulated devices
 * connected over mTLS to an in-process `vigil gateway` whose uplink is down; each buffers one
 * simulated hour of readings (40 per envelope, as the simulator flushes a backlog). Then the
 * uplink returns and the gateway forwards everything to an in-process Vigil.
 *
 * - measured: forward rate after the outage (readings/s, uplink back → last reading stored), and
 *   the queue's bytes per reading (payload bytes, and the SQLite file);
 * - baseline, same run: the same backlog flushed by 20 devices connected to Vigil directly.
 *
 * Readings lost or stored twice must be 0.
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { addDevice } from '../src/devices/device-service.ts';
import { addGateway } from '../src/gateway/gateway-admin.ts';
import { startGateway } from '../src/gateway/gateway-node.ts';
import { readDeviceBundle } from '../src/sim/device-bundle.ts';
import { SimDevice } from '../src/sim/sim-device.ts';
import { nowMs } from './clock.ts';
import type { SummaryRow } from './report.ts';
import { fmtNum } from './stats.ts';
import { makeTempDir } from './temp-dirs.ts';
import { startVigilFixture, type VigilFixture } from './vigil-fixture.ts';

export interface GatewayBenchOptions {
  devices: number;
  perDevice: number;
  timeoutMs: number;
}

export interface GatewayBenchResult {
  readings: number;
  envelopes: number;
  forwardPerSec: number;
  directPerSec: number;
  queueBytesPerReading: number;
  fileBytesPerReading: number;
  lost: number;
}

async function until(what: string, fn: () => Promise<boolean> | boolean, timeoutMs: number): Promise<void> {
  const end = nowMs() + timeoutMs;
  while (!(await fn())) {
    if (nowMs() > end) throw new Error(`gateway bench: timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function fleet(fx: VigilFixture, prefix: string, n: number, url: string): Promise<SimDevice[]> {
  const out: SimDevice[] = [];
  for (let i = 0; i < n; i++) {
    const id = `${prefix}-${String(i).padStart(3, '0')}`;
    await addDevice(fx.ctx, {
      id,
      profile: 'temperature-probe',
      outDir: join(fx.dataDir, 'bundles', id),
      actor: 'bench',
    });
    out.push(new SimDevice(readDeviceBundle(join(fx.dataDir, 'bundles', id)), { brokerUrl: url }));
  }
  return out;
}

/** One simulated hour that ended 10 minutes ago, `perDevice` readings per device, flushed at once. */
function backlog(devices: SimDevice[], perDevice: number): void {
  const t0 = Date.now() - 4_200_000;
  const step = Math.floor(3_600_000 / perDevice);
  for (const d of devices) {
    for (let i = 0; i < perDevice; i++) d.record({ ts: t0 + i * step, temp_c: 4 + (i % 20) / 10 }, [], false);
    d.restoreLink();
  }
}

async function stored(fx: VigilFixture, devices: SimDevice[]): Promise<number> {
  let n = 0;
  for (const d of devices) n += await fx.ctx.store.countReadings(d.id);
  return n;
}

export async function runGatewayBench(
  o: GatewayBenchOptions,
  log: (s: string) => void,
): Promise<GatewayBenchResult> {
  const fx = await startVigilFixture({ pki: { crlPollMs: 200 } });
  const sims: SimDevice[] = [];
  const closers: (() => Promise<void>)[] = [];
  try {
    const readings = o.devices * o.perDevice;
    // Baseline: the devices flush their backlog to Vigil directly.
    const direct = await fleet(fx, 'gwb-direct', o.devices, fx.url);
    sims.push(...direct);
    for (const d of direct) await d.connect();
    log(`  baseline: ${o.devices} devices flush ${fmtNum(readings)} readings directly`);
    const td = nowMs();
    backlog(direct, o.perDevice);
    await until('direct backlog stored', async () => (await stored(fx, direct)) >= readings, o.timeoutMs);
    const directPerSec = readings / ((nowMs() - td) / 1000);

    // Through a gateway whose uplink is down (a port nothing listens on), then back.
    const relayed = await fleet(fx, 'gwb-site', o.devices, 'mqtts://127.0.0.1:1');
    sims.push(...relayed);
    const made = await addGateway(fx.ctx, {
      id: 'gwb-gateway',
      devices: relayed.map((d) => d.id),
      actor: 'bench',
    });
    await fx.server.gateways.load();
    const bundle = {
      dir: '',
      info: {
        id: 'gwb-gateway',
        upstream_url: fx.url,
        topic_prefix: made.topicPrefix,
        devices: made.devices,
      },
      ca: made.caPem,
      cert: made.certPem,
      key: made.keyPem,
      crl: made.crlPem,
    };
    const dataDir = makeTempDir('vigil-bench-gateway-');
    const gwOpts = {
      dataDir,
      listenPort: 0,
      listenHost: '127.0.0.1',
      maxQueueBytes: 1024 ** 3,
      window: 64,
      statusIntervalMs: 10_000,
    };
    let gw = await startGateway({
      ...gwOpts,
      bundle: { ...bundle, info: { ...bundle.info, upstream_url: 'mqtts://127.0.0.1:1' } },
    });
    closers.push(() => gw.close());
    const local = relayed.map(
      (d) =>
        new SimDevice(readDeviceBundle(join(fx.dataDir, 'bundles', d.id)), {
          brokerUrl: `mqtts://127.0.0.1:${gw.port}`,
        }),
    );
    sims.push(...local);
    for (const d of local) await d.connect();
    log(`  outage: ${o.devices} devices buffer ${fmtNum(readings)} readings in the gateway`);
    backlog(local, o.perDevice);
    await until(
      'backlog queued at the gateway',
      // Every device's outbox empty: all of it acknowledged by the gateway (acked === sent alone
      // also holds between two paced backlog envelopes).
      () => local.every((d) => d.stats.buffered === 0 && d.stats.acked === d.stats.sent),
      o.timeoutMs,
    );
    const envelopes = local.reduce((n, d) => n + d.stats.sent, 0);
    const queueBytes = gw.status().queueBytes ?? 0;
    await gw.close();
    closers.pop();
    const fileBytes = statSync(join(dataDir, 'queue.db')).size + walSize(join(dataDir, 'queue.db-wal'));
    // The uplink returns: the same queue, the real upstream.
    const tf = nowMs();
    gw = await startGateway({ ...gwOpts, listenPort: 0, bundle });
    closers.push(() => gw.close());
    await until(
      'forwarded backlog stored',
      async () => (await stored(fx, local)) >= readings,
      o.timeoutMs,
    ).catch((err) => {
      throw new Error(
        `${err.message}: ${JSON.stringify(gw.status())} ${JSON.stringify(fx.server.rejections.totals())} ${JSON.stringify(fx.server.gateways.views())}`,
      );
    });
    const forwardPerSec = readings / ((nowMs() - tf) / 1000);
    await new Promise((r) => setTimeout(r, 500));
    const lost = readings - (await stored(fx, local));
    log(
      `  forwarded ${fmtNum(readings)} readings (${envelopes} envelopes) at ${fmtNum(forwardPerSec)}/s; direct ${fmtNum(directPerSec)}/s; queue ${fmtNum(queueBytes / readings, 1)} B/reading`,
    );
    return {
      readings,
      envelopes,
      forwardPerSec,
      directPerSec,
      queueBytesPerReading: queueBytes / readings,
      fileBytesPerReading: fileBytes / readings,
      lost,
    };
  } finally {
    for (const d of sims) await d.close().catch(() => {});
    for (const c of closers) await c().catch(() => {});
    await fx.destroy();
  }
}

function walSize(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

export function gatewaySummaryRows(r: GatewayBenchResult): SummaryRow[] {
  return [
    {
      id: 'gateway',
      workload: `Gateway forward rate after an outage, ${fmtNum(r.readings)} readings (${r.envelopes} envelopes)`,
      baseline: `direct flush ${fmtNum(r.directPerSec)}/s`,
      measured: `${fmtNum(r.forwardPerSec)}/s`,
      result: `${(r.forwardPerSec / r.directPerSec).toFixed(2)}x`,
      target: '0 lost',
      status: r.lost === 0 ? 'ok' : 'MISSED',
    },
    {
      id: 'gateway',
      workload: 'Gateway queue bytes per reading (envelope payload; SQLite file)',
      baseline: '-',
      measured: `${fmtNum(r.queueBytesPerReading, 1)} B; file ${fmtNum(r.fileBytesPerReading, 1)} B`,
      result: `${fmtNum(r.queueBytesPerReading, 1)} B`,
      target: '-',
      status: 'info',
    },
  ];
}
