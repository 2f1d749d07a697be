/**
 * Freeze alarm: temperature at or below the freeze limit continuously for the configured time
 * (default -0.5 °C or below for 60 min). Only for freeze-sensitive profiles; resolved at the first
 * reading back above the limit (the damage may be done: resolution is not release).
 */
import type { TemperatureProfile } from '../coldchain/profiles.ts';
import { type ConditionState, createConditionRule, minPeak, numberField } from './condition-rule.ts';
import { formatDuration, formatTemp } from './format.ts';
import type { RuleNode } from './rule.ts';

export interface FreezeRuleConfig {
  readonly limitC: number;
  /** True: `temp <= limitC` is in the alarm zone; false: only `temp < limitC`. */
  readonly inclusive: boolean;
  readonly durationMs: number;
  readonly field?: string;
}

export function freezeRuleConfig(profile: TemperatureProfile): FreezeRuleConfig {
  return { ...profile.freeze };
}

export function createFreezeRule(config: FreezeRuleConfig): RuleNode<ConditionState> {
  const field = config.field ?? 'temp_c';
  const zone = `${config.inclusive ? 'at or below' : 'below'} ${formatTemp(config.limitC)}`;
  return createConditionRule({
    rule: 'freeze',
    unit: 'C',
    minDurationMs: config.durationMs,
    raiseWhen: 'reached',
    sense(r) {
      const t = numberField(r, field);
      if (t === undefined) return undefined;
      return { active: config.inclusive ? t <= config.limitC : t < config.limitC, value: t };
    },
    peak: minPeak,
    severity: () => 'critical',
    describe: (e) =>
      `Temperature ${zone} for ${formatDuration(e.until - e.startedAt)}${e.ongoing ? ' so far' : ''} ` +
      `(alarm after ${formatDuration(config.durationMs)}), lowest ${formatTemp(e.peak)}`,
  });
}
