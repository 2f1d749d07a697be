import type { BenchContext } from './bench-context.ts';
import type { SummaryRow } from './report.ts';

/**
 * One workload of `npm run bench`: a file `bench/entries/<id>.ts` that exports `entry`. The
 * registry (bench/registry.ts) finds every such file, so adding a workload touches no shared list.
 */
export interface BenchEntry<R = unknown> {
  /** The `--only` name. */
  readonly id: string;
  /** What it measures, printed before it runs. */
  readonly title: string;
  /** Run order, lower first: an entry may read the results of earlier ones (latency reads W1's rate). */
  readonly order: number;
  /** Part of `npm run bench` without `--only`. */
  readonly inDefault: boolean;
  /** More time for the run's watchdog when the entry is selected (long entries). */
  readonly extraTimeMs?: (quick: boolean) => number;
  /** Uses the shared Vigil instance (BenchContext.vigil); it is stopped after the last such entry. */
  readonly usesVigil?: boolean;
  run(ctx: BenchContext): Promise<R>;
  /** Rows of the summary table; `r` is undefined when the entry failed (print an ERROR row). */
  summary(r: R | undefined, ctx: BenchContext): SummaryRow[];
  /** The detail tables printed after the summary. */
  details?(r: R, ctx: BenchContext): string;
}

/** The summary row of an entry that did not produce a result. */
export function errorRow(id: string, workload: string, target: string): SummaryRow {
  return { id, workload, baseline: '-', measured: '-', result: '-', target, status: 'ERROR' };
}
