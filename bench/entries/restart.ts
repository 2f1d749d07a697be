import type { BenchEntry } from '../entry.ts';
import { atMost, renderTable } from '../report.ts';
import { fmtLatency, type RestartResult, runRestart } from '../restart-probe.ts';
import { fmtNum, fmtRatio } from '../stats.ts';

/** Issue 13: probe publish -> PUBACK p99 after a restart, and RSS at start independent of history. */
const TARGET_P99_MS = 50;
const TARGET_RSS = 1.1;

export const entry: BenchEntry<RestartResult> = {
  id: 'restart',
  title: '10,000 devices at 1 msg / 10 s after a restart on a 700,000-reading database: probe latency, RSS',
  order: 29,
  inDefault: false,
  extraTimeMs: (quick) => (quick ? 900_000 : 2_400_000),
  run: (ctx) =>
    runRestart(
      {
        devices: ctx.quick ? 2000 : 10_000,
        readingsPerDevice: 70,
        historyStepMs: 10_000,
        intervalMs: 10_000,
        probeIntervalMs: 50,
        warmupMs: 10_000,
        durationMs: ctx.quick ? 15_000 : 30_000,
        rounds:
          typeof ctx.args.rounds === 'string' ? Math.max(1, Number(ctx.args.rounds) || 1) : ctx.quick ? 1 : 2,
      },
      ctx.log,
    ),
  summary: (r) => {
    const what = r
      ? `${fmtNum(r.options.devices)} devices x 1 msg/${r.options.intervalMs / 1000} s after a restart`
      : 'restart probe';
    return [
      {
        id: 'restart',
        workload: `${what}: probe publish->PUBACK`,
        baseline: r ? `no history p99 ${fmtLatency(r.probeP99.empty)}` : '-',
        measured: r ? `p99 ${fmtLatency(r.probeP99.stored)}` : '-',
        result: r ? fmtRatio(r.probeRatio) : '-',
        target: `p99 <= ${TARGET_P99_MS} ms`,
        status: r ? atMost(r.probeP99.stored, TARGET_P99_MS) : 'ERROR',
      },
      {
        id: 'restart-rss',
        workload: r
          ? `RSS at start, ${fmtNum(r.options.devices)} devices x ${r.options.readingsPerDevice} readings`
          : 'restart RSS at start',
        baseline: r ? `no readings ${fmtNum(r.rssMiB.empty)} MiB` : '-',
        measured: r ? `${fmtNum(r.rssMiB.stored)} MiB` : '-',
        result: r ? fmtRatio(r.rssRatio) : '-',
        target: `<= ${TARGET_RSS.toFixed(2)}x`,
        status: r ? atMost(r.rssRatio, TARGET_RSS) : 'ERROR',
      },
    ];
  },
  details: (r) =>
    [
      `--- Restart probe details (probe every ${r.options.probeIntervalMs} ms; measured ${r.options.durationMs / 1000} s ` +
        `after the fleet connected and published for ${r.options.warmupMs / 1000} s) ---`,
      renderTable(
        [
          'history',
          'start s',
          'RSS MiB (reduced)',
          'RSS MiB at end',
          'connect s',
          'fleet msgs/s',
          'probe p50',
          'probe p99',
          'fleet p50',
          'fleet p99',
          'errors',
        ],
        r.runs.map((x) => [
          x.history,
          fmtNum(x.startMs / 1000, 1),
          `${fmtNum(x.memory.rssMiB)} (${fmtNum(x.memory.reducedRssMiB)})`,
          fmtNum(x.endRssMiB),
          fmtNum(x.connectMs / 1000, 1),
          fmtNum(x.fleetRate),
          fmtLatency(x.probe.p50),
          fmtLatency(x.probe.p99),
          fmtLatency(x.fleet.p50),
          fmtLatency(x.fleet.p99),
          `${x.errors}${x.unackedAtEnd ? `, ${x.unackedAtEnd} unacked` : ''}${x.firstError ? ` (${x.firstError})` : ''}`,
        ]),
      ),
      `stored / empty: probe p99 ${fmtRatio(r.probeRatio)}, fleet p99 ${fmtRatio(r.fleetP99.stored / r.fleetP99.empty)}, ` +
        `RSS at start ${fmtRatio(r.rssRatio)}`,
    ].join('\n'),
};
