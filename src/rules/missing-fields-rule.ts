/** Missing fields: a sample lacks fields its profile requires (for vitals, the NEWS2 inputs). */
import { type ConditionState, createConditionRule, maxPeak } from './condition-rule.ts';
import type { RuleNode } from './rule.ts';

export interface MissingFieldsRuleConfig {
  readonly required: readonly string[];
}

export function createMissingFieldsRule(config: MissingFieldsRuleConfig): RuleNode<ConditionState> {
  return createConditionRule({
    rule: 'missing-fields',
    unit: 'fields',
    minDurationMs: 0,
    raiseWhen: 'reached',
    sense(r) {
      if (r.source === 'event') return undefined;
      const missing = config.required.filter((f) => r.data[f] === undefined || r.data[f] === null);
      return { active: missing.length > 0, value: missing.length, detail: missing.join(', ') };
    },
    peak: maxPeak,
    severity: () => 'warning',
    describe: (e) => `Sample missing required fields: ${e.detail ?? ''}`,
  });
}
