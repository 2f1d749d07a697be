/**
 * Door open longer than allowed (default 5 min). The door state comes from the sample field
 * `door` (`open` | `closed`) or from door events turned into readings (see event-reading.ts);
 * readings without it keep the last known state while time passes.
 */
import type { TemperatureProfile } from '../coldchain/profiles.ts';
import { type ConditionState, createConditionRule } from './condition-rule.ts';
import { formatDuration } from './format.ts';
import type { RuleNode } from './rule.ts';

export interface DoorRuleConfig {
  /** Raised when open for strictly longer than this. */
  readonly maxOpenMs: number;
}

export function doorRuleConfig(profile: TemperatureProfile): DoorRuleConfig {
  return { maxOpenMs: profile.doorOpenMaxMs };
}

export function createDoorRule(config: DoorRuleConfig): RuleNode<ConditionState> {
  return createConditionRule({
    rule: 'door-open',
    unit: 'ms',
    minDurationMs: config.maxOpenMs,
    raiseWhen: 'exceeded',
    sense(r) {
      const d = r.data['door'];
      if (d === 'open') return { active: true, value: 0 };
      if (d === 'closed') return { active: false, value: 0 };
      return 'hold';
    },
    peak: 'duration',
    severity: () => 'warning',
    describe: (e) =>
      `Door open for ${formatDuration(e.peak)}${e.ongoing ? ' so far' : ''} (limit ${formatDuration(config.maxOpenMs)})`,
  });
}
