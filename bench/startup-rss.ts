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
  rssMiB: number;
  heapUsedMiB: number;
  startMs: number;
}

export interface StartupResult {
  devices: number;
  readingsPerDevice: number;
  runs: StartupRun[];
  emptyRssMiB: number;
  storedRssMiB: number;
  /** stored / empty RSS at start. */
  ratio: number;
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
          `  round ${i + 1}/${o.rounds}: ${history.padEnd(6)} RSS ${r.rssMiB.toFixed(0)} MiB, start ${r.startMs.toFixed(0)} ms`,
        );
      }
    }
    const med = (h: StartupRun['history'], f: (r: StartupRun) => number) =>
      median(runs.filter((r) => r.history === h).map(f));
    const emptyRssMiB = med('empty', (r) => r.rssMiB);
    const storedRssMiB = med('stored', (r) => r.rssMiB);
    return {
      devices: o.devices,
      readingsPerDevice: o.readingsPerDevice,
      runs,
      emptyRssMiB,
      storedRssMiB,
      ratio: storedRssMiB / emptyRssMiB,
    };
  } finally {
    removeTempDir(dirs.empty);
    removeTempDir(dirs.stored);
  }
}
