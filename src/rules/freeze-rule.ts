/**
 * Freeze alarm, regulatory tier: temperature at or below the freeze limit continuously for the
 * configured time (default -0.5 °C or below for 60 min). Only for freeze-sensitive profiles;
 * resolved at the first reading back above the limit (the damage may be done: resolution is not
 * release).
 */
import type { TemperatureProfile } from '../coldchain/profiles.ts';
import type { ConditionState } from './condition-rule.ts';
import type { HeatRuleConfig } from './heat-rule.ts';
import { createLimitRule } from './limit-rule.ts';
import type { RuleNode } from './rule.ts';

/** As the heat rule's; `inclusive` true puts `temp <= limitC` in the alarm zone. */
export type FreezeRuleConfig = HeatRuleConfig;

export function freezeRuleConfig(profile: TemperatureProfile): FreezeRuleConfig {
  return { ...profile.freeze, maxGapMs: profile.dataGapMaxMs };
}

export function createFreezeRule(config: FreezeRuleConfig): RuleNode<ConditionState> {
  return createLimitRule({ ...config, rule: 'freeze', side: 'below', severity: 'critical' });
}
