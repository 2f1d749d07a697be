import type { BenchEntry } from '../entry.ts';
import { type LiveFeedResult, runLiveFeed } from '../live-feed.ts';
import { maxRate } from '../max-rate.ts';
import { atMost, renderTable } from '../report.ts';
import { fmtMs, fmtNum } from '../stats.ts';

/** Live feed: publish -> reading at each of 20 dashboard clients at 50 % of the W1 maximum. */
const TARGET_P99_MS = 50;
const CLIENTS = 20;

export const entry: BenchEntry<LiveFeedResult> = {
  id: 'live',
  title: `live feed to ${CLIENTS} dashboard clients at 50 % of the W1 Vigil maximum`,
  order: 40,
  inDefault: true,
  usesVigil: true,
  async run(ctx) {
    const { fx, devices, cursor } = await ctx.vigil();
    const max = maxRate(ctx);
    const rate = Math.max(20, Math.round(max.rate * 0.5));
    ctx.log(`  ${fmtNum(rate)} msgs/s (50 % of ${fmtNum(max.rate)}, ${max.from})`);
    return runLiveFeed(
      fx,
      devices,
      cursor,
      {
        ratePerSec: rate,
        clients: CLIENTS,
        warmupMs: 1000,
        durationMs: ctx.quick ? 3000 : 6000,
        window: 1000,
        noDelay: ctx.args.nodelay === true,
      },
      ctx.log,
    );
  },
  summary(live) {
    const complete = live ? live.delivered >= live.expected * 0.99 && live.dropped === 0 : false;
    return [
      {
        id: 'live',
        workload: live
          ? `Live feed publish->${live.clients} clients @ ${fmtNum(live.targetRate)}/s`
          : `Live feed publish->${CLIENTS} clients`,
        baseline: '-',
        measured: live ? `p50 ${fmtMs(live.delay.p50)}` : '-',
        result: live ? `p99 ${fmtMs(live.delay.p99)}` : '-',
        target: `p99 <= ${TARGET_P99_MS} ms, none dropped`,
        status: !live ? 'ERROR' : complete ? atMost(live.delay.p99, TARGET_P99_MS) : 'MISSED',
      },
    ];
  },
  details(live) {
    const lines = [
      `--- Live feed details (target ${fmtNum(live.targetRate)} msgs/s, achieved ${fmtNum(live.achievedRate)}; ` +
        `${live.measured} msgs measured x ${live.clients} clients = ${live.expected} readings expected, ` +
        `${live.delivered} received in ${fmtNum(live.frames)} frames) ---`,
      renderTable(
        ['measure', 'p50', 'p90', 'p99', 'max', 'mean'],
        [
          [
            'publish() -> reading at a client',
            fmtMs(live.delay.p50),
            fmtMs(live.delay.p90),
            fmtMs(live.delay.p99),
            fmtMs(live.delay.max),
            fmtMs(live.delay.mean),
          ],
        ],
      ),
      `per-client p99: ${fmtMs(live.perClientP99.min)} .. ${fmtMs(live.perClientP99.max)}; dropped as too slow: ` +
        `${live.dropped}, closed otherwise: ${live.closedOther}; ELU server ${live.serverElu.toFixed(2)}, clients ` +
        `${live.clientsElu.toFixed(2)}`,
    ];
    if (live.loadErrors > 0 || live.unackedAtEnd > 0 || live.recordOverflow > 0)
      lines.push(
        `WARNING: ${live.loadErrors} publish errors, ${live.unackedAtEnd} unacked, ${live.recordOverflow} readings not recorded`,
      );
    return lines.join('\n');
  },
};
