import { Worker } from 'node:worker_threads';
import { withTimeout } from './clock.ts';
import type { SubscriberJob, SubscriberResult } from './subscriber-types.ts';

/** A running subscriber worker: `stop` collects its receipts, `kill` ends it without them. */
export interface Subscriber {
  stop(): Promise<SubscriberResult>;
  kill(): void;
}

/** Starts the subscriber worker; resolves once it is subscribed (bounded: 15 s). */
export async function startSubscriber(job: SubscriberJob): Promise<Subscriber> {
  const worker = new Worker(new URL('./subscriber-worker.ts', import.meta.url), { workerData: job });
  type Msg = { ready: true } | { ok: true; res: SubscriberResult } | { ok: false; error: string };
  let onResult: ((m: Msg) => void) | undefined;
  const kill = () => void worker.terminate();
  const ready = new Promise<void>((resolve, reject) => {
    worker.on('message', (m: Msg) => {
      if ('ready' in m) return resolve();
      if (!m.ok) return reject(new Error(`subscriber: ${m.error}`));
      onResult?.(m);
    });
    worker.once('error', reject);
  });
  try {
    await withTimeout(ready, 15_000, 'subscriber');
  } catch (err) {
    kill();
    throw err;
  }
  return {
    kill,
    stop: () =>
      withTimeout(
        new Promise<SubscriberResult>((resolve, reject) => {
          onResult = (m) => ('res' in m ? resolve(m.res) : reject(new Error('no result')));
          worker.postMessage({ cmd: 'stop' });
        }),
        15_000,
        'subscriber result',
      ).finally(kill),
  };
}
