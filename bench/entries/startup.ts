import type { BenchEntry } from '../entry.ts';
import { atMost, renderTable } from '../report.ts';
import { runStartup, type StartupResult } from '../startup-rss.ts';
import { fmtNum, fmtRatio } from '../stats.ts';

/** RSS at start with stored history / without (issue 13: independent of stored history). */
const TARGET = 1.1;

export const entry: BenchEntry<StartupResult> = {
  id: 'startup',
  title: 'RSS at start: the same devices without readings and with 700 readings each',
  order: 28,
  inDefault: true,
  extraTimeMs: () => 600_000,
  run: (ctx) =>
    runStartup(
      { devices: ctx.quick ? 200 : 1000, readingsPerDevice: 700, rounds: ctx.quick ? 1 : 2 },
      ctx.log,
    ),
  summary: (r) => [
    {
      id: 'startup',
      workload: r ? `RSS at start, ${r.devices} devices x ${r.readingsPerDevice} readings` : 'RSS at start',
      baseline: r ? `no readings ${fmtNum(r.emptyRssMiB)} MiB` : '-',
      measured: r ? `${fmtNum(r.storedRssMiB)} MiB` : '-',
      result: r ? fmtRatio(r.ratio) : '-',
      target: `<= ${TARGET.toFixed(2)}x`,
      status: r ? atMost(r.ratio, TARGET) : 'ERROR',
    },
  ],
  details: (r) =>
    [
      '--- Start-up details (one process per start; RSS and heap after startServer and a full GC) ---',
      renderTable(
        ['history', 'RSS MiB', 'heap used MiB', 'start ms'],
        r.runs.map((x) => [x.history, fmtNum(x.rssMiB), fmtNum(x.heapUsedMiB), fmtNum(x.startMs)]),
      ),
    ].join('\n'),
};
