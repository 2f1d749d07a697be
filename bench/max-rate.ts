import type { BenchContext } from './bench-context.ts';
import type { W1Result } from './w1-throughput.ts';

/**
 * The maximum the paced workloads are a share of: the W1 Vigil rate of this run, or `--max-rate=N`
 * when W1 is not selected (default 2000 msgs/s).
 */
export function maxRate(ctx: BenchContext): { rate: number; from: string } {
  const w1 = ctx.results.get('w1') as W1Result | undefined;
  if (w1 && Number.isFinite(w1.vigilRate)) return { rate: w1.vigilRate, from: 'the W1 Vigil rate' };
  const given = Number(ctx.args['max-rate'] ?? 2000);
  if (!Number.isFinite(given) || given <= 0) throw new Error('--max-rate must be a positive number');
  return { rate: given, from: '--max-rate (W1 not run)' };
}
