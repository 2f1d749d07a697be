import os from 'node:os';
import type { BenchEntry } from '../entry.ts';
import { listenerWorkersArg } from '../listener-workers.ts';
import { type ManyResult, runMany } from '../many-devices.ts';
import { renderTable } from '../report.ts';
import { fmtNum, fmtRatio } from '../stats.ts';

const DEVICES = 1000;

/** One Vigil instance per `mqtt.listenerWorkers` value, with the load average around its run. */
export interface WorkersResult {
  runs: (ManyResult & { loadBefore: number[]; loadAfter: number[] })[];
}

const loadAvg = () => os.loadavg().map((v) => Math.round(v * 100) / 100);

/**
 * TLS offload workers (`mqtt.listenerWorkers`, docs/scaling.md §2): the many-devices workload
 * (1000 x 1 in flight) and the W1 shape (4 x 64) on a Vigil instance per value of
 * `--listener-workers` (default 0,2), one after the other in one run; each value's rates as a
 * ratio of the first value's.
 */
export const entry: BenchEntry<WorkersResult> = {
  id: 'workers',
  title: `listener workers: ${DEVICES}x1 and 4x64 in flight with mqtt.listenerWorkers per --listener-workers (default 0,2)`,
  order: 26,
  inDefault: false,
  extraTimeMs: (quick) => (quick ? 240_000 : 480_000),
  async run(ctx) {
    const values = listenerWorkersArg(ctx.args) ?? [0, 2];
    const durationMs = ctx.quick ? 2000 : 4000;
    const runs: WorkersResult['runs'] = [];
    for (const listenerWorkers of values) {
      ctx.log(`  mqtt.listenerWorkers = ${listenerWorkers}`);
      const loadBefore = loadAvg();
      const r = await runMany(
        {
          devices: DEVICES,
          clients: 4,
          window: 64,
          warmupMs: 500,
          durationMs,
          rounds: ctx.quick ? 1 : 3,
          poolPerDevice: 100,
          noDelay: ctx.args.nodelay === true,
          listenerWorkers,
        },
        ctx.log,
      );
      runs.push({ ...r, loadBefore, loadAfter: loadAvg() });
    }
    return { runs };
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
