import os from 'node:os';
import type { BenchEntry } from '../entry.ts';
import { listenerWorkersArg } from '../listener-workers.ts';
import { type ManyBench, type ManyResult, openManyBench } from '../many-devices.ts';
import { renderTable } from '../report.ts';
import { fmtNum, fmtRatio } from '../stats.ts';

const DEVICES = 1000;

/** One Vigil instance per `mqtt.listenerWorkers` value; load average from its start to the end. */
export interface WorkersResult {
  runs: (ManyResult & { loadBefore: number[]; loadAfter: number[] })[];
}

const loadAvg = () => os.loadavg().map((v) => Math.round(v * 100) / 100);

/**
 * TLS offload workers (`mqtt.listenerWorkers`, docs/scaling.md §2): the many-devices workload
 * (1000 x 1 in flight) and the W1 shape (4 x 64) on a Vigil instance per value of
 * `--listener-workers` (default 0,2), all in one run with alternating rounds; each value's rates
 * as a ratio of the first value's.
 */
export const entry: BenchEntry<WorkersResult> = {
  id: 'workers',
  title: `listener workers: ${DEVICES}x1 and 4x64 in flight with mqtt.listenerWorkers per --listener-workers (default 0,2)`,
  order: 26,
  inDefault: false,
  extraTimeMs: (quick) => (quick ? 240_000 : 480_000),
  async run(ctx) {
    const values = listenerWorkersArg(ctx.args) ?? [0, 2];
    const rounds = ctx.quick ? 1 : 3;
    // Every value's instance is up before the first round, and the rounds alternate between
    // them (the order reversed every round), so a change in the neighbours' load hits all alike.
    const benches: { bench: ManyBench; loadBefore: number[] }[] = [];
    try {
      for (const listenerWorkers of values) {
        const loadBefore = loadAvg();
        const bench = await openManyBench(
          {
            devices: DEVICES,
            clients: 4,
            window: 64,
            warmupMs: 500,
            durationMs: ctx.quick ? 2000 : 4000,
            rounds,
            poolPerDevice: 50 * rounds,
            noDelay: ctx.args.nodelay === true,
            listenerWorkers,
          },
          ctx.log,
        );
        benches.push({ bench, loadBefore });
      }
      for (let i = 0; i < rounds; i++) {
        const order = i % 2 === 0 ? benches : [...benches].reverse();
        for (const b of order) await b.bench.round(i);
      }
      const loadAfter = loadAvg();
      return { runs: benches.map((b) => ({ ...b.bench.result(), loadBefore: b.loadBefore, loadAfter })) };
    } finally {
      for (const b of benches) await b.bench.close();
    }
  },
  summary: (r) => {
    const base = r?.runs[0];
    return (r?.runs.slice(1) ?? []).flatMap((x) => [
      {
        id: 'workers',
        workload: `${DEVICES}x1 in flight, listenerWorkers ${x.listenerWorkers} vs ${base!.listenerWorkers}`,
        baseline: `${fmtNum(base!.manyRate)}/s`,
        measured: `${fmtNum(x.manyRate)}/s`,
        result: fmtRatio(x.manyRate / base!.manyRate),
        target: '(measured)',
        status: 'ok' as const,
      },
      {
        id: 'workers',
        workload: `4x64 in flight, listenerWorkers ${x.listenerWorkers} vs ${base!.listenerWorkers}`,
        baseline: `${fmtNum(base!.fewRate)}/s`,
        measured: `${fmtNum(x.fewRate)}/s`,
        result: fmtRatio(x.fewRate / base!.fewRate),
        target: '(measured)',
        status: 'ok' as const,
      },
    ]);
  },
  details: (r) =>
    [
      '--- Listener workers (median of rounds; server ELU and us/msg are the main thread only) ---',
      renderTable(
        [
          'listenerWorkers',
          'shape',
          'msgs/s (rounds)',
          'server ELU',
          'server us/msg',
          'load avg before / after',
        ],
        r.runs.flatMap((x) =>
          (
            [
              ['4x64', x.fewRate, x.rounds.map((k) => k.few)],
              [`${x.devices}x1`, x.manyRate, x.rounds.map((k) => k.many)],
            ] as const
          ).map(([shape, rate, runs]) => {
            const elu = runs.reduce((t, k) => t + k.serverElu, 0) / runs.length;
            return [
              String(x.listenerWorkers),
              shape,
              `${fmtNum(rate)} (${runs.map((k) => fmtNum(k.ackRate)).join(', ')})`,
              elu.toFixed(2),
              fmtNum((elu * 1e6) / rate, 1),
              `${x.loadBefore.join('/')} / ${x.loadAfter.join('/')}`,
            ];
          }),
        ),
      ),
    ].join('\n'),
};
