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
