import { performance } from 'node:perf_hooks';
import type { MessagePort } from 'node:worker_threads';
import { withTimeout } from './clock.ts';

/**
 * The protocol of the bench's client workers (MQTT subscriber, live-feed clients): wait for the
 * clients to be ready (bounded), answer `{ ready: true }` or `{ ok: false, error }`; on
 * `{ cmd: 'stop' }`, answer `{ ok: true, res }` with `finish(elu)`'s result, ELU measured from
 * readiness, transferring `transfer(res)`.
 */
export async function runWorkerSession<R>(o: {
  port: MessagePort;
  ready: Promise<unknown>;
  timeoutMs: number;
  what: string;
  finish: (elu: number) => R;
  transfer: (res: R) => ArrayBuffer[];
}): Promise<void> {
  let elu0 = performance.eventLoopUtilization();
  try {
    await withTimeout(o.ready, o.timeoutMs, o.what);
    elu0 = performance.eventLoopUtilization();
    o.port.postMessage({ ready: true });
  } catch (err) {
    o.port.postMessage({ ok: false, error: err instanceof Error ? err.message : String(err) });
  }
  o.port.on('message', (m: { cmd: 'stop' }) => {
    if (m.cmd !== 'stop') return;
    const res = o.finish(performance.eventLoopUtilization(elu0).utilization);
    o.port.postMessage({ ok: true, res }, o.transfer(res));
  });
}
