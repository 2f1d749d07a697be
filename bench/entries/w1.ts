import { existsSync } from 'node:fs';
import { W1_CLIENTS } from '../bench-context.ts';
import type { BenchEntry } from '../entry.ts';
import { MOSQUITTO_BIN } from '../mosquitto-baseline.ts';
import { atLeast, renderTable } from '../report.ts';
import { fmtNum, fmtRatio } from '../stats.ts';
import { runW1, type W1Result, type W1Side, w1Figure } from '../w1-throughput.ts';

/** Targets (issue 13): Vigil / raw Aedes, and Vigil / Mosquitto delivering to a subscriber. */
export const W1_TARGETS = { vsRaw: 0.7, vsMosquitto: 1.0 } as const;

export const w1Options = (quick: boolean, args: Record<string, unknown>) => ({
  clients: W1_CLIENTS,
  window: 64,
  warmupMs: 500,
  durationMs: quick ? 2000 : 4000,
  rounds: quick ? 1 : 3,
  poolPerClient: 12_000,
  noDelay: args.nodelay === true,
  mosquitto: args['no-mosquitto'] !== true && existsSync(MOSQUITTO_BIN),
  /** `--sides=vigil` runs only the Vigil side (for profiling with `node --cpu-prof`). */
  sides: typeof args.sides === 'string' ? (args.sides.split(',') as W1Side[]) : undefined,
});

export const entry: BenchEntry<W1Result> = {
  id: 'w1',
  title: 'QoS 1 msgs/s over mTLS, 4 clients x 64 in flight: raw Aedes, Mosquitto to a subscriber, Vigil',
  order: 20,
  inDefault: true,
  usesVigil: true,
  async run(ctx) {
    const { fx, devices, cursor } = await ctx.vigil();
    const o = w1Options(ctx.quick, ctx.args);
    ctx.log(
      `  ${o.rounds} round(s) of ${o.durationMs} ms per side${o.mosquitto ? '' : ' (Mosquitto skipped)'}`,
    );
    return runW1(fx, devices, cursor, o, ctx.log);
  },
  summary(w1) {
    const rows = [
      {
        id: 'w1',
        workload: `W1 QoS1 msgs/s, mTLS, ${W1_CLIENTS}x64 in flight, vs raw Aedes`,
        baseline: w1 ? `raw Aedes ${fmtNum(w1.rawRate)}/s` : '-',
        measured: w1 ? `${fmtNum(w1.vigilRate)}/s` : '-',
        result: w1 ? fmtRatio(w1.ratio) : '-',
        target: `>= ${W1_TARGETS.vsRaw.toFixed(2)}x`,
        status: w1 ? atLeast(w1.ratio, W1_TARGETS.vsRaw) : ('ERROR' as const),
      },
    ];
    if (!w1 || Number.isFinite(w1.mosquittoRate)) {
      rows.push({
        id: 'w1',
        workload: `W1 QoS1 msgs/s, mTLS, ${W1_CLIENTS}x64 in flight, vs Mosquitto`,
        baseline: w1 ? `Mosquitto ${fmtNum(w1.mosquittoRate)}/s` : '-',
        measured: w1 ? `${fmtNum(w1.vigilRate)}/s` : '-',
        result: w1 ? fmtRatio(w1.ratioMosquitto) : '-',
        target: `>= ${W1_TARGETS.vsMosquitto.toFixed(2)}x`,
        status: w1 ? atLeast(w1.ratioMosquitto, W1_TARGETS.vsMosquitto) : 'ERROR',
      });
    }
    return rows;
  },
  details(w1, ctx) {
    const o = w1Options(ctx.quick, ctx.args);
    const name = { raw: 'raw Aedes', mosquitto: 'Mosquitto', vigil: 'Vigil' } as const;
    const all = w1.rounds.flat();
    const lines = [
      `--- W1 details (per run; rate = PUBACKs in the ${o.durationMs} ms after a ${o.warmupMs} ms warm-up, ` +
        'for Mosquitto the messages its subscriber received; ELU = event-loop utilisation over that interval) ---',
      renderTable(
        [
          'round',
          'side',
          'msgs/s',
          'server ELU',
          'server us/msg',
          'load ELU',
          'sub ELU',
          'commits',
          'msgs/commit',
          'commit p50/p99 ms',
        ],
        w1.rounds.flatMap((round, i) =>
          round.map((r) => [
            String(i + 1),
            name[r.side],
            fmtNum(w1Figure(r)),
            r.side === 'mosquitto' ? '-' : r.serverElu.toFixed(2),
            r.side === 'mosquitto' ? '-' : fmtNum((r.serverElu * 1e6) / r.ackRate, 1),
            r.workerElu.toFixed(2),
            r.subscriberElu !== undefined ? r.subscriberElu.toFixed(2) : '-',
            r.pipeline ? String(r.pipeline.commits) : '-',
            r.pipeline ? fmtNum(r.pipeline.messagesPerCommit, 1) : '-',
            r.pipeline ? `${r.pipeline.commitMsP50.toFixed(2)} / ${r.pipeline.commitMsP99.toFixed(2)}` : '-',
          ]),
        ),
      ),
      `TLS: ${[...new Set(all.map((r) => `${name[r.side]} ${r.tls}`))].join(', ')}; publishers: MQTT.js, ` +
        `TCP_NODELAY ${o.noDelay ? 'on' : 'off'}`,
    ];
    for (const r of all.filter(
      (x) => x.errors > 0 || x.unackedAtEnd > 0 || (x.pipeline?.rejected ?? 0) > 0,
    )) {
      lines.push(
        `WARNING ${r.side}: ${r.errors} publish errors (${r.firstError ?? ''}), ${r.unackedAtEnd} unacked, ` +
          `rejections ${JSON.stringify(r.pipeline?.rejectionsByReason ?? {})}`,
      );
    }
    const bound = all.filter((r) => r.side !== 'vigil' && r.workerElu > 0.9).length;
    if (bound > 0) {
      lines.push(
        `Note: in ${bound} baseline run(s) the load worker was saturated (ELU > 0.9): that baseline is a lower ` +
          'bound of what the broker can do, so the ratio against it is an upper bound.',
      );
    }
    return lines.join('\n');
  },
};
