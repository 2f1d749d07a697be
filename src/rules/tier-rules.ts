/**
 * The warning and critical tiers of a profile's alarm policy (coldchain/alarm-policy.ts) as rule
 * nodes: `warning:above`, `warning:below`, `critical:above`, `critical:below`, each a limit rule
 * with the profile's hysteresis and merge gap. Together with the regulatory heat, freeze and
 * budget rules they make the tiered policy of docs/alarms.md.
 */
import { ALARM_TIERS, type AlarmTier, MINUTE_MS, TIER_SIDES } from '../coldchain/alarm-policy.ts';
import type { TemperatureProfile } from '../coldchain/profiles.ts';
import { createLimitRule, type LimitRuleConfig } from './limit-rule.ts';
import type { RuleNode } from './rule.ts';

/** The tier an alarm belongs to, from its rule id; null for rules outside the temperature tiers. */
export function alarmTier(rule: string): AlarmTier | 'regulatory' | null {
  if (rule === 'heat' || rule === 'freeze' || rule.startsWith('budget:')) return 'regulatory';
  const [tier = '', side] = rule.split(':');
  return side !== undefined && (ALARM_TIERS as readonly string[]).includes(tier) ? (tier as AlarmTier) : null;
}

/** One limit rule config per tier side the profile switches on. */
export function tierRuleConfigs(profile: TemperatureProfile): LimitRuleConfig[] {
  const out: LimitRuleConfig[] = [];
  for (const tier of ALARM_TIERS) {
    for (const side of TIER_SIDES) {
      const a = profile.tiers[tier][side];
      if (!a) continue;
      out.push({
        rule: `${tier}:${side}`,
        side,
        ...a,
        severity: tier,
        hysteresisC: profile.hysteresisC,
        mergeGapMs: profile.mergeGapMinutes * MINUTE_MS,
        maxGapMs: profile.dataGapMaxMs,
      });
    }
  }
  return out;
}

export function tierRules(profile: TemperatureProfile): RuleNode[] {
  return tierRuleConfigs(profile).map(createLimitRule);
}
