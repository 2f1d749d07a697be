import { W1_CLIENTS } from '../bench-context.ts';
import type { BenchEntry } from '../entry.ts';
import { atLeast, renderTable } from '../report.ts';
import { fmtNum, fmtRatio } from '../stats.ts';
import { runW5, type W5Pair } from '../w5-store.ts';

/** W5: encrypted readings/s / plain readings/s with synchronous FULL. */
const TARGET = 0.8;
const PER_BATCH = 200;

export const entry: BenchEntry<W5Pair[]> = {
  id: 'w5',
  title: 'readings/s into SQLite: encrypted (SqliteStore) vs plain',
  order: 60,
  inDefault: true,
  run: (ctx) =>
    runW5(
      {
        devices: W1_CLIENTS,
        readingsPerBatch: PER_BATCH,
        maxReadings: ctx.quick ? 100_000 : 300_000,
        maxMs: ctx.quick ? 1000 : 2500,
        rounds: ctx.quick ? 1 : 2,
        withReplayState: true,
      },
      ctx.log,
    ),
  summary(w5) {
    if (!w5)
      return [
        {
          id: 'w5',
          workload: 'W5 encrypted store readings/s',
          baseline: '-',
          measured: '-',
          result: '-',
          target: `>= ${TARGET.toFixed(2)}x`,
          status: 'ERROR',
        },
      ];
    return w5.map((p) => ({
      id: 'w5',
      workload: `W5 readings/s, ${p.synchronous === 'FULL' ? 'synchronous FULL' : 'synchronous NORMAL (info)'}`,
      baseline: `plain ${fmtNum(p.plainRate)}/s`,
      measured: `${fmtNum(p.encryptedRate)}/s`,
      result: fmtRatio(p.ratio),
      target: p.synchronous === 'FULL' ? `>= ${TARGET.toFixed(2)}x` : '-',
      status: p.synchronous === 'FULL' ? atLeast(p.ratio, TARGET) : 'info',
    }));
  },
  details: (w5) =>
    [
      `--- W5 details (${PER_BATCH} readings/batch from ${W1_CLIENTS} devices + their replay state and ` +
        'last-seen, fresh database per run) ---',
      renderTable(
        ['synchronous', 'store', 'readings/s', 'commits', 'commit p50/p99/max ms'],
        w5.flatMap((p) =>
          p.runs.map((r) => [
            r.synchronous,
            r.store,
            fmtNum(r.rate),
            String(r.batches),
            `${r.commitMsP50.toFixed(2)} / ${r.commitMsP99.toFixed(2)} / ${r.commitMsMax.toFixed(2)}`,
          ]),
        ),
      ),
    ].join('\n'),
};
