/**
 * Monotonic milliseconds from CLOCK_MONOTONIC (`process.hrtime`). Unlike `performance.now()`,
 * whose origin is per thread, it is comparable between the main thread and a worker thread, so a
 * publish time taken in the load worker can be subtracted from a commit time taken in the server.
 */
export function nowMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

/** Resolves after `ms`. */
export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Rejects with `what` timed out when `p` does not settle within `ms` (the timer never keeps the process alive). */
export function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
    timer.unref();
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}
