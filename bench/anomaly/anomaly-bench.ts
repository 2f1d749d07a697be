/**
 * The labelled anomaly benchmark (`npm run bench -- --only=anomaly`): simulator normal data plus
 * injected faults per profile, every detector scored on recall, detection delay, precision and
 * false alarms per device-week; restarts; memory per device. Seeded: the same options give the
 * same figures. Work is split over two worker threads by device.
 */
import { Worker } from 'node:worker_threads';
import { atLeast, atMost, type SummaryRow } from '../report.ts';
import { median, percentile } from '../stats.ts';
import { DETECTORS, type DetectorName } from './detectors.ts';
import { faultKinds } from './faults.ts';
import { type MemoryResult, measureMemory } from './memory.ts';
import { type DetectorScore, mergeScores } from './metrics.ts';
import { type RestartResult, runRestarts } from './restart.ts';
import type { ProfileRunOptions, ProfileRunResult } from './run-profile.ts';
import { BENCH_PROFILES, type BenchProfile } from './traces.ts';

export interface AnomalyOptions {
  readonly devices: number;
  readonly days: number;
  readonly seed: string;
  /** The forests (`before`, `forest`) are slow: they run on the first this many devices. */
  readonly beforeDevices: number;
  /** Cadences, ms; every detector at the first, rules and monitor at the others. */
  readonly cadencesMs: readonly number[];
  readonly restartDevices: number;
  readonly memoryMonitors: number;
  readonly workers: number;
  readonly profiles?: readonly BenchProfile[];
}

export interface AnomalyResult {
  readonly options: AnomalyOptions;
  readonly runs: ProfileRunResult[];
  readonly restarts: RestartResult[];
  readonly memory: MemoryResult[];
}

function inWorker(o: ProfileRunOptions): Promise<ProfileRunResult> {
  const worker = new Worker(new URL('./worker.ts', import.meta.url), { workerData: o });
  return new Promise((resolve, reject) => {
    worker.once('message', (m: { ok: true; res: ProfileRunResult } | { ok: false; error: string }) => {
      void worker.terminate();
      if (m.ok) resolve(m.res);
      else reject(new Error(`anomaly worker: ${m.error}`));
    });
    worker.once('error', reject);
    worker.once('exit', (code) => {
      if (code !== 0) reject(new Error(`anomaly worker exited with ${code}`));
    });
  });
}

function merge(parts: ProfileRunResult[]): ProfileRunResult {
  const [first, ...rest] = parts as [ProfileRunResult, ...ProfileRunResult[]];
  const scores: ProfileRunResult['scores'] = { ...first.scores };
  const ms: ProfileRunResult['ms'] = { ...first.ms };
  for (const p of rest) {
    for (const d of Object.keys(p.scores) as DetectorName[]) {
      const a = scores[d];
      const b = p.scores[d] as DetectorScore;
      scores[d] = a ? mergeScores(a, b) : b;
      ms[d] = (ms[d] ?? 0) + (p.ms[d] ?? 0);
    }
  }
  return { profile: first.profile, stepMs: first.stepMs, scores, ms };
}

export async function runAnomalyBench(o: AnomalyOptions, log: (s: string) => void): Promise<AnomalyResult> {
  const runs: ProfileRunResult[] = [];
  const profiles = o.profiles ?? BENCH_PROFILES;
  for (const [ci, stepMs] of o.cadencesMs.entries()) {
    const detectors: DetectorName[] = ci === 0 ? [...DETECTORS] : ['rules', 'monitor', 'shipped'];
    for (const profile of profiles) {
      const shares: number[][] = Array.from({ length: o.workers }, () => []);
      for (let i = 0; i < o.devices; i++) (shares[i % o.workers] as number[]).push(i);
      const base = { profile, days: o.days, stepMs, seed: o.seed, detectors, beforeDevices: o.beforeDevices };
      const parts = await Promise.all(
        shares.filter((s) => s.length > 0).map((devices) => inWorker({ ...base, devices })),
      );
      const run = merge(parts);
      runs.push(run);
      const ms = Object.entries(run.ms).map(([d, v]) => `${d} ${((v ?? 0) / 1000).toFixed(1)} s`);
      log(
        `  ${profile} @ ${stepMs / 1000} s: ${o.devices} devices x ${o.days} days normal + faults; CPU ${ms.join(', ')}`,
      );
    }
  }
  const restarts = profiles.map((p) =>
    runRestarts(
      p,
      Array.from({ length: o.restartDevices }, (_, i) => i),
      o.days,
      o.cadencesMs[0] as number,
      o.seed,
    ),
  );
  const memory = profiles.map((p) => measureMemory(p, o.memoryMonitors, o.cadencesMs[0] as number, o.seed));
  return { options: o, runs, restarts, memory };
}

// ---- tables ----------------------------------------------------------------------------------

const LABEL: Record<DetectorName, string> = {
  before: 'before (forest)',
  mad: 'MAD',
  rules: 'rules',
  monitor: 'monitor',
  forest: 'monitor + forest',
  shipped: 'shipped (rules + monitor)',
};
const PROFILE_LABEL: Record<BenchProfile, string> = { truck: 'truck', probe: 'probe', vitals: 'vitals' };

const minutes = (ms: number) => (Number.isFinite(ms) ? (ms / 60_000).toFixed(ms < 600_000 ? 1 : 0) : '-');

export function faWeek(s: DetectorScore, statisticalOnly = false): number {
  return (statisticalOnly ? s.normalStatistical : s.normalAlarms) / s.normalWeeks;
}

export function precision(s: DetectorScore): number {
  return s.truePositives / Math.max(1, s.truePositives + s.falsePositives);
}

/** `recall % · median / p90 delay (min)`. */
function cell(s: DetectorScore | undefined, kind: string): string {
  const k = s?.byKind[kind as keyof DetectorScore['byKind']];
  if (!k || k.faults === 0) return '-';
  const r = `${Math.round((100 * k.detected) / k.faults)} %`;
  if (k.detected === 0) return r;
  return `${r} · ${minutes(median(k.delays))} / ${minutes(percentile(k.delays, 90))}`;
}

/** One markdown table per run: detectors across, fault kinds and false alarms down. */
export function runTable(run: ProfileRunResult): string {
  const ds = DETECTORS.filter((d) => run.scores[d]);
  const head = `| ${PROFILE_LABEL[run.profile]} @ ${run.stepMs / 1000} s | ${ds.map((d) => LABEL[d]).join(' | ')} |`;
  const sep = `|---|${ds.map(() => '---').join('|')}|`;
  const rows: string[] = [];
  const fa = (d: DetectorName) => {
    const s = run.scores[d] as DetectorScore;
    const all = faWeek(s);
    const stat = faWeek(s, true);
    return all === stat || stat === 0 ? all.toFixed(2) : `${all.toFixed(2)} (statistical ${stat.toFixed(2)})`;
  };
  rows.push(`| false alarms / device-week | ${ds.map(fa).join(' | ')} |`);
  rows.push(
    `| precision | ${ds.map((d) => `${Math.round(100 * precision(run.scores[d] as DetectorScore))} %`).join(' | ')} |`,
  );
  for (const kind of faultKinds(run.profile))
    rows.push(`| ${kind} | ${ds.map((d) => cell(run.scores[d], kind)).join(' | ')} |`);
  return [head, sep, ...rows].join('\n');
}

/** Which family caught each fault kind first in the shipped detector. */
export function firstByTable(runs: readonly ProfileRunResult[]): string {
  const rows: string[] = ['| profile | fault | caught first by (share of detections) |', '|---|---|---|'];
  for (const run of runs) {
    const s = run.scores.shipped;
    if (!s) continue;
    for (const kind of faultKinds(run.profile)) {
      const k = s.byKind[kind];
      if (!k || k.detected === 0) continue;
      const parts = Object.entries(k.firstBy)
        .sort((a, b) => b[1] - a[1])
        .map(
          ([rule, n]) => `${rule === 'anomaly' ? 'monitor' : rule} ${Math.round((100 * n) / k.detected)} %`,
        );
      rows.push(`| ${run.profile} @ ${run.stepMs / 1000} s | ${kind} | ${parts.join(', ')} |`);
    }
  }
  return rows.join('\n');
}

export function restartTable(rs: readonly RestartResult[]): string {
  return [
    '| profile | device-weeks | restarts | continuous | restored by time | cold start | alarms differing |',
    '|---|---|---|---|---|---|---|',
    ...rs.map(
      (r) =>
        `| ${r.profile} | ${r.deviceWeeks.toFixed(1)} | ${r.restarts} | ${r.continuous.toFixed(2)} | ${r.restored.toFixed(2)} | ${r.cold.toFixed(2)} | ${r.differing} |`,
    ),
  ].join('\n');
}

export function memoryTable(ms: readonly MemoryResult[]): string {
  return [
    '| profile | monitors | heap per device | own buffers per device |',
    '|---|---|---|---|',
    ...ms.map(
      (m) =>
        `| ${m.profile} | ${m.monitors} | ${(m.heapBytes / 1024).toFixed(1)} KiB | ${(m.ownBytes / 1024).toFixed(1)} KiB |`,
    ),
  ].join('\n');
}

export function renderAnomaly(r: AnomalyResult): string {
  return [
    ...r.runs.map(runTable),
    firstByTable(r.runs),
    'Statistical false alarms per device-week across restarts (the monitor alone, normal data):',
    restartTable(r.restarts),
    memoryTable(r.memory),
  ].join('\n\n');
}

/** Targets of the issue: at most 1 statistical false alarm per device-week; every fault caught >= 90 %. */
export const ANOMALY_TARGETS = { statisticalFaPerDeviceWeek: 1, minRecall: 0.9 } as const;

export function anomalySummaryRows(r: AnomalyResult): SummaryRow[] {
  const rows: SummaryRow[] = [];
  for (const run of r.runs) {
    const mon = run.scores.monitor;
    const ship = run.scores.shipped;
    const before = run.scores.before;
    if (mon) {
      const fa = faWeek(mon, true);
      rows.push({
        id: 'anomaly',
        workload: `Anomaly ${run.profile} @ ${run.stepMs / 1000} s: statistical false alarms / device-week`,
        baseline: before ? `before ${faWeek(before, true).toFixed(1)}` : '-',
        measured: fa.toFixed(2),
        result: fa.toFixed(2),
        target: `<= ${ANOMALY_TARGETS.statisticalFaPerDeviceWeek}`,
        status: atMost(fa, ANOMALY_TARGETS.statisticalFaPerDeviceWeek),
      });
    }
    if (ship) {
      const kinds = faultKinds(run.profile).map((k) => {
        const s = ship.byKind[k];
        return { k, r: s && s.faults > 0 ? s.detected / s.faults : Number.NaN };
      });
      const worst = kinds.reduce((a, b) => (b.r < a.r ? b : a));
      rows.push({
        id: 'anomaly',
        workload: `Anomaly ${run.profile} @ ${run.stepMs / 1000} s: lowest recall over fault kinds (rules + monitor)`,
        baseline: '-',
        measured: worst.k,
        result: `${Math.round(100 * worst.r)} %`,
        target: `>= ${100 * ANOMALY_TARGETS.minRecall} %`,
        status: atLeast(worst.r, ANOMALY_TARGETS.minRecall),
      });
    }
  }
  for (const m of r.memory) {
    rows.push({
      id: 'anomaly',
      workload: `Anomaly ${m.profile}: monitor memory per device (heap growth, ${m.monitors} monitors)`,
      baseline: '-',
      measured: `${(m.heapBytes / 1024).toFixed(1)} KiB`,
      result: `${(m.heapBytes / 1024).toFixed(1)} KiB`,
      target: '<= 256 KiB',
      status: atMost(m.heapBytes, 256 * 1024),
    });
  }
  return rows;
}
