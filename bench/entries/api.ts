import { type ApiReadingsResult, runApiReadings } from '../api-readings.ts';
import type { BenchEntry } from '../entry.ts';
import { atMost, renderTable } from '../report.ts';
import { fmtMs, fmtNum, fmtRatio } from '../stats.ts';

/** API: 30 days of 1-minute readings, downsampled, p50 / the store reading the same rows p50. */
const TARGET = 2;

export const entry: BenchEntry<ApiReadingsResult> = {
  id: 'api',
  title: 'readings query: 30 days of 1-minute data, maxPoints 1000, Bearer token, vs the store',
  // Last of the shared instance's users: it seeds 43,200 rows, whose WAL checkpoint would land
  // in a later workload.
  order: 50,
  inDefault: true,
  usesVigil: true,
  async run(ctx) {
    const { fx } = await ctx.vigil();
    return runApiReadings(
      fx,
      {
        days: 30,
        intervalMs: 60_000,
        maxPoints: 1000,
        requests: 50,
        warmup: 3,
        maxMs: ctx.quick ? 15_000 : 60_000,
      },
      ctx.log,
    );
  },
  summary: (api) => [
    {
      id: 'api',
      workload: api
        ? `API readings ${fmtNum(api.seeded)} pts -> ${api.returnedPoints}, p50/p99`
        : 'API readings query (30 d, downsampled)',
      baseline: api ? `store ${fmtMs(api.store.p50)} / ${fmtMs(api.store.p99)}` : '-',
      measured: api ? `${fmtMs(api.api.p50)} / ${fmtMs(api.api.p99)}` : '-',
      result: api ? fmtRatio(api.ratioP50) : '-',
      target: `<= ${TARGET.toFixed(2)}x`,
      status: api ? atMost(api.ratioP50, TARGET) : 'ERROR',
    },
  ],
  details: (api) =>
    [
      `--- API readings details (${api.requests} requests, keep-alive HTTPS, Bearer token; baseline in-process) ---`,
      renderTable(
        ['measure', 'p50', 'p90', 'p99', 'max', 'mean'],
        [
          ['GET /api/v1/devices/:id/readings (30 d)', api.api],
          ['store.queryReadings, same range (baseline)', api.store],
        ].map(([name, s]) => {
          const x = s as ApiReadingsResult['api'];
          return [name as string, fmtMs(x.p50), fmtMs(x.p90), fmtMs(x.p99), fmtMs(x.max), fmtMs(x.mean)];
        }),
      ),
      `${fmtNum(api.scanned)} readings scanned per request, ${api.returnedPoints} points returned ` +
        `(${api.downsampled ? 'downsampled: mean/min/max per bucket' : 'raw'}), ${fmtNum(api.responseBytes / 1024)} KiB ` +
        `JSON; ratio p50 ${fmtRatio(api.ratioP50)}, p99 ${fmtRatio(api.ratioP99)}`,
    ].join('\n'),
};
