/**
 * Door open longer than allowed (default 5 min). The door state comes from the sample field
 * `door` (`open` | `closed`) or from door events turned into readings (see event-reading.ts);
 * readings without it keep the last known state while time passes. The state holds between
 * readings, so an opening is judged when it ends too: an `open` event at T and a `closed` event
 * at T + 8 min raise the alarm (at the closing) even with no reading in between.
 */
import type { TemperatureProfile } from '../coldchain/profiles.ts';
import { type ConditionState, createConditionRule } from './condition-rule.ts';
import { durationFacts, formatDuration } from './format.ts';
import type { RuleNode } from './rule.ts';

export interface DoorRuleConfig {
  /** Raised when open for strictly longer than this. */
  readonly maxOpenMs: number;
  /** No reading for longer than this is time without data (named in the message). */
  readonly maxGapMs?: number;
}

export function doorRuleConfig(profile: TemperatureProfile): DoorRuleConfig {
  return { maxOpenMs: profile.doorOpenMaxMs, maxGapMs: profile.dataGapMaxMs };
}

export function createDoorRule(config: DoorRuleConfig): RuleNode<ConditionState> {
  return createConditionRule({
    rule: 'door-open',
    unit: 'ms',
    minDurationMs: config.maxOpenMs,
    raiseWhen: 'exceeded',
    stateBetweenReadings: true,
    criterion: `open longer than ${config.maxOpenMs} ms`,
    ...(config.maxGapMs !== undefined ? { maxGapMs: config.maxGapMs } : {}),
    sense(r) {
      const d = r.data['door'];
      if (d === 'open') return { active: true, value: 0 };
      if (d === 'closed') return { active: false, value: 0 };
      return 'hold';
    },
    peak: 'duration',
    severity: () => 'warning',
    describe: (e) => `Door open ${durationFacts(e)} (limit ${formatDuration(config.maxOpenMs)})`,
  });
}
