import os from 'node:os';
import { GoodDevice } from './good-device.ts';
import { Lab } from './lab.ts';
import { attachLocalTarget } from './local-target.ts';
import { ProcessMeter } from './process-meter.ts';
import { type RunMode, type Scenario, type ScenarioContext, sleep } from './scenario.ts';
import { ALL_SCENARIOS } from './scenarios/index.ts';
import type {
  FloodPhases,
  ScenarioResult,
  SeclabReport,
  SeclabSummary,
  ServiceFigures,
} from './seclab-types.ts';
import type { Target } from './target.ts';
import { startThrowawayTarget } from './throwaway-target.ts';

export interface SeclabOptions {
  mode: RunMode;
  /** Attack the `vigil start` running on this data directory instead of a throwaway instance. */
  dataDir?: string | undefined;
  /** Scenario id prefixes to run (all of the mode when empty). */
  only?: readonly string[];
  log: (line: string) => void;
  signal: AbortSignal;
}

/** p99 above this many times the baseline, or any failed message, makes a refused attack "degraded". */
export const DEGRADED_P99_RATIO = 5;
/**
 * Fewest readings whose p99 is judged: below it the "p99" is the slowest of a handful of readings
 * (a scenario shorter than 5 s at 10 readings/s), so only failures are judged.
 */
export const MIN_P99_SAMPLES = 50;

/** Phase lengths of a flood, ms: before, during, after. */
const FLOOD_PHASES: Record<RunMode, [number, number, number]> = {
  quick: [5000, 10_000, 5000],
  full: [10_000, 20_000, 10_000],
};
const BASELINE_MS: Record<RunMode, number> = { quick: 5000, full: 10_000 };

export function selectScenarios(mode: RunMode, only: readonly string[] = []): Scenario[] {
  return ALL_SCENARIOS.filter(
    (s) =>
      s.modes.includes(mode) && (only.length === 0 || only.some((p) => s.id === p || s.id.startsWith(p))),
  );
}

function degradedAgainst(base: ServiceFigures, during: ServiceFigures): string | null {
  if (during.successRate < 1) return `${during.sent - during.ok} of ${during.sent} good messages failed`;
  if (
    during.ok >= MIN_P99_SAMPLES &&
    Number.isFinite(base.p99Ms) &&
    during.p99Ms > DEGRADED_P99_RATIO * base.p99Ms
  ) {
    return `good p99 ${during.p99Ms.toFixed(1)} ms > ${DEGRADED_P99_RATIO}x baseline ${base.p99Ms.toFixed(1)} ms`;
  }
  return null;
}

async function withTimeout<T>(p: Promise<T>, ms: number, ac: AbortController): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      ac.abort();
      reject(new Error(`overran its time bound of ${Math.round(ms / 1000)} s`));
    }, ms);
  });
  try {
    return await Promise.race([p, t]);
  } finally {
    clearTimeout(timer);
  }
}

async function runOne(
  s: Scenario,
  base: { lab: Lab; good: GoodDevice; mode: RunMode; log: (l: string) => void; signal: AbortSignal },
  baseline: ServiceFigures,
): Promise<ScenarioResult> {
  const { lab, good, mode } = base;
  const [beforeMs, duringMs, afterMs] = FLOOD_PHASES[mode];
  const ac = new AbortController();
  const onAbort = () => ac.abort();
  base.signal.addEventListener('abort', onAbort, { once: true });
  const ctx: ScenarioContext = { lab, good, mode, durationMs: duringMs, signal: ac.signal, log: base.log };
  const meter = () => new ProcessMeter(lab.target.pid(), lab.target.logFile);
  const t0 = Date.now();
  let phases: FloodPhases | undefined;
  let outcome: Awaited<ReturnType<Scenario['run']>>;
  try {
    if (s.flood) {
      const mBefore = meter();
      mBefore.start();
      await sleep(beforeMs, ac.signal);
      const pBefore = mBefore.stop();
      const tDuring = Date.now();
      const mDuring = meter();
      mDuring.start();
      outcome = await withTimeout(s.run(ctx), duringMs + s.timeoutMs, ac);
      const pDuring = mDuring.stop();
      const tAfter = Date.now();
      const mAfter = meter();
      mAfter.start();
      await sleep(afterMs, ac.signal);
      const pAfter = mAfter.stop();
      const tEnd = Date.now();
      phases = {
        before: { ...(await good.service(t0, tDuring)), ...pBefore },
        during: { ...(await good.service(tDuring, tAfter)), ...pDuring },
        after: { ...(await good.service(tAfter, tEnd)), ...pAfter },
        attack: outcome.attack ?? {},
        timeline: await good.timeline(t0, tEnd),
        attackFromMs: tDuring - t0,
        attackToMs: tAfter - t0,
      };
    } else {
      outcome = await withTimeout(s.run(ctx), s.timeoutMs, ac);
    }
  } catch (err) {
    outcome = {
      verdict: 'error',
      observed: `the scenario could not run: ${(err as Error).message}`,
      evidence: [],
    };
  } finally {
    base.signal.removeEventListener('abort', onAbort);
    ac.abort();
  }
  const t1 = Date.now();
  if (outcome.verdict === 'error') outcome.evidence.push(...(await lab.serverRefusals(t0)));
  const service = phases ? phases.during : await good.service(t0, t1);
  let verdict: ScenarioResult['verdict'] = outcome.verdict;
  const evidence = [...outcome.evidence];
  if (verdict === 'refused' && phases && phases.during.successRate < 0.5) {
    // A flood that took more than half the good readings reached its aim: a denial of service.
    verdict = 'got through';
    evidence.push(
      `denied: only ${phases.during.ok} of ${phases.during.sent} good readings acknowledged during the attack`,
    );
  }
  if (verdict === 'refused') {
    if (s.restartsTarget) {
      evidence.push('the good device was cut off by the planned restart: its service is shown, not judged');
    } else {
      const why = degradedAgainst(phases ? phases.before : baseline, service);
      // A flood's effect may outlast it: the phase after the attack is judged the same way.
      const after = phases ? degradedAgainst(phases.before, phases.after) : null;
      if (why || after) {
        verdict = 'degraded';
        if (why) evidence.push(`degraded: ${why}`);
        if (after) evidence.push(`degraded after the attack stopped: ${after}`);
      }
    }
  }
  return {
    id: s.id,
    family: s.family,
    title: s.title,
    attacked: s.attacked,
    expected: s.expected,
    observed: outcome.observed,
    verdict,
    evidence,
    service,
    ...(phases ? { phases } : {}),
    layers: s.layers,
    properties: s.properties,
    durationMs: t1 - t0,
  };
}

/** `vigil seclab`'s exit code: 1 when an attack got through (first), 3 when a scenario could not run. */
export function exitCodeOf(summary: SeclabSummary): 0 | 1 | 3 {
  if (summary.gotThrough > 0) return 1;
  if (summary.errors > 0) return 3;
  return 0;
}

export function summarize(results: readonly ScenarioResult[]): SeclabSummary {
  const n = (v: ScenarioResult['verdict']) => results.filter((r) => r.verdict === v).length;
  let worst: SeclabSummary['worstDegradation'] = null;
  for (const r of results) {
    if (!r.phases) continue;
    const ratio = r.phases.during.p99Ms / r.phases.before.p99Ms;
    if (!Number.isFinite(ratio)) continue;
    if (!worst || ratio > worst.p99Ratio)
      worst = { id: r.id, p99Ratio: ratio, successRate: r.phases.during.successRate };
  }
  return {
    scenarios: results.length,
    refused: n('refused'),
    gotThrough: n('got through'),
    degraded: n('degraded'),
    skipped: n('skipped'),
    errors: n('error'),
    worstDegradation: worst,
  };
}

const VERSION = '0.1.0';

/**
 * One seclab run: the target (a throwaway `vigil start`, or the one running on `dataDir`), the
 * throwaway devices and users, the good device publishing throughout, every scenario of the mode
 * in order, then cleanup. Never throws for a scenario's failure: that is an `error` result.
 */
export async function runSeclab(o: SeclabOptions): Promise<SeclabReport> {
  const startedAt = new Date();
  const scenarios = selectScenarios(o.mode, o.only);
  o.log(
    `seclab ${o.mode}: ${scenarios.length} scenarios against ${o.dataDir ? `the vigil running on ${o.dataDir}` : 'a throwaway vigil'}`,
  );
  const target: Target = o.dataDir ? await attachLocalTarget(o.dataDir) : await startThrowawayTarget();
  const lab = new Lab(target);
  let good: GoodDevice | undefined;
  const results: ScenarioResult[] = [];
  try {
    await lab.admin();
    good = await GoodDevice.start(await lab.device('good'), target.mqttUrl);
    const tb = Date.now();
    await sleep(BASELINE_MS[o.mode], o.signal);
    const baseline = await good.service(tb, Date.now());
    o.log(
      `good device baseline: p99 ${baseline.p99Ms.toFixed(1)} ms, ${baseline.ok}/${baseline.sent} acknowledged`,
    );
    for (const s of scenarios) {
      if (o.signal.aborted) break;
      const r = await runOne(s, { lab, good, mode: o.mode, log: o.log, signal: o.signal }, baseline);
      results.push(r);
      o.log(`  ${r.verdict.padEnd(11)} ${r.id} (${(r.durationMs / 1000).toFixed(1)} s): ${r.observed}`);
    }
  } finally {
    await good?.stop();
    const problems = await lab.cleanup().catch((e: Error) => [e.message]);
    for (const p of problems) o.log(`cleanup: ${p}`);
    await target.close();
  }
  const finishedAt = new Date();
  return {
    kind: 'vigil-seclab-report',
    version: 1,
    mode: o.mode,
    startedAt: startedAt.toISOString(),
    finishedAt: finishedAt.toISOString(),
    durationMs: finishedAt.getTime() - startedAt.getTime(),
    target: {
      kind: target.kind,
      dataDir: target.kind === 'data-dir' ? target.ctx.paths.dataDir : null,
      mqtt: target.mqttUrl,
      https: target.httpUrl,
      pid: target.pid(),
    },
    machine: {
      cpuModel: os.cpus()[0]?.model.trim() ?? 'unknown',
      cpuCount: os.cpus().length,
      memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
      node: process.version,
      openssl: process.versions.openssl ?? 'unknown',
      loadAvg: os.loadavg().map((v) => Math.round(v * 100) / 100),
    },
    vigilVersion: VERSION,
    summary: summarize(results),
    scenarios: results,
  };
}
