import type { BenchEntry } from '../entry.ts';
import { listenerWorkersOf } from '../listener-workers.ts';
import { type ManyResult, runMany } from '../many-devices.ts';
import { atLeast, renderTable } from '../report.ts';
import { fmtNum, fmtRatio } from '../stats.ts';
import type { W1Result } from '../w1-throughput.ts';

/** Many devices x 1 in flight / 4 x 64 in flight (the same messages in flight), issue 13. */
const TARGET = 0.8;
const DEVICES = 1000;

export const entry: BenchEntry<ManyResult> = {
  id: 'many',
  title: `many devices: ${DEVICES} clients x 1 in flight vs 4 x 64, on one Vigil instance and on raw Aedes`,
  order: 25,
  inDefault: true,
  extraTimeMs: () => 120_000,
  run(ctx) {
    const w1 = ctx.results.get('w1') as W1Result | undefined;
    const durationMs = ctx.quick ? 2000 : 4000;
    // Enough envelopes per device for the whole run at the W1 rate, twice over.
    const rate = w1?.vigilRate ?? 5000;
    const poolPerDevice = Math.max(50, Math.ceil(((rate * (durationMs + 500)) / 1000 / DEVICES) * 2));
    return runMany(
      {
        devices: DEVICES,
        clients: 4,
        window: 64,
        warmupMs: 500,
        durationMs,
        rounds: ctx.quick ? 1 : 3,
        poolPerDevice,
        noDelay: ctx.args.nodelay === true,
        listenerWorkers: listenerWorkersOf(ctx.args),
        raw: true,
      },
      ctx.log,
    );
  },
  summary: (r) => [
    {
      id: 'many',
      workload: `Many devices: ${DEVICES}x1 in flight vs 4x64`,
      baseline: r ? `4x64 ${fmtNum(r.fewRate)}/s` : '-',
      measured: r ? `${fmtNum(r.manyRate)}/s` : '-',
      result: r ? fmtRatio(r.ratio) : '-',
      target: `>= ${TARGET.toFixed(2)}x`,
      status: r ? atLeast(r.ratio, TARGET) : 'ERROR',
    },
    {
      id: 'many-raw',
      workload: `Many devices on raw Aedes: ${DEVICES}x1 vs 4x64`,
      baseline: r ? `4x64 ${fmtNum(r.rawFewRate)}/s` : '-',
      measured: r ? `${fmtNum(r.rawManyRate)}/s` : '-',
      result: r ? fmtRatio(r.rawRatio) : '-',
      target: '-',
      status: 'info',
    },
  ],
  details: (r) =>
    [
      '--- Many-devices details (per run; PUBACKs per second after a 500 ms warm-up) ---',
      renderTable(
        [
          'round',
          'shape',
          'msgs/s',
          'server ELU',
          'server us/msg',
          'load ELU',
          'msgs/commit',
          'commit p50/p99 ms',
        ],
        r.rounds.flatMap((round, i) =>
          (
            [
              [`${r.clients}x${r.window}`, round.few],
              [`${r.devices}x1`, round.many],
              [`${r.clients}x${r.window} raw Aedes`, round.rawFew],
              [`${r.devices}x1 raw Aedes`, round.rawMany],
            ] as const
          )
            .flatMap(([shape, x]) => (x ? [[shape, x] as const] : []))
            .map(([shape, x]) => [
              String(i + 1),
              shape,
              fmtNum(x.ackRate),
              x.serverElu.toFixed(2),
              fmtNum((x.serverElu * 1e6) / x.ackRate, 1),
              x.workerElu.toFixed(2),
              x.pipeline ? fmtNum(x.pipeline.messagesPerCommit, 1) : '-',
              x.pipeline
                ? `${x.pipeline.commitMsP50.toFixed(2)} / ${x.pipeline.commitMsP99.toFixed(2)}`
                : '-',
            ]),
        ),
      ),
    ].join('\n'),
};
