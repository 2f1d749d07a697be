/** Memory figures of this process; heap figures after a full GC when node runs with --expose-gc. */
export interface MemorySample {
  rssMb: number;
  heapUsedMb: number;
}

const mb = (b: number) => Math.round((b / 1048576) * 10) / 10;

export function memorySample(): MemorySample {
  (globalThis as { gc?: () => void }).gc?.();
  const m = process.memoryUsage();
  return { rssMb: mb(m.rss), heapUsedMb: mb(m.heapUsed) };
}

/** Resident set size of another process (Linux /proc), in MB; null when it is gone. */
export async function rssOfPid(pid: number): Promise<number | null> {
  const { readFile } = await import('node:fs/promises');
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const kb = /VmRSS:\s+(\d+) kB/.exec(status)?.[1];
    return kb ? mb(Number(kb) * 1024) : null;
  } catch {
    return null;
  }
}

/**
 * Flat memory: the heap after the run is within 1.5x (plus 32 MB of slack for caches that fill
 * once) of the heap after the first tenth of the run.
 */
export function isFlat(warmMb: number, afterMb: number): boolean {
  return afterMb <= warmMb * 1.5 + 32;
}
