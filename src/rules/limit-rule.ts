/**
 * Temperature beyond a limit for a time: the heat and freeze alarms of the regulatory tier and
 * the warning and critical tiers (docs/alarms.md). One episode per stretch beyond the limit, on
 * the readings' own timestamps (condition-rule.ts): raised at the reading where the duration is
 * reached, ended at the first reading back. The regulatory rules run as published (no hysteresis,
 * no merging); the warning and critical tiers leave the limit only when the temperature is back by
 * more than the hysteresis, and merge excursions closer than the merge gap.
 */
import { type ConditionState, createConditionRule, maxPeak, minPeak, numberField } from './condition-rule.ts';
import { durationFacts, formatDuration, formatTemp, formatTempBeside } from './format.ts';
import type { RuleNode, Severity } from './rule.ts';

export interface LimitRuleConfig {
  /** The alarm's rule id (`heat`, `freeze`, `warning:above`, ...). */
  readonly rule: string;
  readonly side: 'above' | 'below';
  readonly limitC: number;
  /** True: the limit itself is in the alarm zone (`>=` above, `<=` below). */
  readonly inclusive: boolean;
  /** How long beyond the limit before the alarm is raised (reached, `>=`). */
  readonly durationMs: number;
  readonly severity: Severity;
  /** Once beyond, the temperature must come back by more than this to leave (°C, default 0). */
  readonly hysteresisC?: number;
  /** Stretches beyond the limit closer than this are one episode (default 0: none merged). */
  readonly mergeGapMs?: number;
  /** No reading for longer than this is time without data (named in the message). */
  readonly maxGapMs?: number;
  /** Sample field, default `temp_c`. */
  readonly field?: string;
}

/** `above 8.0 °C`, `at or below -0.5 °C`. */
export function limitZone(side: 'above' | 'below', limitC: number, inclusive: boolean): string {
  const op = side === 'above' ? (inclusive ? 'at or above' : 'above') : inclusive ? 'at or below' : 'below';
  return `${op} ${formatTemp(limitC)}`;
}

/** One side of a limit with hysteresis, for temperatures (the tiers) and vital signs alike. */
export interface LimitSide {
  readonly side: 'above' | 'below';
  readonly limit: number;
  /** True: the limit itself is in the alarm zone (`>=` above, `<=` below). */
  readonly inclusive: boolean;
  /** Once beyond, a value must come back by more than this to leave (0: none). */
  readonly hysteresis: number;
}

/**
 * Whether `v` is beyond the limit; with `active` (the condition held at the previous reading), it
 * stays beyond until it has come back past the limit by more than the hysteresis.
 */
export function beyondLimit(l: LimitSide, v: number, active: boolean): boolean {
  const above = l.side === 'above';
  if (above ? (l.inclusive ? v >= l.limit : v > l.limit) : l.inclusive ? v <= l.limit : v < l.limit)
    return true;
  return active && l.hysteresis > 0 && (above ? v > l.limit - l.hysteresis : v < l.limit + l.hysteresis);
}

export function createLimitRule(c: LimitRuleConfig): RuleNode<ConditionState> {
  const field = c.field ?? 'temp_c';
  const above = c.side === 'above';
  const h = c.hysteresisC ?? 0;
  const mergeGapMs = c.mergeGapMs ?? 0;
  const limit: LimitSide = { side: c.side, limit: c.limitC, inclusive: c.inclusive, hysteresis: h };
  const zone = limitZone(c.side, c.limitC, c.inclusive);
  return createConditionRule({
    rule: c.rule,
    unit: 'C',
    minDurationMs: c.durationMs,
    raiseWhen: 'reached',
    criterion: `${zone} for ${c.durationMs} ms, hysteresis ${h}, merge ${mergeGapMs} ms`,
    ...(c.maxGapMs !== undefined ? { maxGapMs: c.maxGapMs } : {}),
    ...(mergeGapMs > 0 ? { mergeGapMs } : {}),
    sense(r, active) {
      const t = numberField(r, field);
      if (t === undefined) return undefined;
      return { active: beyondLimit(limit, t, active), value: t };
    },
    peak: above ? maxPeak : minPeak,
    severity: () => c.severity,
    describe(e) {
      const merged =
        e.parts > 1 ? `, ${e.parts} excursions less than ${formatDuration(mergeGapMs)} apart merged` : '';
      return (
        `Temperature ${zone} ${durationFacts(e)}${merged} (alarm after ${formatDuration(c.durationMs)}), ` +
        `${above ? 'peak' : 'lowest'} ${formatTempBeside(e.peak, c.limitC)}`
      );
    },
  });
}
