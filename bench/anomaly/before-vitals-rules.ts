/**
 * The vitals range and NEWS2 rules as they were before they had alarm delays, hysteresis and the
 * SpO2 scale 2 limits, kept here as the benchmark's baseline (as before-monitor.ts keeps the
 * forest): every reading outside a fixed range, or any reading in the NEWS2 low-medium band or
 * above, opened an alarm at once, closed at the next reading back.
 */
import { createConditionRule, maxPeak, numberField } from '../../src/rules/condition-rule.ts';
import { news2FromSample } from '../../src/rules/news2.ts';
import type { Reading, RuleNode } from '../../src/rules/rule.ts';

/** Field, in-range interval (inclusive) and rule id of the old range checks. */
export interface BeforeRange {
  readonly rule: string;
  readonly field: string;
  readonly min?: number;
  readonly max?: number;
}

/** The old defaults (signal strength left out: the benchmark's traces carry none). */
export const BEFORE_VITALS_RANGES: readonly BeforeRange[] = [
  { rule: 'heart-rate', field: 'hr_bpm', min: 41, max: 130 },
  { rule: 'body-temperature', field: 'temp_c', min: 35.1, max: 39.0 },
  { rule: 'spo2-low', field: 'spo2_pct', min: 92 },
];

/** Outside the old range of any vital (what the forest shipped before was told the rules own). */
export function outsideBeforeRanges(r: Reading): boolean {
  return BEFORE_VITALS_RANGES.some((c) => {
    const v = numberField(r, c.field);
    return v !== undefined && ((c.min !== undefined && v < c.min) || (c.max !== undefined && v > c.max));
  });
}

export function beforeVitalsRules(): RuleNode[] {
  const ranges = BEFORE_VITALS_RANGES.map((c) => {
    const lo = c.min ?? Number.NEGATIVE_INFINITY;
    const hi = c.max ?? Number.POSITIVE_INFINITY;
    const outBy = (v: number) => (v < lo ? lo - v : v > hi ? v - hi : 0);
    return createConditionRule({
      rule: c.rule,
      unit: 'score',
      minDurationMs: 0,
      raiseWhen: 'reached',
      sense(r) {
        const v = numberField(r, c.field);
        return v === undefined ? undefined : { active: v < lo || v > hi, value: v };
      },
      peak: (p, v) => (outBy(v) > outBy(p) ? v : p),
      severity: () => 'critical',
      describe: (e) => `${c.field} out of range: ${e.peak}`,
    }) as RuleNode;
  });
  const news2 = createConditionRule({
    rule: 'news2',
    unit: 'score',
    minDurationMs: 0,
    raiseWhen: 'reached',
    sense(r) {
      const s = news2FromSample(r.data);
      return 'missing' in s ? undefined : { active: s.band !== 'low', value: s.total };
    },
    peak: maxPeak,
    severity: (peak) => (peak >= 5 ? 'critical' : 'warning'),
    describe: (e) => `NEWS2 ${e.peak} at peak`,
  }) as RuleNode;
  return [news2, ...ranges];
}
