/**
 * The vitals rules benchmark (`npm run bench -- --only=vitals`): the patient monitor's range and
 * NEWS2 rules, as they were (`before`, before-vitals-rules.ts) and as shipped (`after`,
 * `vitalSignRules()`), on the anomaly benchmark's patients (bench/anomaly/traces.ts, faults.ts):
 * - alarms per patient-week on the normal weeks (drift and motion artefacts, no clinical event);
 * - the injected vitals faults (HR jump, SpO2 decline, RR/HR decoupling, flat line) and the
 *   simulator's clinical episodes (clinical-traces.ts): how many each rule set catches (an alarm
 *   raised between the start and 5 min after the end), all of them and those the NEWS2 chart calls
 *   an alarm for (chart-reference.ts; there an alarm already standing when the chart calls for it
 *   counts too: the window escalates a running episode), with the delay; and how many an alarm in
 *   the same window of the fault-free week would have "caught" by chance.
 * Seeded: the same options give the same tables.
 */
import { vitalSignRules } from '../../src/rules/rule-sets.ts';
import { atLeast, atMost, type SummaryRow } from '../report.ts';
import { median, percentile } from '../stats.ts';
import { beforeVitalsRules } from './before-vitals-rules.ts';
import { chartAlarmAt, chartMinutes } from './chart-reference.ts';
import { CLINICAL_KINDS, clinicalTrace } from './clinical-traces.ts';
import { type BenchAlarm, runRules } from './detectors.ts';
import { injectFaults, VITALS_FAULTS } from './faults.ts';
import { GRACE_MS } from './metrics.ts';
import { toReadings } from './readings.ts';
import { generateTrace, type Trace } from './traces.ts';

export interface VitalsRulesOptions {
  readonly patients: number;
  readonly days: number;
  readonly seed: string;
  readonly cadencesMs: readonly number[];
}

const RULE_SETS = { before: beforeVitalsRules, after: () => vitalSignRules() } as const;
type RuleSetName = keyof typeof RULE_SETS;
const NAMES = Object.keys(RULE_SETS) as RuleSetName[];

/** One kind of fault or clinical episode. */
export interface WindowTally {
  n: number;
  alarmable: number;
  caught: Record<RuleSetName, number>;
  caughtAlarmable: Record<RuleSetName, number>;
  byChance: Record<RuleSetName, number>;
  /** Delays of the chart-alarmable windows caught, from the window's start, ms. */
  delays: Record<RuleSetName, number[]>;
  /** The same, from the minute the chart first called for an alarm (negative: earlier), ms. */
  afterChart: Record<RuleSetName, number[]>;
}

export interface VitalsCadenceResult {
  readonly stepMs: number;
  readonly patientWeeks: number;
  /** Alarms on the normal weeks, by rule. */
  readonly normal: Record<RuleSetName, Record<string, number>>;
  readonly windows: Record<string, WindowTally>;
}

export interface VitalsRulesResult {
  readonly options: VitalsRulesOptions;
  readonly cadences: VitalsCadenceResult[];
}

const both = <T>(make: () => T): Record<RuleSetName, T> => ({ before: make(), after: make() });

function alarmsOf(t: Trace): Record<RuleSetName, BenchAlarm[]> {
  const rs = toReadings(t);
  return { before: runRules(RULE_SETS.before(), rs), after: runRules(RULE_SETS.after(), rs) };
}

const firstIn = (alarms: readonly BenchAlarm[], startTs: number, endTs: number) =>
  alarms.find((a) => a.raisedAt >= startTs && a.raisedAt <= endTs + GRACE_MS);

/** An alarm raised before `ts` and still standing at it (an episode the window escalates). */
const standingAt = (alarms: readonly BenchAlarm[], ts: number) =>
  alarms.some((a) => a.raisedAt < ts && (a.endedAt === undefined || a.endedAt > ts));

function runCadence(o: VitalsRulesOptions, stepMs: number): VitalsCadenceResult {
  const normal = both<Record<string, number>>(() => ({}));
  const windows: Record<string, WindowTally> = {};
  for (const kind of [...VITALS_FAULTS, ...CLINICAL_KINDS]) {
    windows[kind] = {
      n: 0,
      alarmable: 0,
      caught: both(() => 0),
      caughtAlarmable: both(() => 0),
      byChance: both(() => 0),
      delays: both((): number[] => []),
      afterChart: both((): number[] => []),
    };
  }
  const tally = (
    labels: readonly { kind: string; startTs: number; endTs: number }[],
    trace: Trace,
    alarms: Record<RuleSetName, BenchAlarm[]>,
    clean: Record<RuleSetName, BenchAlarm[]>,
  ) => {
    const chart = chartMinutes(trace);
    for (const l of labels) {
      const w = windows[l.kind] as WindowTally;
      const chartAt = chartAlarmAt(chart, l.startTs, l.endTs);
      w.n++;
      if (chartAt !== undefined) w.alarmable++;
      for (const name of NAMES) {
        const hit = firstIn(alarms[name], l.startTs, l.endTs);
        if (firstIn(clean[name], l.startTs, l.endTs)) w.byChance[name]++;
        if (hit) w.caught[name]++;
        if (chartAt === undefined) continue;
        if (hit) {
          w.caughtAlarmable[name]++;
          w.delays[name].push(hit.raisedAt - l.startTs);
          w.afterChart[name].push(hit.raisedAt - chartAt);
        } else if (standingAt(alarms[name], chartAt)) w.caughtAlarmable[name]++;
      }
    }
  };
  for (let i = 0; i < o.patients; i++) {
    const week = generateTrace('vitals', i, { devices: 0, days: o.days, stepMs, seed: o.seed });
    const clean = alarmsOf(week);
    for (const name of NAMES) {
      for (const a of clean[name]) normal[name][a.rule] = (normal[name][a.rule] ?? 0) + 1;
    }
    const faulty = injectFaults(week, o.seed);
    tally(faulty.labels, faulty.trace, alarmsOf(faulty.trace), clean);
    const sick = clinicalTrace(i, { days: o.days, stepMs, seed: o.seed });
    tally(sick.labels, sick.trace, alarmsOf(sick.trace), clean);
  }
  return { stepMs, patientWeeks: (o.patients * o.days) / 7, normal, windows };
}

export function runVitalsRulesBench(o: VitalsRulesOptions, log: (s: string) => void): VitalsRulesResult {
  const cadences = o.cadencesMs.map((stepMs) => {
    const r = runCadence(o, stepMs);
    log(
      `  vitals rules @ ${stepMs / 1000} s: ${o.patients} patients x ${o.days} days, normal + faults + clinical`,
    );
    return r;
  });
  return { options: o, cadences };
}

// ---- tables ----------------------------------------------------------------------------------

export function perWeek(c: VitalsCadenceResult, name: RuleSetName): number {
  return Object.values(c.normal[name]).reduce((a, b) => a + b, 0) / c.patientWeeks;
}

const pct = (k: number, n: number) => (n > 0 ? `${Math.round((100 * k) / n)} %` : '-');
const minutes = (ms: number) => (Number.isFinite(ms) ? (ms / 60_000).toFixed(1) : '-');

function byRule(c: VitalsCadenceResult, name: RuleSetName): string {
  return Object.entries(c.normal[name])
    .sort((a, b) => b[1] - a[1])
    .map(([rule, n]) => `${rule} ${(n / c.patientWeeks).toFixed(2)}`)
    .join(', ');
}

export function normalTable(r: VitalsRulesResult): string {
  const rows = ['| rules | cadence | alarms / patient-week | by rule |', '|---|---|---|---|'];
  for (const c of r.cadences) {
    for (const name of NAMES) {
      rows.push(
        `| ${name} | ${c.stepMs / 1000} s | ${perWeek(c, name).toFixed(2)} | ${byRule(c, name) || '-'} |`,
      );
    }
  }
  return rows.join('\n');
}

export function windowsTable(c: VitalsCadenceResult): string {
  const rows = [
    `| vitals rules @ ${c.stepMs / 1000} s | windows | chart-alarmable | caught, before / after | by chance, before / after | chart-alarmable caught, before / after | delay after: from start, median / p90; from the chart, median (min) |`,
    '|---|---|---|---|---|---|---|',
  ];
  for (const [kind, w] of Object.entries(c.windows)) {
    if (w.n === 0) continue;
    const d = w.delays.after;
    rows.push(
      `| ${kind} | ${w.n} | ${w.alarmable} | ${pct(w.caught.before, w.n)} / ${pct(w.caught.after, w.n)} | ` +
        `${pct(w.byChance.before, w.n)} / ${pct(w.byChance.after, w.n)} | ` +
        `${pct(w.caughtAlarmable.before, w.alarmable)} / ${pct(w.caughtAlarmable.after, w.alarmable)} | ` +
        `${d.length > 0 ? `${minutes(median(d))} / ${minutes(percentile(d, 90))}; ${minutes(median(w.afterChart.after))}` : '-'} |`,
    );
  }
  return rows.join('\n');
}

export function renderVitalsRules(r: VitalsRulesResult): string {
  return [normalTable(r), ...r.cadences.map(windowsTable)].join('\n\n');
}

/** Targets: at most one alarm per patient-week on normal data; 90 % of chart-alarmable windows. */
export const VITALS_RULES_TARGETS = { perPatientWeek: 1, minAlarmableRecall: 0.9 } as const;

export function vitalsRulesSummaryRows(r: VitalsRulesResult): SummaryRow[] {
  const rows: SummaryRow[] = [];
  for (const c of r.cadences) {
    const after = perWeek(c, 'after');
    rows.push({
      id: 'vitals',
      workload: `Vitals range + NEWS2 rules @ ${c.stepMs / 1000} s: alarms / patient-week, normal data`,
      baseline: `before ${perWeek(c, 'before').toFixed(1)}`,
      measured: after.toFixed(2),
      result: after.toFixed(2),
      target: `<= ${VITALS_RULES_TARGETS.perPatientWeek}`,
      status: atMost(after, VITALS_RULES_TARGETS.perPatientWeek),
    });
    const ws = Object.values(c.windows);
    const alarmable = ws.reduce((a, w) => a + w.alarmable, 0);
    const share = (name: RuleSetName) => ws.reduce((a, w) => a + w.caughtAlarmable[name], 0) / alarmable;
    rows.push({
      id: 'vitals',
      workload: `Vitals range + NEWS2 rules @ ${c.stepMs / 1000} s: chart-alarmable faults and episodes caught (${alarmable})`,
      baseline: `before ${Math.round(100 * share('before'))} %`,
      measured: `${Math.round(100 * share('after'))} %`,
      result: `${Math.round(100 * share('after'))} %`,
      target: `>= ${100 * VITALS_RULES_TARGETS.minAlarmableRecall} %`,
      status: atLeast(share('after'), VITALS_RULES_TARGETS.minAlarmableRecall),
    });
  }
  return rows;
}
