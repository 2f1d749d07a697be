import { Worker } from 'node:worker_threads';
import type { LoadJob, LoadResult } from './load-types.ts';

/**
 * Runs one {@link LoadJob} in a fresh worker thread and resolves with its result. The worker is
 * terminated when it reports, errors, or overruns the job's own bounds plus `graceMs`.
 */
export function runLoad(
  job: LoadJob,
  onPhase?: (phase: 'measure-start' | 'measure-end') => void,
  graceMs = 30_000,
): Promise<LoadResult> {
  const worker = new Worker(new URL('./load-worker.ts', import.meta.url), { workerData: job });
  // Plus 50 ms per client for sealing its pool and its handshake (a fleet of 1000 on a loaded
  // 2-core machine takes tens of seconds to connect, before the bounded run starts).
  const limit = job.warmupMs + job.durationMs + job.drainTimeoutMs + graceMs + job.devices.length * 50;
  return new Promise<LoadResult>((resolve, reject) => {
    let settled = false;
    const finish = (fn: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      fn();
      void worker.terminate();
    };
    const timer = setTimeout(
      () => finish(() => reject(new Error(`load worker exceeded ${limit} ms`))),
      limit,
    );
    type Msg =
      | { phase: 'measure-start' | 'measure-end' }
      | { ok: true; res: LoadResult }
      | { ok: false; error: string };
    worker.on('message', (m: Msg) => {
      if ('phase' in m) {
        onPhase?.(m.phase);
        return;
      }
      finish(() => (m.ok ? resolve(m.res) : reject(new Error(`load worker: ${m.error}`))));
    });
    worker.once('error', (err) => finish(() => reject(err)));
    worker.once('exit', (code) =>
      finish(() => reject(new Error(`load worker exited (code ${code}) without a result`))),
    );
  });
}
