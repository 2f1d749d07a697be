/**
 * Heat alarm, regulatory tier: temperature above the limit continuously for the configured time
 * (WHO PQS E006 30-day recorder default: above +8 °C for 10 h). Raised at the reading where the
 * duration is reached; resolved at the first reading back at or below the limit. A data gap does
 * not break the continuity (condition-rule.ts); the message says how long was without data.
 */
import type { TemperatureProfile } from '../coldchain/profiles.ts';
import type { ConditionState } from './condition-rule.ts';
import { createLimitRule } from './limit-rule.ts';
import type { RuleNode } from './rule.ts';

export interface HeatRuleConfig {
  readonly limitC: number;
  /** True: `temp >= limitC` is in the alarm zone; false: only `temp > limitC`. */
  readonly inclusive: boolean;
  readonly durationMs: number;
  /** No reading for longer than this is time without data (the profile's data-gap limit). */
  readonly maxGapMs?: number;
  /** Sample field, default `temp_c`. */
  readonly field?: string;
}

export function heatRuleConfig(profile: TemperatureProfile): HeatRuleConfig {
  return { ...profile.heat, maxGapMs: profile.dataGapMaxMs };
}

export function createHeatRule(config: HeatRuleConfig): RuleNode<ConditionState> {
  return createLimitRule({ ...config, rule: 'heat', side: 'above', severity: 'critical' });
}
