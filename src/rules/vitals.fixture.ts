/** Helpers for the patient-monitor rule tests: vitals samples on a seconds grid. */
import type { AlarmTransition, Reading } from './rule.ts';
import { createRuleEngine } from './rule-engine.ts';
import { type VitalsRuleOptions, vitalsRules } from './rule-sets.ts';
import { T0 } from './rules.fixture.ts';

/** A healthy adult on air: NEWS2 0. */
export const HEALTHY = Object.freeze({
  hr_bpm: 72,
  spo2_pct: 97,
  rr_bpm: 16,
  sbp_mmhg: 122,
  temp_c: 36.8,
  on_oxygen: false,
  consciousness: 'A',
});

export type Vitals = Readonly<Record<string, unknown>>;

/** Seconds after T0 as a timestamp. */
export const sec = (s: number): number => T0 + s * 1000;

/** One reading every `stepS` seconds from `fromS` for `count` readings; `at(i, s)` gives the data. */
export function every(
  stepS: number,
  count: number,
  data: (i: number, s: number) => Vitals,
  fromS = 0,
): Reading[] {
  return Array.from({ length: count }, (_, i) => {
    const s = fromS + i * stepS;
    return { ts: sec(s), data: { ...HEALTHY, ...data(i, s) } };
  });
}

/** Every transition of feeding the readings one by one, live, into the vitals rules. */
export function live(readings: readonly Reading[], options: VitalsRuleOptions = {}): AlarmTransition[] {
  const e = createRuleEngine({ rules: vitalsRules(options) });
  return readings.flatMap((r) => e.ingest('bed-12', [r], r.ts).transitions);
}

/** `opened heart-rate raised=60s` style summary, times in seconds after T0. */
export function timeline(ts: readonly AlarmTransition[], rule?: string): string[] {
  const s = (v: number | undefined) => (v === undefined ? '-' : `${(v - T0) / 1000}s`);
  return ts
    .filter((t) => rule === undefined || t.alarm.rule === rule)
    .map(
      (t) =>
        `${t.type} ${t.alarm.rule} start=${s(t.alarm.startedAt)} raised=${s(t.alarm.raisedAt)} ` +
        `resolved=${s(t.alarm.resolvedAt)} ${t.alarm.severity} ${t.alarm.peak}`,
    );
}
