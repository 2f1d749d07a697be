/**
 * Battery low: `bat_pct` below the threshold (default 20 %), raised at once. It clears only at or
 * above a higher level (default 25 %), so a reading that wobbles around 20 % gives one alarm, not many.
 */
import { type ConditionState, createConditionRule, minPeak, numberField } from './condition-rule.ts';
import type { RuleNode } from './rule.ts';

export interface BatteryRuleConfig {
  readonly lowPct: number;
  /** Clears at or above this; must be >= lowPct. */
  readonly clearPct: number;
}

export const DEFAULT_BATTERY: BatteryRuleConfig = { lowPct: 20, clearPct: 25 };

export function createBatteryRule(config: BatteryRuleConfig): RuleNode<ConditionState> {
  if (config.clearPct < config.lowPct) throw new RangeError('clearPct must be >= lowPct');
  return createConditionRule({
    rule: 'battery-low',
    unit: '%',
    minDurationMs: 0,
    raiseWhen: 'reached',
    sense(r, active) {
      const v = numberField(r, 'bat_pct');
      if (v === undefined) return undefined;
      return { active: active ? v < config.clearPct : v < config.lowPct, value: v };
    },
    peak: minPeak,
    severity: () => 'warning',
    describe: (e) => `Battery low: ${e.peak} % (alarm below ${config.lowPct} %)`,
  });
}
