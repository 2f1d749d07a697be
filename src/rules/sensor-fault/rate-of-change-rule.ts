/**
 * Rate of change beyond physics: two consecutive readings further apart than the watched thing
 * can move in the time between them. A loaded 2-8 °C container warms at most toward the outside
 * air with a time constant of minutes (an air probe in an upright fridge with its door open, about
 * 10 min: under 2 °C/min), so 5 °C in 10 s is the sensor, its wiring or interference, not the
 * product. The allowance absorbs sensor noise and rounding; steps longer than `maxStepMs` (a gap)
 * are not judged, and impossible values are left to the impossible-value rule.
 */

import { maxPeak } from '../condition-rule.ts';
import { formatDuration } from '../format.ts';
import type { RuleNode } from '../rule.ts';
import { createFaultRule, type FaultState } from './fault-rule.ts';
import { isPlausible, type PlausibleRange } from './impossible-value-rule.ts';

export interface RateOfChangeRuleConfig {
  /** The field, its printing and its plausible range (readings outside it are not judged). */
  readonly check: PlausibleRange;
  /** Fastest physical change, units per minute. */
  readonly maxPerMin: number;
  /** Noise and rounding allowed on top of `maxPerMin`, in the field's unit. */
  readonly allowance: number;
  readonly maxStepMs: number;
  readonly holdMs: number;
  /** What cannot change that fast: `a refrigerated load`, `a patient's body temperature`. */
  readonly what: string;
}

interface Previous {
  readonly ts: number;
  readonly value: number;
}

export function createRateOfChangeRule(
  config: RateOfChangeRuleConfig,
): RuleNode<FaultState<Previous | null>> {
  const c = config.check;
  const unit = c.unit === '%' ? ' %' : ` ${c.unit}`;
  return createFaultRule<Previous | null>({
    rule: 'rate-of-change',
    unit: c.unit === '°C' ? 'C' : 'score',
    minDurationMs: 0,
    minReadings: 1,
    holdMs: config.holdMs,
    severity: 'warning',
    initialMemo: null,
    judge(prev, r) {
      const v = r.data[c.field];
      if (r.source === 'event' || typeof v !== 'number' || !Number.isFinite(v) || !isPlausible(c, v))
        return { memo: prev, verdict: undefined };
      const memo: Previous = { ts: r.ts, value: v };
      if (!prev || r.ts <= prev.ts)
        return { memo: prev && r.ts <= prev.ts ? prev : memo, verdict: undefined };
      const dt = r.ts - prev.ts;
      if (dt > config.maxStepMs) return { memo, verdict: { faulty: false } };
      const step = Math.abs(v - prev.value);
      if (step <= config.allowance + (config.maxPerMin * dt) / 60_000)
        return { memo, verdict: { faulty: false } };
      const detail =
        `${c.label} ${v > prev.value ? 'jumped' : 'dropped'} ${step.toFixed(c.digits)}${unit} in ${formatDuration(dt)} ` +
        `(${prev.value.toFixed(c.digits)} → ${v.toFixed(c.digits)}${unit})`;
      return { memo, verdict: { faulty: true, value: step, detail } };
    },
    peak: maxPeak,
    describe: (f) =>
      `${f.detail}, faster than ${config.what} can change (${config.maxPerMin}${unit}/min): sensor fault or interference`,
  });
}
