/**
 * Worker thread: one QoS 1 subscriber (MQTT.js, clean session) on the W1 topics of a broker, as
 * a backend service would hold it. Notes the monotonic time of every message it receives (MQTT.js
 * sends the PUBACK). Bounded by `maxRecords` (counted beyond); the main thread stops it.
 */
import { parentPort, workerData } from 'node:worker_threads';
import mqtt from 'mqtt';
import { nowMs } from './clock.ts';
import type { SubscriberJob, SubscriberResult } from './subscriber-types.ts';
import { runWorkerSession } from './worker-session.ts';

const job = workerData as SubscriberJob;
const port = parentPort;
if (!port) throw new Error('subscriber-worker must run as a worker thread');

const times = new Float64Array(job.maxRecords);
let n = 0;
let received = 0;
const client = mqtt.connect(job.url, {
  clientId: job.clientId,
  ca: job.ca,
  cert: job.cert,
  key: job.key,
  protocolVersion: 4,
  clean: true,
  keepalive: 60,
  reconnectPeriod: 0,
  connectTimeout: 5000,
} as mqtt.IClientOptions);
client.on('error', () => {});
client.on('message', () => {
  const t = nowMs();
  received++;
  if (n < times.length) times[n++] = t;
});

await runWorkerSession<SubscriberResult>({
  port,
  ready: new Promise<void>((resolve, reject) => {
    client.once('connect', () =>
      client.subscribe(job.topic, { qos: 1 }, (err) => (err ? reject(err) : resolve())),
    );
    client.once('error', reject);
  }),
  timeoutMs: 10_000,
  what: 'subscriber connecting',
  finish: (elu) => {
    client.end(true);
    return { times: times.slice(0, n), received, elu };
  },
  transfer: (res) => [res.times.buffer as ArrayBuffer],
});
