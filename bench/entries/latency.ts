import type { BenchEntry } from '../entry.ts';
import { type LatencyResult, runLatency } from '../latency.ts';
import { maxRate } from '../max-rate.ts';
import { atMost, renderTable, type SummaryRow } from '../report.ts';
import { fmtMs, fmtNum } from '../stats.ts';

/** publish() -> PUBACK p99 targets by load (share of the W1 Vigil maximum); 10 % is information. */
const LEVELS = [
  { share: 0.1, p99Ms: undefined },
  { share: 0.5, p99Ms: 20 },
  { share: 0.8, p99Ms: 50 },
] as const;

interface Level {
  share: number;
  p99TargetMs: number | undefined;
  result: LatencyResult;
}

export const entry: BenchEntry<Level[]> = {
  id: 'latency',
  title: 'publish -> stored -> PUBACK latency, paced at 10 / 50 / 80 % of the W1 Vigil maximum',
  order: 30,
  inDefault: true,
  usesVigil: true,
  async run(ctx) {
    const { fx, devices, cursor } = await ctx.vigil();
    const max = maxRate(ctx);
    const out: Level[] = [];
    for (const l of LEVELS) {
      const rate = Math.max(20, Math.round(max.rate * l.share));
      ctx.log(
        `  ${Math.round(l.share * 100)} % of ${fmtNum(max.rate)} msgs/s (${max.from}): ${fmtNum(rate)} msgs/s`,
      );
      const result = await runLatency(fx, devices, cursor, {
        ratePerSec: rate,
        warmupMs: 1000,
        durationMs: ctx.quick ? 4000 : 10_000,
        window: 1000,
        noDelay: ctx.args.nodelay === true,
      });
      ctx.log(
        `    PUBACK p50 ${fmtMs(result.toPuback.p50)} p99 ${fmtMs(result.toPuback.p99)}; ` +
          `committed p99 ${fmtMs(result.toCommitted.p99)}`,
      );
      out.push({ share: l.share, p99TargetMs: l.p99Ms, result });
    }
    return out;
  },
  summary(levels) {
    if (!levels)
      return [row('Latency publish->PUBACK (10/50/80 % of max)', '-', '-', 'p99 <= 20 / 50 ms', 'ERROR')];
    return levels.map((l) => {
      const r = l.result;
      const complete = r.acked >= r.measured * 0.99;
      return row(
        `Latency publish->PUBACK @ ${Math.round(l.share * 100)} % (${fmtNum(r.targetRate)}/s)`,
        `p50 ${fmtMs(r.toPuback.p50)}`,
        `p99 ${fmtMs(r.toPuback.p99)}`,
        l.p99TargetMs === undefined ? '-' : `p99 <= ${l.p99TargetMs} ms`,
        !complete ? 'ERROR' : l.p99TargetMs === undefined ? 'info' : atMost(r.toPuback.p99, l.p99TargetMs),
      );
    });
  },
  details(levels) {
    const lines = [
      '--- Latency details (paced on a 2 ms tick; times from CLOCK_MONOTONIC in both threads) ---',
    ];
    const rows: string[][] = [];
    for (const l of levels) {
      const r = l.result;
      for (const [name, s] of [
        ['publish() -> committed (onAccepted)', r.toCommitted],
        ['publish() -> PUBACK', r.toPuback],
      ] as const) {
        rows.push([
          `${Math.round(l.share * 100)} %`,
          `${fmtNum(r.achievedRate)}/s`,
          name,
          fmtMs(s.p50),
          fmtMs(s.p90),
          fmtMs(s.p99),
          fmtMs(s.max),
          r.serverElu.toFixed(2),
          fmtNum((r.serverElu * 1e6) / r.achievedRate, 1),
        ]);
      }
      if (r.errors > 0) lines.push(`WARNING ${l.share}: ${r.errors} publish errors (${r.firstError ?? ''})`);
    }
    lines.splice(
      1,
      0,
      renderTable(
        ['load', 'achieved', 'measure', 'p50', 'p90', 'p99', 'max', 'server ELU', 'server us/msg'],
        rows,
      ),
    );
    return lines.join('\n');
  },
};

function row(
  workload: string,
  measured: string,
  result: string,
  target: string,
  status: SummaryRow['status'],
) {
  return { id: 'latency', workload, baseline: '-', measured, result, target, status };
}
