/**
 * `npm run bench -- --only=scale`: the scale-out modes on this machine, in one run.
 * - embedded: devices -> Vigil's embedded broker -> encrypted SQLite (PUBACK after the commit);
 * - link: devices -> Mosquitto -> the external-broker link of one Vigil -> encrypted SQLite;
 * - PostgreSQL with 1 and with 2 ingest workers (`vigil start --role ingest`) behind Mosquitto;
 * - the PostgreSQL write rate (Store adapter alone, 1 and 2 writers);
 * - failover: broker A killed (-9) under 12 devices, and a PostgreSQL primary killed (-9) and its
 *   synchronous standby promoted.
 * Throughput is what Vigil stores, not what a broker acknowledges: a burst of N messages, the
 * rate between the 10% and 90% marks of the stored count. p99 publish->PUBACK comes from a paced
 * run at half that rate (behind Mosquitto the PUBACK is the broker's, see docs/scaling.md).
 */
import { type PgServer, startPostgres } from '../src/storage/adapters/postgres-server.fixture.ts';
import { type BrokerFailoverResult, runBrokerFailover } from '../test/helpers/broker-failover.ts';
import { type DbFailoverResult, runDbFailover } from '../test/helpers/db-failover.ts';
import { type MosquittoFleet, mosquittoFleet } from '../test/helpers/mosquitto-fleet.ts';
import { nowMs } from './clock.ts';
import { runLoad } from './load-runner.ts';
import type { LoadDevice, LoadJob } from './load-types.ts';
import { atLeast, type SummaryRow } from './report.ts';
import { type PgWriteRun, runPgWrite } from './scale-pg-write.ts';
import { fmtMs, fmtNum, fmtRatio, summarize } from './stats.ts';

/** §2 of the scale-out issue: the link reaches at least 0.8x the embedded pipeline. */
export const LINK_VS_EMBEDDED = 0.8;

export interface ScaleOptions {
  devices: number;
  /** Messages of the throughput burst (count bound). */
  burst: number;
  window: number;
  pacedMs: number;
  pgWrite: { readingsPerBatch: number; maxReadings: number; maxMs: number };
  failoverReadings: number;
}

export interface ModeResult {
  mode: 'embedded' | 'link' | 'pg-1' | 'pg-2';
  label: string;
  /** Stored readings/s between the 10% and 90% marks of the burst. */
  storedRate: number;
  /** PUBACKs/s the devices saw during the burst. */
  ackRate: number;
  pacedRate: number;
  pubackP50: number;
  pubackP99: number;
  stored: number;
  published: number;
}

export interface ScaleResult {
  modes: ModeResult[];
  pgWrite: PgWriteRun[];
  brokerFailover?: BrokerFailoverResult;
  dbFailover?: Omit<DbFailoverResult, 'acked' | 'stored'> & { lost: number; duplicated: number };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function loadDevices(fleet: MosquittoFleet): LoadDevice[] {
  return fleet.bundles.map((b) => ({
    id: b.info.id,
    ca: b.ca,
    cert: b.cert,
    key: b.key,
    secret: b.info.secret,
    kid: b.info.kid,
    alg: b.info.alg,
  }));
}

function job(fleet: MosquittoFleet, devices: LoadDevice[], over: Partial<LoadJob>): LoadJob {
  return {
    url: fleet.deviceUrl,
    topicPrefix: 'vigil/v1',
    devices,
    startSeq: devices.map(() => 1),
    poolPerClient: 1000,
    cyclePool: false,
    mode: 'max',
    window: 64,
    ratePerSec: 0,
    warmupMs: 0,
    durationMs: 120_000,
    drainTimeoutMs: 60_000,
    noDelay: false,
    recordTimes: false,
    ...over,
  };
}

/** Polls the stored count until `want` (or no progress for 20 s); the 10%-90% rate. */
async function storedRate(fleet: MosquittoFleet, from: number, want: number, done: Promise<unknown>) {
  const store = (await fleet.context()).store;
  const marks: { n: number; t: number }[] = [];
  let last = -1;
  let since = nowMs();
  let finished = false;
  void done.finally(() => {
    finished = true;
  });
  for (let i = 0; i < 20_000; i++) {
    const n = (await store.countReadings()) - from;
    marks.push({ n, t: nowMs() });
    if (n >= want) break;
    if (n !== last) [last, since] = [n, nowMs()];
    else if (finished && nowMs() - since > 20_000) break;
    await sleep(50);
  }
  const at = (share: number) => marks.find((m) => m.n >= want * share);
  const a = at(0.1);
  const b = at(0.9);
  const rate = a && b && b.t > a.t ? ((b.n - a.n) * 1000) / (b.t - a.t) : Number.NaN;
  return { rate, stored: marks.at(-1)?.n ?? 0 };
}

async function runMode(
  mode: ModeResult['mode'],
  o: ScaleOptions,
  pg: PgServer | undefined,
  log: (s: string) => void,
): Promise<ModeResult> {
  const workers = mode === 'pg-2' ? 2 : 1;
  const usesPg = mode === 'pg-1' || mode === 'pg-2';
  if (usesPg && !pg) throw new Error('PostgreSQL not available');
  if (usesPg) await pg?.query(`CREATE DATABASE bench_${mode.replace('-', '_')}`);
  const fleet = await mosquittoFleet({
    devices: o.devices,
    brokers: mode === 'embedded' ? 0 : 1,
    profile: 'vaccine-transport',
    idPrefix: `bench-${mode}`,
    config: {
      http: { host: '127.0.0.1', port: 0 },
      ota: { port: 0 },
      // As W1: the per-client publish limit of the embedded broker out of the way.
      mqtt: mode === 'embedded' ? { publishRatePerSec: 100_000, publishBurst: 1_000_000 } : {},
      ...(usesPg ? { storage: { url: pg?.url(`bench_${mode.replace('-', '_')}`) } } : {}),
    },
    external: { fleetRatePerSec: 20_000, maxOutageMinutes: 10, ingestWorkers: 2 },
  });
  try {
    const args = usesPg ? ['--role', 'ingest'] : ['--http-port', '0'];
    for (let w = 0; w < workers; w++) await fleet.startVigil(args, { VIGIL_LOG_LEVEL: 'error' });
    const devices = loadDevices(fleet);
    const per = Math.ceil(o.burst / devices.length);
    const burst = runLoad(job(fleet, devices, { poolPerClient: per, window: o.window }));
    const stored = await storedRate(fleet, 0, per * devices.length, burst);
    const b = await burst;
    log(
      `  ${mode}: stored ${fmtNum(stored.rate)} readings/s (${stored.stored} of ${b.published}), devices saw ${fmtNum(b.ackRate)} PUBACKs/s`,
    );
    if (stored.stored < b.published) {
      // Where the missing ones went: the workers' rejection counters (flushed to the store).
      const counters = await (await fleet.context()).store.getCounters();
      const rejected = Object.entries(counters).filter(([k, v]) => k.startsWith('rejected.') && v > 0);
      log(`  ${mode}: rejections ${rejected.map(([k, v]) => `${k}=${v}`).join(', ') || 'none counted'}`);
    }
    // Paced at half the stored rate: publish -> PUBACK per message.
    const pacedRate = Math.max(50, Math.round((Number.isFinite(stored.rate) ? stored.rate : 1000) / 2));
    const perPaced = Math.ceil((pacedRate * (o.pacedMs + 2000)) / 1000 / devices.length);
    const paced = await runLoad(
      job(fleet, devices, {
        startSeq: b.lastSeq.map((s) => s + 1),
        poolPerClient: perPaced,
        mode: 'paced',
        ratePerSec: pacedRate,
        warmupMs: 1000,
        durationMs: o.pacedMs,
        recordTimes: true,
      }),
    );
    const lat: number[] = [];
    const t = paced.times ?? new Float64Array(0);
    for (let i = 0; i + 3 < t.length; i += 4) {
      const pub = t[i + 2] as number;
      const ack = t[i + 3] as number;
      if (pub >= paced.measureFrom && pub <= paced.measureTo && Number.isFinite(ack)) lat.push(ack - pub);
    }
    const s = summarize(lat);
    log(`  ${mode}: paced ${fmtNum(pacedRate)}/s, publish->PUBACK p50 ${fmtMs(s.p50)}, p99 ${fmtMs(s.p99)}`);
    return {
      mode,
      label: {
        embedded: 'embedded broker, SQLite',
        link: 'Mosquitto + link, SQLite',
        'pg-1': 'Mosquitto, PostgreSQL, 1 ingest worker',
        'pg-2': 'Mosquitto, PostgreSQL, 2 ingest workers',
      }[mode],
      storedRate: stored.rate,
      ackRate: b.ackRate,
      pacedRate,
      pubackP50: s.p50,
      pubackP99: s.p99,
      stored: stored.stored,
      published: b.published,
    };
  } finally {
    await fleet.stop();
  }
}

export async function runScale(o: ScaleOptions, log: (s: string) => void): Promise<ScaleResult> {
  const result: ScaleResult = { modes: [], pgWrite: [] };
  // fsync on: the figures are those of a durable database.
  const pg = await startPostgres({ durable: true });
  try {
    for (const mode of ['embedded', 'link', 'pg-1', 'pg-2'] as const) {
      result.modes.push(await runMode(mode, o, pg, log));
    }
    for (const writers of [1, 2]) {
      const r = await runPgWrite(pg, writers, o.pgWrite);
      log(
        `  PostgreSQL write, ${writers} writer(s): ${fmtNum(r.rate)} readings/s (commit p99 ${fmtMs(r.commitMsP99)}, ${fmtNum(r.bytesPerReading)} B/reading on disk)`,
      );
      result.pgWrite.push(r);
    }
  } finally {
    await pg.stop();
  }
  const fleet = await mosquittoFleet({ devices: 12, brokers: 2, idPrefix: 'bench-ha' });
  try {
    await fleet.startVigil(['--http-port', '0'], { VIGIL_LOG_LEVEL: 'error' });
    result.brokerFailover = await runBrokerFailover(fleet, {
      intervalMs: 100,
      beforeKillMs: 3000,
      afterMoveMs: 2000,
      keepaliveS: 10,
    });
    log(`  broker failover: ${JSON.stringify(result.brokerFailover)}`);
  } finally {
    await fleet.stop();
  }
  const primary = await startPostgres({ durable: true, synchronousStandby: 'standby1' });
  try {
    const standby = await startPostgres({ durable: true, standbyOf: primary, name: 'standby1' });
    try {
      for (let i = 0; i < 200; i++) {
        const r = await primary.query<{ s: string }>('SELECT sync_state AS s FROM pg_stat_replication');
        if (r[0]?.s === 'sync') break;
        await sleep(100);
      }
      const { acked, stored, ...rest } = await runDbFailover(primary, standby, o.failoverReadings);
      const have = new Set(stored);
      result.dbFailover = {
        ...rest,
        lost: acked.filter((s) => !have.has(s)).length,
        duplicated: stored.length - have.size,
      };
      log(`  database failover: ${JSON.stringify(result.dbFailover)}`);
    } finally {
      await standby.stop();
    }
  } finally {
    await primary.stop();
  }
  return result;
}

export function scaleSummaryRows(r: ScaleResult): SummaryRow[] {
  const rows: SummaryRow[] = [];
  const embedded = r.modes.find((m) => m.mode === 'embedded');
  for (const m of r.modes) {
    const ratio = embedded ? m.storedRate / embedded.storedRate : Number.NaN;
    rows.push({
      id: 'scale',
      workload: `Scale: ${m.label}, stored/s; p99 publish->PUBACK`,
      baseline: m.mode === 'embedded' ? '-' : `embedded ${fmtNum(embedded?.storedRate ?? Number.NaN)}/s`,
      measured: `${fmtNum(m.storedRate)}/s; p99 ${fmtMs(m.pubackP99)}`,
      result: m.mode === 'embedded' ? '-' : fmtRatio(ratio),
      target: m.mode === 'link' ? `>= ${LINK_VS_EMBEDDED.toFixed(2)}x` : '-',
      status: m.mode === 'link' ? atLeast(ratio, LINK_VS_EMBEDDED) : 'info',
    });
  }
  for (const w of r.pgWrite) {
    rows.push({
      id: 'scale',
      workload: `Scale: PostgreSQL write rate, ${w.writers} writer(s), 200/commit`,
      baseline: '-',
      measured: `${fmtNum(w.rate)} readings/s`,
      result: `commit p99 ${fmtMs(w.commitMsP99)}, ${fmtNum(w.bytesPerReading)} B/reading`,
      target: '-',
      status: 'info',
    });
  }
  const bf = r.brokerFailover;
  if (bf) {
    rows.push({
      id: 'scale',
      workload: `Scale: broker A killed -9, ${bf.devices} devices move to B`,
      baseline: '-',
      measured: `gap max ${fmtMs(bf.gapMaxMs)} (median ${fmtMs(bf.gapMedianMs)})`,
      result: `${bf.lost} lost, ${bf.duplicated} dup of ${bf.acked}`,
      target: '0 lost, 0 dup',
      status: bf.lost === 0 && bf.duplicated === 0 && bf.moved === bf.devices ? 'ok' : 'MISSED',
    });
  }
  const df = r.dbFailover;
  if (df) {
    rows.push({
      id: 'scale',
      workload: 'Scale: PostgreSQL primary killed -9, standby promoted',
      baseline: `promoted after ${fmtMs(df.promoteMs)}`,
      measured: `write downtime ${fmtMs(df.writeDowntimeMs)}`,
      result: `${df.lost} lost, ${df.duplicated} dup of ${df.total}`,
      target: '0 lost, 0 dup',
      status: df.lost === 0 && df.duplicated === 0 && df.onNewPrimary === df.total ? 'ok' : 'MISSED',
    });
  }
  return rows;
}
