import {
  renderVitalsRules,
  runVitalsRulesBench,
  type VitalsRulesResult,
  vitalsRulesSummaryRows,
} from '../anomaly/vitals-rules-bench.ts';
import { type BenchEntry, errorRow } from '../entry.ts';

/** Vitals range and NEWS2 rules, before and after: normal weeks, faults, clinical episodes. */
export const entry: BenchEntry<VitalsRulesResult> = {
  id: 'vitals',
  title: "range and NEWS2 rules on the anomaly benchmark's patients",
  order: 85,
  // Pure CPU and long: only with --only=vitals.
  inDefault: false,
  extraTimeMs: (quick) => (quick ? 300_000 : 900_000),
  run: async (ctx) =>
    runVitalsRulesBench(
      { patients: ctx.quick ? 8 : 30, days: 7, seed: 'vigil-anomaly-bench', cadencesMs: [10_000, 60_000] },
      ctx.log,
    ),
  summary: (r) =>
    r ? vitalsRulesSummaryRows(r) : [errorRow('vitals', 'Vitals rules before and after', '-')],
  details: (r) => renderVitalsRules(r),
};
