/** Worker thread: runs one share of a profile's devices (bench/anomaly/run-profile.ts). */
import { parentPort, workerData } from 'node:worker_threads';
import { type ProfileRunOptions, runProfile } from './run-profile.ts';

try {
  parentPort?.postMessage({ ok: true, res: runProfile(workerData as ProfileRunOptions) });
} catch (err) {
  parentPort?.postMessage({
    ok: false,
    error: err instanceof Error ? (err.stack ?? err.message) : String(err),
  });
}
