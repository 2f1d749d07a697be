/**
 * NEWS2 escalation alarm: open while the score is in the low-medium band (a 3 in one parameter)
 * or higher; severity from the peak (medium or high: critical). Samples missing a NEWS2 field are
 * skipped here; the missing-fields rule reports them.
 */
import { type ConditionState, createConditionRule, maxPeak } from './condition-rule.ts';
import { news2FromSample } from './news2.ts';
import type { RuleNode } from './rule.ts';

export function createNews2Rule(): RuleNode<ConditionState> {
  return createConditionRule({
    rule: 'news2',
    unit: 'score',
    minDurationMs: 0,
    raiseWhen: 'reached',
    sense(r) {
      if (r.source === 'event') return undefined;
      const s = news2FromSample(r.data);
      if ('missing' in s) return undefined;
      const p = s.parameters;
      return {
        active: s.band !== 'low',
        value: s.total,
        detail:
          `${s.band}; RR ${p.respiration}, SpO2(scale ${s.scale}) ${p.spo2}, O2 ${p.airOrOxygen}, ` +
          `SBP ${p.systolicBp}, pulse ${p.pulse}, ACVPU ${p.consciousness}, temp ${p.temperature}`,
      };
    },
    peak: maxPeak,
    severity: (peak) => (peak >= 5 ? 'critical' : 'warning'),
    describe: (e) => `NEWS2 ${e.peak} at peak (latest: ${e.detail ?? ''})`,
  });
}
