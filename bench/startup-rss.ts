import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { median } from './stats.ts';
import { makeTempDir, removeTempDir } from './temp-dirs.ts';
import { fixtureEnv } from './vigil-fixture.ts';

const run = promisify(execFile);
const CHILD = join(import.meta.dirname, 'startup-child.ts');

export interface StartupOptions {
  devices: number;
  /** Readings per device in the data directory with history. */
  readingsPerDevice: number;
  rounds: number;
}

export interface StartupRun {
  history: 'empty' | 'stored';
  /** After start and a full GC. */
  rssMiB: number;
  heapUsedMiB: number;
  /** After a further memory-reducing GC (the young generation given back). */
  reducedRssMiB: number;
  reducedHeapUsedMiB: number;
  startMs: number;
}

export interface StartupResult {
  devices: number;
  readingsPerDevice: number;
  runs: StartupRun[];
  /** RSS after the memory-reducing GC: what start-up kept. */
  emptyRssMiB: number;
  storedRssMiB: number;
  /** stored / empty RSS at start (after the memory-reducing GC): the target. */
  ratio: number;
  /** stored / empty RSS after a plain full GC (V8's young generation still at its start-up size). */
  fullGcRatio: number;
  /** stored / empty V8 heap in use after the memory-reducing GC. */
  heapRatio: number;
  /** Start time, stored / empty. */
  startRatio: number;
}

async function child(args: string[], gc: boolean): Promise<string> {
  const { stdout } = await run(process.execPath, [...(gc ? ['--expose-gc'] : []), CHILD, ...args], {
    env: fixtureEnv(),
    timeout: 600_000,
    maxBuffer: 1 << 20,
  });
  return stdout;
}

/**
 * RSS of a freshly started Vigil (`startServer`, in a process of its own) on two data
 * directories with the same devices: one without readings, one with `readingsPerDevice` readings
 * per device. Start-up memory must not grow with stored history; starts alternate, medians.
 */
export async function runStartup(o: StartupOptions, log: (s: string) => void): Promise<StartupResult> {
  const dirs = { empty: makeTempDir('vigil-bench-rss-'), stored: makeTempDir('vigil-bench-rss-') };
  try {
    await child(['seed', dirs.empty, String(o.devices), '0'], false);
    await child(['seed', dirs.stored, String(o.devices), String(o.readingsPerDevice)], false);
    log(`  seeded ${o.devices} devices: none and ${o.devices * o.readingsPerDevice} readings`);
    const runs: StartupRun[] = [];
    for (let i = 0; i < o.rounds; i++) {
      const order = i % 2 === 0 ? (['empty', 'stored'] as const) : (['stored', 'empty'] as const);
      for (const history of order) {
        const r = JSON.parse((await child(['start', dirs[history]], true)).trim().split('\n').pop() ?? '{}');
        runs.push({ history, ...r });
        log(
          `  round ${i + 1}/${o.rounds}: ${history.padEnd(6)} RSS ${r.reducedRssMiB.toFixed(0)} MiB ` +
            `(${r.rssMiB.toFixed(0)} before the memory-reducing GC), start ${r.startMs.toFixed(0)} ms`,
        );
      }
    }
    const med = (h: StartupRun['history'], f: (r: StartupRun) => number) =>
      median(runs.filter((r) => r.history === h).map(f));
    const ratioOf = (f: (r: StartupRun) => number) => med('stored', f) / med('empty', f);
    const emptyRssMiB = med('empty', (r) => r.reducedRssMiB);
    const storedRssMiB = med('stored', (r) => r.reducedRssMiB);
    return {
      devices: o.devices,
      readingsPerDevice: o.readingsPerDevice,
      runs,
      emptyRssMiB,
      storedRssMiB,
      ratio: storedRssMiB / emptyRssMiB,
      fullGcRatio: ratioOf((r) => r.rssMiB),
      heapRatio: ratioOf((r) => r.reducedHeapUsedMiB),
      startRatio: ratioOf((r) => r.startMs),
    };
  } finally {
    removeTempDir(dirs.empty);
    removeTempDir(dirs.stored);
  }
}
