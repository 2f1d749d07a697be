import {
  type AnomalyResult,
  anomalySummaryRows,
  renderAnomaly,
  runAnomalyBench,
} from '../anomaly/anomaly-bench.ts';
import type { BenchEntry } from '../entry.ts';

/** Labelled faults on simulator data: rules, statistical monitor, baselines (bench/anomaly). */
export const entry: BenchEntry<AnomalyResult> = {
  id: 'anomaly',
  title: 'labelled faults on simulator data: rules, statistical monitor, baselines',
  order: 80,
  // Pure CPU and long (7-15 minutes on 2 busy cores): only with --only=anomaly.
  inDefault: false,
  extraTimeMs: (quick) => (quick ? 600_000 : 2_400_000),
  run: (ctx) =>
    runAnomalyBench(
      {
        devices: ctx.quick ? 6 : 30,
        days: 7,
        seed: 'vigil-anomaly-bench',
        beforeDevices: ctx.quick ? 2 : 10,
        cadencesMs: ctx.quick ? [10_000] : [10_000, 60_000],
        restartDevices: ctx.quick ? 2 : 10,
        memoryMonitors: 200,
        workers: 2,
      },
      ctx.log,
    ),
  summary: (r) =>
    r
      ? anomalySummaryRows(r)
      : [
          {
            id: 'anomaly',
            workload: 'Anomaly benchmark',
            baseline: '-',
            measured: '-',
            result: '-',
            target: '-',
            status: 'ERROR',
          },
        ],
  details: (r) => renderAnomaly(r),
};
