/**
 * Physically impossible values: a reading no real state of the watched thing can produce, such as
 * −40 °C in a 2-8 °C refrigerator, −127 °C or 85 °C (a DS18B20's disconnected and power-on
 * values), an SpO2 above 100 %. One such reading is a sensor fault; it is never scored by the
 * statistical monitor and never taken for an excursion of the product.
 */
import { formatDuration } from '../format.ts';
import type { RuleNode } from '../rule.ts';
import { createFaultRule, type FaultState } from './fault-rule.ts';
import { formatField, type WatchedField } from './flat-line-rule.ts';

/** A field and the open interval of values it can physically take. */
export interface PlausibleRange extends WatchedField {
  /** Values at or below this are impossible. */
  readonly lowest: number;
  /** Values at or above this are impossible. */
  readonly highest: number;
}

export interface ImpossibleValueRuleConfig {
  readonly checks: readonly PlausibleRange[];
  /** What cannot reach the value: `a refrigerated load`, `a patient`. */
  readonly what: string;
  readonly holdMs: number;
}

export const isPlausible = (c: PlausibleRange, v: number): boolean => v > c.lowest && v < c.highest;

export function createImpossibleValueRule(config: ImpossibleValueRuleConfig): RuleNode<FaultState<null>> {
  return createFaultRule<null>({
    rule: 'impossible-value',
    unit: 'ms',
    minDurationMs: 0,
    minReadings: 1,
    holdMs: config.holdMs,
    severity: 'warning',
    initialMemo: null,
    judge(memo, r) {
      if (r.source === 'event') return { memo, verdict: undefined };
      let seen = false;
      for (const c of config.checks) {
        const v = r.data[c.field];
        if (typeof v !== 'number' || !Number.isFinite(v)) continue;
        seen = true;
        if (!isPlausible(c, v)) {
          const range = `plausible ${c.lowest} to ${c.highest}${c.unit === '%' ? ' %' : ` ${c.unit}`}, exclusive`;
          return { memo, verdict: { faulty: true, detail: `${formatField(c, v)} (${range})` } };
        }
      }
      return { memo, verdict: seen ? { faulty: false } : undefined };
    },
    describe: (f) =>
      `Sensor reads ${f.detail}, impossible for ${config.what}` +
      `${f.until > f.startedAt ? `, for ${formatDuration(f.until - f.startedAt)}` : ''}: sensor fault or disconnected`,
  });
}
