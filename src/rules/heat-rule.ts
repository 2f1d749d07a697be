/**
 * Heat alarm: temperature above the limit continuously for the configured time (WHO PQS E006
 * 30-day recorder default: above +8 °C for 10 h). Raised at the reading where the duration is
 * reached; resolved at the first reading back at or below the limit.
 */
import type { TemperatureProfile } from '../coldchain/profiles.ts';
import { type ConditionState, createConditionRule, maxPeak, numberField } from './condition-rule.ts';
import { formatDuration, formatTemp } from './format.ts';
import type { RuleNode } from './rule.ts';

export interface HeatRuleConfig {
  readonly limitC: number;
  /** True: `temp >= limitC` is in the alarm zone; false: only `temp > limitC`. */
  readonly inclusive: boolean;
  readonly durationMs: number;
  /** Sample field, default `temp_c`. */
  readonly field?: string;
}

export function heatRuleConfig(profile: TemperatureProfile): HeatRuleConfig {
  return { ...profile.heat };
}

export function createHeatRule(config: HeatRuleConfig): RuleNode<ConditionState> {
  const field = config.field ?? 'temp_c';
  const zone = `${config.inclusive ? 'at or above' : 'above'} ${formatTemp(config.limitC)}`;
  return createConditionRule({
    rule: 'heat',
    unit: 'C',
    minDurationMs: config.durationMs,
    raiseWhen: 'reached',
    sense(r) {
      const t = numberField(r, field);
      if (t === undefined) return undefined;
      return { active: config.inclusive ? t >= config.limitC : t > config.limitC, value: t };
    },
    peak: maxPeak,
    severity: () => 'critical',
    describe: (e) =>
      `Temperature ${zone} for ${formatDuration(e.until - e.startedAt)}${e.ongoing ? ' so far' : ''} ` +
      `(alarm after ${formatDuration(config.durationMs)}), peak ${formatTemp(e.peak)}`,
  });
}
