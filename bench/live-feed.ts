import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import { sleep, withTimeout } from './clock.ts';
import { dashboardSession } from './dashboard-session.ts';
import { pacedJob } from './latency.ts';
import type { LiveClientsJob, LiveClientsResult } from './live-types.ts';
import { runLoad } from './load-runner.ts';
import type { LoadDevice } from './load-types.ts';
import { type Summary, summarize } from './stats.ts';
import type { VigilFixture } from './vigil-fixture.ts';
import type { SeqCursor } from './w1-throughput.ts';

export interface LiveFeedOptions {
  ratePerSec: number;
  clients: number;
  warmupMs: number;
  durationMs: number;
  window: number;
  noDelay: boolean;
}

export interface LiveFeedResult {
  targetRate: number;
  achievedRate: number;
  clients: number;
  /** Messages published in the measured interval. */
  measured: number;
  /** measured x clients: the frames the clients should have received. */
  expected: number;
  /** Of those, received (matched by device and seq). */
  delivered: number;
  /** WebSocket messages the clients received (all types; a frame may carry several readings). */
  frames: number;
  /** publish() in the load worker -> the reading arriving at a client, every client. */
  delay: Summary;
  /** publish() -> the pipeline's onAccepted (committed), once per message: ingest's share. */
  toCommitted: Summary;
  /** onAccepted -> the reading arriving at a client, every client: the live feed's own share. */
  feed: Summary;
  /** Each client's own p99, lowest and highest (the spread shows whether some clients lag). */
  perClientP99: { min: number; max: number };
  /** Clients the server dropped as too slow (close 1013) and clients closed for another reason. */
  dropped: number;
  closedOther: number;
  /** Event-loop utilisation of the server thread and of the clients' thread during the run. */
  serverElu: number;
  clientsElu: number;
  loadErrors: number;
  unackedAtEnd: number;
  recordOverflow: number;
}

function spread(xs: number[]): { min: number; max: number } {
  const ok = xs.filter(Number.isFinite);
  return ok.length ? { min: Math.min(...ok), max: Math.max(...ok) } : { min: Number.NaN, max: Number.NaN };
}

/** Starts the clients' worker; resolves once every client is connected. */
function startClients(
  job: LiveClientsJob,
): Promise<{ stop: () => Promise<LiveClientsResult>; kill: () => void }> {
  const worker = new Worker(new URL('./live-clients-worker.ts', import.meta.url), { workerData: job });
  type Msg = { ready: true } | { ok: true; res: LiveClientsResult } | { ok: false; error: string };
  let onResult: ((m: Msg) => void) | undefined;
  const ready = new Promise<void>((resolve, reject) => {
    worker.on('message', (m: Msg) => {
      if ('ready' in m) return resolve();
      if (!m.ok) return reject(new Error(`live clients: ${m.error}`));
      onResult?.(m);
    });
    worker.once('error', reject);
  });
  const kill = () => void worker.terminate();
  return withTimeout(ready, job.connectTimeoutMs + 5000, 'live clients').then(
    () => ({
      kill,
      stop: () =>
        withTimeout(
          new Promise<LiveClientsResult>((resolve, reject) => {
            onResult = (m) => ('res' in m ? resolve(m.res) : reject(new Error('no result')));
            worker.postMessage({ cmd: 'stop' });
          }),
          15_000,
          'live clients result',
        ).finally(kill),
    }),
    (err: unknown) => {
      kill();
      throw err;
    },
  );
}

/**
 * Live-feed delay under ingest load: `clients` dashboard sessions hold the live feed open (one
 * signed-in viewer session, in a worker thread so the clients do not share the server's event
 * loop), the W1 publishers send at `ratePerSec` (paced, QoS 1, real envelopes), and every
 * `reading` frame's arrival is matched to its publish() call by device and seq.
 */
export async function runLiveFeed(
  fx: VigilFixture,
  devices: LoadDevice[],
  cursor: SeqCursor,
  o: LiveFeedOptions,
  log: (s: string) => void,
): Promise<LiveFeedResult> {
  const cookie = await dashboardSession(fx, 'bench-dashboard', 'viewer');
  const origin = `https://127.0.0.1:${fx.server.httpPort}`;
  const perSec = o.ratePerSec * o.clients;
  const clients = await startClients({
    url: `wss://127.0.0.1:${fx.server.httpPort}/api/v1/live`,
    cookie,
    origin,
    ca: fx.ctx.ca.certPem,
    clients: o.clients,
    deviceIds: devices.map((d) => d.id),
    maxRecords: Math.ceil((perSec * (o.warmupMs + o.durationMs + 12_000)) / 1000),
    connectTimeoutMs: 10_000,
  });
  log(`  ${o.clients} live-feed clients connected (one viewer session, Origin ${origin})`);
  let load: Awaited<ReturnType<typeof runLoad>>;
  const elu0 = performance.eventLoopUtilization();
  // When each message was committed (the hook runs right after its transaction, before the bus).
  const committedAt = new Map<string, number>();
  fx.onAccepted = (ev, at) => committedAt.set(`${ev.deviceId}|${ev.seq}`, at);
  try {
    load = await runLoad(pacedJob(fx, devices, cursor, o));
    cursor.advance(load.lastSeq);
    // Frames still in flight to the clients after the last PUBACK.
    await sleep(1000);
  } catch (err) {
    clients.kill();
    throw err;
  } finally {
    fx.onAccepted = undefined;
  }
  const serverElu = performance.eventLoopUtilization(elu0).utilization;
  const res = await clients.stop();

  // Publish times of the measured interval by (device, seq).
  const pubAt = new Map<number, number>();
  const times = load.times ?? new Float64Array(0);
  for (let i = 0; i + 3 < times.length; i += 4) {
    const tPub = times[i + 2]!;
    if (tPub < load.measureFrom || tPub > load.measureTo) continue;
    pubAt.set(times[i]! * 2 ** 32 + times[i + 1]!, tPub);
  }
  const all: number[] = [];
  const feed: number[] = [];
  const perClient: number[][] = Array.from({ length: o.clients }, () => []);
  const r = res.records;
  for (let i = 0; i + 3 < r.length; i += 4) {
    const tPub = pubAt.get(r[i + 1]! * 2 ** 32 + r[i + 2]!);
    if (tPub === undefined) continue;
    const d = r[i + 3]! - tPub;
    all.push(d);
    perClient[r[i]!]?.push(d);
    const tc = committedAt.get(`${devices[r[i + 1]!]?.id}|${r[i + 2]!}`);
    if (tc !== undefined) feed.push(r[i + 3]! - tc);
  }
  const toCommitted: number[] = [];
  for (const [key, tPub] of pubAt) {
    const tc = committedAt.get(`${devices[Math.floor(key / 2 ** 32)]?.id}|${key % 2 ** 32}`);
    if (tc !== undefined) toCommitted.push(tc - tPub);
  }
  const measured = pubAt.size;
  return {
    targetRate: o.ratePerSec,
    achievedRate: (measured / (load.measureTo - load.measureFrom)) * 1000,
    clients: o.clients,
    measured,
    expected: measured * o.clients,
    delivered: all.length,
    frames: res.received.reduce((a, b) => a + b, 0),
    delay: summarize(all),
    toCommitted: summarize(toCommitted),
    feed: summarize(feed),
    perClientP99: spread(perClient.map((xs) => summarize(xs).p99)),
    dropped: res.closeCodes.filter((c) => c === 1013).length,
    closedOther: res.closeCodes.filter((c) => c !== null && c !== 1013).length,
    serverElu,
    clientsElu: res.elu,
    loadErrors: load.errors,
    unackedAtEnd: load.unackedAtEnd,
    recordOverflow: res.overflow,
  };
}
