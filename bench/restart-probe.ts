import { type ChildProcessWithoutNullStreams, execFile, spawn } from 'node:child_process';
import { chmodSync, cpSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { Worker } from 'node:worker_threads';
import { withTimeout } from './clock.ts';
import type { LoadDevice } from './load-types.ts';
import type { RestartFleetJob, RestartFleetResult } from './restart-types.ts';
import type { StartMemory } from './start-memory.ts';
import { fmtMs, median, type Summary, summarize } from './stats.ts';
import { makeTempDir, removeTempDir } from './temp-dirs.ts';
import { fixtureEnv } from './vigil-fixture.ts';

const run = promisify(execFile);
const CHILD = join(import.meta.dirname, 'restart-child.ts');

export interface RestartOptions {
  devices: number;
  /** Readings per device in the data directory with history. */
  readingsPerDevice: number;
  /** Their spacing (the fleet's own cadence). */
  historyStepMs: number;
  /** Each device publishes once per interval. */
  intervalMs: number;
  probeIntervalMs: number;
  warmupMs: number;
  durationMs: number;
  rounds: number;
}

export interface RestartRun {
  history: 'empty' | 'stored';
  startMs: number;
  memory: StartMemory;
  /** RSS when the run ended (10,000 connections open). */
  endRssMiB: number;
  connectMs: number;
  connected: number;
  /** The fleet's measured messages acknowledged, per second of the measured interval. */
  fleetRate: number;
  probe: Summary;
  fleet: Summary;
  errors: number;
  firstError: string | undefined;
  unackedAtEnd: number;
  workerElu: number;
}

export interface RestartResult {
  options: RestartOptions;
  runs: RestartRun[];
  /** Medians per side. */
  probeP99: { empty: number; stored: number };
  fleetP99: { empty: number; stored: number };
  rssMiB: { empty: number; stored: number };
  /** stored / empty: the probe's p99, RSS at start (after the memory-reducing GC). */
  probeRatio: number;
  rssRatio: number;
}

/** A latency percentile; Infinity: messages of that share were never acknowledged. */
export function fmtLatency(ms: number): string {
  return Number.isFinite(ms) ? fmtMs(ms) : 'unacknowledged';
}

async function child(args: string[]): Promise<void> {
  await run(process.execPath, [CHILD, ...args], {
    env: fixtureEnv(),
    timeout: 1_200_000,
    maxBuffer: 1 << 20,
  });
}

/** The Vigil child, serving; resolves once it printed its start line. */
async function serve(dir: string): Promise<{
  proc: ChildProcessWithoutNullStreams;
  start: { mqttPort: number; startMs: number } & StartMemory;
  stop: () => Promise<number>;
}> {
  const proc = spawn(process.execPath, ['--expose-gc', CHILD, 'serve', dir], {
    env: fixtureEnv(),
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  proc.stderr.on('data', (d) => {
    stderr = (stderr + String(d)).slice(-4000);
  });
  const lines = createInterface({ input: proc.stdout })[Symbol.asyncIterator]();
  const next = async (what: string, ms: number) => {
    const r = await withTimeout(lines.next(), ms, what);
    if (r.done) throw new Error(`${what}: the Vigil child exited: ${stderr.trim().split('\n').at(-1) ?? ''}`);
    return JSON.parse(r.value);
  };
  try {
    const start = await next('Vigil start', 900_000);
    return {
      proc,
      start,
      stop: async () => {
        proc.stdin.write('stop\n');
        // a stop drains what the server still holds (queued rules work, notifications): bounded
        const end = await next('Vigil stop', 300_000);
        await withTimeout(
          new Promise((r) => (proc.exitCode !== null ? r(null) : proc.once('exit', r))),
          300_000,
          'Vigil exit',
        );
        return end.endRssMiB as number;
      },
    };
  } catch (err) {
    proc.kill('SIGKILL');
    throw err;
  }
}

function fleetRun(job: RestartFleetJob): Promise<RestartFleetResult> {
  const worker = new Worker(new URL('./restart-fleet-worker.ts', import.meta.url), { workerData: job });
  const limit = job.connectTimeoutMs + job.warmupMs + job.durationMs + job.drainTimeoutMs + 30_000;
  const done = new Promise<RestartFleetResult>((resolve, reject) => {
    worker.once('message', (m: { ok: true; res: RestartFleetResult } | { ok: false; error: string }) =>
      m.ok ? resolve(m.res) : reject(new Error(`fleet: ${m.error}`)),
    );
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`fleet worker exited (code ${code}) without a result`)));
  });
  return withTimeout(done, limit, 'fleet run').finally(() => void worker.terminate());
}

/**
 * The restart probe: `devices` devices, each publishing one message per `intervalMs`
 * (10,000 x 1 msg / 10 s = 1,000 msgs/s), and a probe device publishing every
 * `probeIntervalMs`, against a freshly started Vigil (a process of its own) on two data
 * directories with the same devices: one without readings and one with `readingsPerDevice` per
 * device (700,000). Measured: RSS at start, then publish -> PUBACK of the probe (and of the fleet)
 * once the whole fleet is connected and has published once. Starts alternate; medians.
 */
export async function runRestart(o: RestartOptions, log: (s: string) => void): Promise<RestartResult> {
  const root = makeTempDir('vigil-bench-restart-');
  const dirs = { empty: join(root, 'empty'), stored: join(root, 'stored') };
  try {
    const creds = join(root, 'fleet.json');
    await child(['provision', dirs.empty, String(o.devices), creds]);
    // the same devices, certificates and keys on both sides; a data directory must be private
    cpSync(dirs.empty, dirs.stored, { recursive: true });
    chmodSync(dirs.stored, 0o700);
    await child(['history', dirs.stored, String(o.readingsPerDevice), String(o.historyStepMs)]);
    const devices = JSON.parse(readFileSync(creds, 'utf8')) as LoadDevice[];
    log(
      `  ${o.devices} devices + a probe provisioned with certificates; history: none and ` +
        `${o.devices * o.readingsPerDevice} readings`,
    );
    const nextSeq = {
      empty: devices.map(() => o.readingsPerDevice + 1),
      stored: devices.map(() => o.readingsPerDevice + 1),
    };
    const runs: RestartRun[] = [];
    for (let i = 0; i < o.rounds; i++) {
      const order = i % 2 === 0 ? (['empty', 'stored'] as const) : (['stored', 'empty'] as const);
      for (const history of order) {
        const vigil = await serve(dirs[history]);
        let res: RestartFleetResult;
        let endRssMiB: number;
        try {
          res = await fleetRun({
            host: '127.0.0.1',
            port: vigil.start.mqttPort,
            topicPrefix: 'vigil/v1',
            devices,
            startSeq: nextSeq[history],
            intervalMs: o.intervalMs,
            probeIntervalMs: o.probeIntervalMs,
            connectConcurrency: 64,
            connectTimeoutMs: 600_000,
            warmupMs: o.warmupMs,
            durationMs: o.durationMs,
            drainTimeoutMs: 15_000,
          });
          endRssMiB = await vigil.stop();
        } catch (err) {
          vigil.proc.kill('SIGKILL');
          throw err;
        }
        nextSeq[history] = res.lastSeq.map((s) => s + 1);
        const r: RestartRun = {
          history,
          startMs: vigil.start.startMs,
          memory: vigil.start,
          endRssMiB,
          connectMs: res.connectMs,
          connected: res.connected,
          fleetRate: (res.fleet.filter(Number.isFinite).length / res.measuredMs) * 1000,
          probe: summarize([...res.probe]),
          fleet: summarize([...res.fleet]),
          errors: res.errors,
          firstError: res.firstError,
          unackedAtEnd: res.unackedAtEnd,
          workerElu: res.elu,
        };
        runs.push(r);
        log(
          `  round ${i + 1}/${o.rounds}: ${history.padEnd(6)} start ${(r.startMs / 1000).toFixed(1)} s, ` +
            `RSS ${r.memory.reducedRssMiB.toFixed(0)} MiB; ${r.connected} connected in ` +
            `${(r.connectMs / 1000).toFixed(1)} s; probe p99 ${fmtLatency(r.probe.p99)}, fleet p99 ` +
            `${fmtLatency(r.fleet.p99)} at ${r.fleetRate.toFixed(0)}/s`,
        );
      }
    }
    const med = (h: RestartRun['history'], f: (r: RestartRun) => number) =>
      median(runs.filter((r) => r.history === h).map(f));
    const both = (f: (r: RestartRun) => number) => ({ empty: med('empty', f), stored: med('stored', f) });
    const probeP99 = both((r) => r.probe.p99);
    const rssMiB = both((r) => r.memory.reducedRssMiB);
    return {
      options: o,
      runs,
      probeP99,
      fleetP99: both((r) => r.fleet.p99),
      rssMiB,
      probeRatio: probeP99.stored / probeP99.empty,
      rssRatio: rssMiB.stored / rssMiB.empty,
    };
  } finally {
    removeTempDir(root);
  }
}
