/**
 * Range checks on one numeric sample field: heart rate, body temperature, SpO2, signal strength.
 * Open while the value is outside [min, max]; the peak is the value farthest outside.
 * Defaults follow the NEWS2 red (3-point) edges: pulse <= 40 or >= 131, temperature <= 35.0,
 * SpO2 <= 91 (scale 1); body temperature >= 39.1 (NEWS2 2 points) too; signal below -100 dBm.
 */
import { type ConditionState, createConditionRule, numberField } from './condition-rule.ts';
import type { AlarmUnit, RuleNode, Severity } from './rule.ts';

export interface RangeRuleConfig {
  readonly rule: string;
  readonly field: string;
  readonly label: string;
  readonly unit: AlarmUnit;
  /** Lowest value in range (inclusive); omit for no lower check. */
  readonly min?: number;
  /** Highest value in range (inclusive); omit for no upper check. */
  readonly max?: number;
  readonly severity: Severity;
}

export const DEFAULT_VITALS_RANGES: readonly RangeRuleConfig[] = [
  {
    rule: 'heart-rate',
    field: 'hr_bpm',
    label: 'Heart rate',
    unit: 'bpm',
    min: 41,
    max: 130,
    severity: 'critical',
  },
  {
    rule: 'body-temperature',
    field: 'temp_c',
    label: 'Body temperature',
    unit: 'C',
    min: 35.1,
    max: 39.0,
    severity: 'warning',
  },
  { rule: 'spo2-low', field: 'spo2_pct', label: 'SpO2', unit: '%', min: 92, severity: 'critical' },
  {
    rule: 'signal-weak',
    field: 'rssi_dbm',
    label: 'Signal strength',
    unit: 'dBm',
    min: -100,
    severity: 'info',
  },
];

export function createRangeRule(config: RangeRuleConfig): RuleNode<ConditionState> {
  const lo = config.min ?? Number.NEGATIVE_INFINITY;
  const hi = config.max ?? Number.POSITIVE_INFINITY;
  const shown = config.unit === 'C' ? '°C' : config.unit;
  const outBy = (v: number) => (v < lo ? lo - v : v > hi ? v - hi : 0);
  const range =
    config.min !== undefined && config.max !== undefined
      ? `${config.min}..${config.max}`
      : config.min !== undefined
        ? `>= ${config.min}`
        : `<= ${config.max}`;
  return createConditionRule({
    rule: config.rule,
    unit: config.unit,
    minDurationMs: 0,
    raiseWhen: 'reached',
    sense(r) {
      const v = numberField(r, config.field);
      if (v === undefined) return undefined;
      return { active: v < lo || v > hi, value: v };
    },
    peak: (p, v) => (outBy(v) > outBy(p) ? v : p),
    severity: () => config.severity,
    describe: (e) => `${config.label} out of range: ${e.peak} ${shown} (range ${range} ${shown})`,
  });
}
