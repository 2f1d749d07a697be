/**
 * The good device, in a worker thread so that an attack running on seclab's main thread does not
 * delay its clock: the simulator's device code (src/sim/sim-device.ts) publishing one QoS 1
 * telemetry reading every `1000 / ratePerSec` ms and reporting each round trip.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { readDeviceBundle } from '../sim/device-bundle.ts';
import { SimDevice } from '../sim/sim-device.ts';

export interface ProbeJob {
  bundleDir: string;
  brokerUrl: string;
  ratePerSec: number;
  /** A message without PUBACK after this long counts as failed (a late PUBACK does not undo it). */
  timeoutMs: number;
}

/** One message of the good device: when it was sent (epoch ms) and its round trip (NaN: failed). */
export interface ProbeSample {
  at: number;
  rttMs: number;
  error?: string;
}

const job = workerData as ProbeJob;
const pending: ProbeSample[] = [];
/** seq -> performance.now() at publish, until the PUBACK or the timeout. */
const inFlight = new Map<number, number>();
const epochAt = (perf: number) => performance.timeOrigin + perf;
const device = new SimDevice(readDeviceBundle(job.bundleDir), {
  brokerUrl: job.brokerUrl,
  onPublished: (r) => {
    // The round trip from the first send: a reading redelivered after a reconnection counts in full.
    const sentAt = inFlight.get(r.seq);
    if (sentAt === undefined) return; // already counted as timed out
    inFlight.delete(r.seq);
    pending.push({ at: epochAt(sentAt), rttMs: r.doneAt - sentAt });
  },
});

function expire(now: number): void {
  for (const [seq, sentAt] of inFlight) {
    if (now - sentAt < job.timeoutMs) continue;
    inFlight.delete(seq);
    pending.push({ at: epochAt(sentAt), rttMs: Number.NaN, error: `no PUBACK within ${job.timeoutMs} ms` });
  }
}

let timer: NodeJS.Timeout | undefined;
let flusher: NodeJS.Timeout | undefined;

async function start(): Promise<void> {
  await device.connect();
  const period = 1000 / job.ratePerSec;
  let sent = 0;
  const t0 = performance.now();
  // Paced on the clock, not on the timer: a late tick catches up, so the rate stays exact.
  timer = setInterval(
    () => {
      const due = Math.floor((performance.now() - t0) / period) + 1;
      for (; sent < due; sent++) {
        // Sent whether or not the link is up: MQTT.js queues it, and the timeout judges the service.
        const at = performance.now();
        const seq = device.send('telemetry', {
          samples: [
            { ts: Date.now(), temp_c: 4.6, rh_pct: 51.2, lat: 52.37, lon: 4.89, bat_pct: 88, power: 'mains' },
          ],
        });
        inFlight.set(seq, at);
      }
    },
    Math.max(5, Math.floor(period / 2)),
  );
  flusher = setInterval(() => {
    expire(performance.now());
    // Every message sent before `settledTo` has its outcome in this or an earlier batch.
    let oldest = performance.now();
    for (const sentAt of inFlight.values()) oldest = Math.min(oldest, sentAt);
    parentPort?.postMessage({ samples: pending.splice(0), settledTo: epochAt(oldest) });
  }, 200);
  parentPort?.postMessage({ ready: true });
}

parentPort?.on('message', async (m: { stop?: boolean }) => {
  if (!m.stop) return;
  if (timer) clearInterval(timer);
  // Outstanding messages get their PUBACK (or time out) before the device leaves.
  const deadline = performance.now() + job.timeoutMs;
  while (inFlight.size > 0 && performance.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  expire(Number.POSITIVE_INFINITY);
  await device.close().catch(() => {});
  if (flusher) clearInterval(flusher);
  parentPort?.postMessage({ samples: pending.splice(0), settledTo: Date.now(), stopped: true });
});

start().catch((err: unknown) => parentPort?.postMessage({ error: (err as Error).message }));
