import type { BenchEntry } from '../entry.ts';
import { type RulesResult, rulesSummaryRows, runRules } from '../rules.ts';

export const entry: BenchEntry<RulesResult> = {
  id: 'rules',
  title: 'evaluateAll over 43,200 1-minute readings; MKT cost; a signed 30-day report',
  order: 70,
  inDefault: true,
  run: async (ctx) => runRules({ readings: 43_200, rounds: ctx.quick ? 1 : 3 }, ctx.log),
  summary: (r) =>
    r
      ? rulesSummaryRows(r)
      : [
          {
            id: 'rules',
            workload: 'Rules over a 30-day shipment',
            baseline: '-',
            measured: '-',
            result: '-',
            target: '-',
            status: 'ERROR',
          },
        ],
};
