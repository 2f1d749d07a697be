import { W1_CLIENTS } from '../bench-context.ts';
import { type BenchEntry, errorRow } from '../entry.ts';
import { runScale, type ScaleResult, scaleSummaryRows } from '../scale.ts';

/** Scale-out: embedded vs Mosquitto link vs PostgreSQL with 1 and 2 ingest workers; failovers. */
export const entry: BenchEntry<ScaleResult> = {
  id: 'scale',
  title: 'embedded, Mosquitto link, PostgreSQL 1 and 2 workers, PostgreSQL writes, failovers',
  order: 95,
  // Starts PostgreSQL servers, brokers and Vigil processes: only with --only=scale.
  inDefault: false,
  extraTimeMs: (quick) => (quick ? 600_000 : 1_200_000),
  run: (ctx) =>
    runScale(
      {
        devices: W1_CLIENTS,
        burst: ctx.quick ? 20_000 : 60_000,
        window: 64,
        pacedMs: ctx.quick ? 3000 : 6000,
        pgWrite: {
          readingsPerBatch: 200,
          maxReadings: ctx.quick ? 40_000 : 100_000,
          maxMs: ctx.quick ? 3000 : 8000,
        },
        failoverReadings: ctx.quick ? 300 : 600,
      },
      ctx.log,
    ),
  summary: (r) =>
    r ? scaleSummaryRows(r) : [errorRow('scale', 'Scale: link vs embedded stored/s', '>= 0.80x')],
};
