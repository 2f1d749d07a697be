import type { ConfigInput } from '../src/config/schema.ts';
import { openContext, type VigilContext } from '../src/data-dir/context.ts';
import type { RunningServer } from '../src/server/running-server.ts';
import { startServer } from '../src/server/start-server.ts';

/** Memory of a freshly started server process, as the start-up benchmarks report it. */
export interface StartMemory {
  /** After a full GC. */
  rssMiB: number;
  heapUsedMiB: number;
  /** After a further memory-reducing GC. */
  reducedRssMiB: number;
  reducedHeapUsedMiB: number;
}

/**
 * Measures this process (run with `--expose-gc`): a full GC, then a memory-reducing one (V8's
 * "last resort", what it runs under memory pressure), which also gives back the young generation
 * V8 grew for the start's allocation rate: sized by how fast start-up allocated, not by what it
 * kept.
 */
export function measureStartMemory(): StartMemory {
  const gc = (globalThis as { gc?: (o?: Record<string, string>) => void }).gc;
  gc?.();
  const m = process.memoryUsage();
  gc?.({ type: 'major', execution: 'sync', flavor: 'last-resort' });
  const r = process.memoryUsage();
  const mib = (n: number) => n / 2 ** 20;
  return {
    rssMiB: mib(m.rss),
    heapUsedMiB: mib(m.heapUsed),
    reducedRssMiB: mib(r.rss),
    reducedHeapUsedMiB: mib(r.heapUsed),
  };
}

/** Starts Vigil on `dataDir` and measures it: how long the start took and its memory then. */
export async function startMeasured(
  dataDir: string,
  overrides: Partial<ConfigInput>,
): Promise<{ ctx: VigilContext; server: RunningServer; startMs: number; memory: StartMemory }> {
  const t0 = performance.now();
  const ctx = await openContext({ dataDir, logLevel: 'silent', overrides });
  const server = await startServer(ctx);
  const startMs = performance.now() - t0;
  return { ctx, server, startMs, memory: measureStartMemory() };
}
