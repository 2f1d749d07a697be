/**
 * Worker thread: N dashboard clients on the live feed (WSS, session cookie, Origin of the server),
 * as browsers would hold them. Notes the monotonic time each `reading` frame arrives, before
 * anything else is done with it, plus which device and seq it carries (read with a regex rather
 * than a full JSON.parse, so the clients' own cost stays small). Bounded: at most `maxRecords`
 * records (counted beyond), and the main thread terminates the worker if it overruns.
 */
import { parentPort, workerData } from 'node:worker_threads';
import WebSocket from 'ws';
import { nowMs } from './clock.ts';
import type { LiveClientsJob, LiveClientsResult } from './live-types.ts';
import { runWorkerSession } from './worker-session.ts';

const job = workerData as LiveClientsJob;
const port = parentPort;
if (!port) throw new Error('live-clients-worker must run as a worker thread');

const devIndex = new Map(job.deviceIds.map((id, i) => [id, i]));
const records = new Float64Array(job.maxRecords * 4);
let n = 0;
let overflow = 0;
const received = new Array<number>(job.clients).fill(0);
const closeCodes = new Array<number | null>(job.clients).fill(null);
const sockets: WebSocket[] = [];
const READING = /^\{"type":"reading","data":\{"deviceId":"([^"]+)","seq":(\d+)/;

function open(i: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(job.url, {
      ca: job.ca,
      headers: { cookie: job.cookie },
      origin: job.origin,
      perMessageDeflate: false,
    });
    sockets.push(ws);
    ws.on('message', (data: Buffer) => {
      const t = nowMs();
      received[i] = (received[i] ?? 0) + 1;
      const m = READING.exec(data.toString());
      if (!m) return;
      const dev = devIndex.get(m[1] ?? '');
      if (dev === undefined) return;
      if (n >= job.maxRecords) {
        overflow++;
        return;
      }
      const o = n * 4;
      records[o] = i;
      records[o + 1] = dev;
      records[o + 2] = Number(m[2]);
      records[o + 3] = t;
      n++;
    });
    ws.once('open', () => resolve());
    ws.once('unexpected-response', (_req, res) => reject(new Error(`live feed refused: ${res.statusCode}`)));
    ws.once('error', reject);
    ws.on('error', () => {}); // after the handshake: the close code tells what happened
    ws.on('close', (code) => {
      closeCodes[i] = code;
    });
  });
}

await runWorkerSession<LiveClientsResult>({
  port,
  ready: Promise.all(Array.from({ length: job.clients }, (_, i) => open(i))),
  timeoutMs: job.connectTimeoutMs,
  what: 'live clients connecting',
  finish: (elu) => {
    const stillOpen = closeCodes.map((c) => c === null);
    for (const ws of sockets) ws.terminate();
    return {
      records: records.slice(0, n * 4),
      overflow,
      received,
      closeCodes: closeCodes.map((c, i) => (stillOpen[i] ? null : c)),
      elu,
    };
  },
  transfer: (res) => [res.records.buffer as ArrayBuffer],
});
