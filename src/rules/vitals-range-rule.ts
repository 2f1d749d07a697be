/**
 * A range alarm on one vital sign (heart rate, SpO2, body temperature, signal strength), with the
 * limits, delay, hysteresis and merge gap of vitals-policy.ts. Judged as the temperature tiers
 * are (condition-rule.ts), with the patient-monitor timing:
 * - the value, read at the chart's precision, must be in the alarm zone at every reading for the
 *   delay (at least two readings): a single-reading artefact raises nothing;
 * - once raised, the alarm holds until the value is back past the limit by more than the vital's
 *   hysteresis, and a return shorter than the merge gap does not end it: one episode, one alarm;
 * - the peak is the most extreme value two consecutive readings agree on, so an artefact inside
 *   an episode does not become its peak;
 * - the limits may depend on the reading: SpO2 is judged on the patient's NEWS2 scale
 *   (`spo2_scale`) and oxygen (`on_oxygen`) at that reading.
 */
import { type ConditionState, createConditionRule, numberField } from './condition-rule.ts';
import { durationFacts, formatDuration } from './format.ts';
import { beyondLimit } from './limit-rule.ts';
import type { RuleNode } from './rule.ts';
import { limitsApply, readVital, type VitalLimits, type VitalRangeConfig } from './vitals-policy.ts';

export { DEFAULT_VITALS_RANGES } from './vitals-policy.ts';
export type { VitalRangeConfig };

function limitsText(l: VitalLimits, shown: string): string {
  const zones = [
    ...(l.atOrBelow !== undefined ? [`at or below ${l.atOrBelow} ${shown}`] : []),
    ...(l.atOrAbove !== undefined ? [`at or above ${l.atOrAbove} ${shown}`] : []),
  ];
  return `${zones.join(' or ')}${l.note ? ` (${l.note})` : ''}`;
}

export function createVitalRangeRule(
  c: VitalRangeConfig,
  options: { readonly maxGapMs?: number } = {},
): RuleNode<ConditionState> {
  const { field, label, shown, digits, hysteresis } = c.vital;
  const step = 10 ** -digits;
  const hasLow = c.limits.some((l) => l.atOrBelow !== undefined);
  const hasHigh = c.limits.some((l) => l.atOrAbove !== undefined);
  const base = c.limits.find((l) => l.when === undefined) ?? c.limits[0];
  const mid = ((base?.atOrBelow ?? 0) + (base?.atOrAbove ?? 0)) / 2;
  // how far out a value is: lower for a low alarm, higher for a high one, farther from the middle for both
  const extremity = (v: number) => (hasLow && hasHigh ? Math.abs(v - mid) : hasLow ? -v : v);
  const criterion =
    `${field} ${c.limits.map((l) => `${JSON.stringify(l.when ?? {})} ${limitsText(l, shown)}`).join('; ')}` +
    ` for ${c.delayMs} ms, hysteresis ${hysteresis}, merge ${c.mergeGapMs} ms`;
  return createConditionRule({
    rule: c.rule,
    unit: c.unit,
    minDurationMs: c.delayMs,
    raiseWhen: 'reached',
    holdShare: c.holdShare,
    sustainedPeak: true,
    mergeGapMs: c.mergeGapMs,
    ...(options.maxGapMs !== undefined ? { maxGapMs: options.maxGapMs } : {}),
    criterion,
    sense(r, active) {
      const raw = numberField(r, field);
      if (raw === undefined) return undefined;
      const v = readVital(raw, digits);
      const l = c.limits.find((x) => limitsApply(x, r.data));
      if (!l) return { active: false, value: v };
      // in whole reading steps (exact): read at the chart's precision, "at or above 131" is
      // "above 130", and the hysteresis holds the alarm while the value is within it of the limit
      // (HR 126 holds, 125 leaves)
      const n = Math.round(v / step);
      const h = Math.round(hysteresis / step);
      const side = (s: 'below' | 'above', at: number) =>
        beyondLimit(
          {
            side: s,
            limit: Math.round(at / step) + (s === 'below' ? 1 : -1),
            inclusive: false,
            hysteresis: h,
          },
          n,
          active,
        );
      const low = l.atOrBelow !== undefined && side('below', l.atOrBelow);
      const high = l.atOrAbove !== undefined && side('above', l.atOrAbove);
      // the zone the value is in (or nearer to), for the message
      const lowSide = l.atOrAbove === undefined || (l.atOrBelow !== undefined && v <= mid);
      const zone: VitalLimits = lowSide
        ? { atOrBelow: l.atOrBelow as number, ...(l.note ? { note: l.note } : {}) }
        : { atOrAbove: l.atOrAbove, ...(l.note ? { note: l.note } : {}) };
      return { active: low || high, value: v, detail: limitsText(zone, shown) };
    },
    peak: (p, v) => (extremity(v) > extremity(p) ? v : p),
    severity: () => c.severity,
    describe(e) {
      const merged =
        e.parts > 1 ? `, ${e.parts} episodes less than ${formatDuration(c.mergeGapMs)} apart merged` : '';
      const lowest = (e.detail ?? '').startsWith('at or below');
      return (
        `${label} ${e.detail ?? ''} ${durationFacts(e)}${merged} (alarm after ${formatDuration(c.delayMs)}), ` +
        `${lowest ? 'lowest' : 'highest'} ${e.peak} ${shown}`
      );
    },
  });
}
