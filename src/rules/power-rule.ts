/**
 * No mains power for longer than allowed (default 24 h): `power` is `battery` or `backup`, from
 * the sample field or power events; readings without it keep the last known source. As with the
 * door, the state holds between readings and a stretch off mains is judged when it ends too.
 */
import type { TemperatureProfile } from '../coldchain/profiles.ts';
import { type ConditionState, createConditionRule } from './condition-rule.ts';
import { durationFacts, formatDuration } from './format.ts';
import type { RuleNode } from './rule.ts';

export interface PowerRuleConfig {
  /** Raised when off mains for strictly longer than this. */
  readonly maxOffMainsMs: number;
  /** No reading for longer than this is time without data (named in the message). */
  readonly maxGapMs?: number;
}

export function powerRuleConfig(profile: TemperatureProfile): PowerRuleConfig {
  return { maxOffMainsMs: profile.noPowerMaxMs, maxGapMs: profile.dataGapMaxMs };
}

export function createPowerRule(config: PowerRuleConfig): RuleNode<ConditionState> {
  return createConditionRule({
    rule: 'no-power',
    unit: 'ms',
    minDurationMs: config.maxOffMainsMs,
    raiseWhen: 'exceeded',
    stateBetweenReadings: true,
    criterion: `off mains longer than ${config.maxOffMainsMs} ms`,
    ...(config.maxGapMs !== undefined ? { maxGapMs: config.maxGapMs } : {}),
    sense(r) {
      const p = r.data['power'];
      if (p === 'mains') return { active: false, value: 0 };
      if (p === 'battery' || p === 'backup') return { active: true, value: 0, detail: p };
      return 'hold';
    },
    peak: 'duration',
    severity: () => 'warning',
    describe: (e) =>
      `No mains power (${e.detail ?? 'battery'}) ${durationFacts(e)} (limit ${formatDuration(config.maxOffMainsMs)})`,
  });
}
