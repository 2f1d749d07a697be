import { type BenchEntry, errorRow } from '../entry.ts';
import { evaluateLayers } from '../layers/run-layers.ts';

/**
 * The security evaluation: what each layer costs, on one load generator, and the CIA matrix from
 * the last full seclab report (`--seclab-report FILE` to name another). It writes
 * docs/security-evaluation.md and returns that path.
 */
export const entry: BenchEntry<string> = {
  id: 'layers',
  title: 'cost of each security layer, same load generator (bench/layers)',
  order: 95,
  // 8 configurations x 3 rounds: about 4 minutes quick, 15 full; only with --only=layers.
  inDefault: false,
  extraTimeMs: (quick) => (quick ? 600_000 : 1_800_000),
  run: async (ctx) => {
    const report = ctx.args['seclab-report'];
    return evaluateLayers({
      quick: ctx.quick,
      ...(typeof report === 'string' ? { seclabReport: report } : {}),
      log: ctx.log,
    });
  },
  summary: (doc) =>
    doc
      ? [
          {
            id: 'layers',
            workload: 'Security layers: cost and CIA matrix',
            baseline: 'plain MQTT',
            measured: '8 configurations',
            result: doc,
            target: '-',
            status: 'info',
          },
        ]
      : [errorRow('layers', 'Security layers evaluation', '-')],
};
