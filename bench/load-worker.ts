import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { TLSSocket } from 'node:tls';
import { parentPort, workerData } from 'node:worker_threads';
import mqtt, { type MqttClient } from 'mqtt';
import { NONCE_BYTES } from '../src/protocol/aead.ts';
import { sealEnvelope, serializeEnvelope } from '../src/protocol/envelope.ts';
import { deriveDeviceKeys } from '../src/protocol/keys.ts';
import { bench128ByteBody } from './bodies.ts';
import { nowMs, sleep } from './clock.ts';
import type { LoadDevice, LoadJob, LoadResult } from './load-types.ts';

/**
 * The load generator, run in a worker thread so that the publishers (MQTT.js, client-side TLS)
 * use the second core and the main thread is left to the broker under test.
 */
const job = workerData as LoadJob;

interface ClientState {
  dev: LoadDevice;
  idx: number;
  topic: string;
  client: MqttClient;
  pool: Buffer[];
  seqs: number[];
  next: number;
  inflight: number;
  sent: number;
}

function buildPool(dev: LoadDevice, startSeq: number, n: number): { pool: Buffer[]; seqs: number[] } {
  const keys = deriveDeviceKeys(Buffer.from(dev.secret, 'base64url'), dev.id);
  const pool: Buffer[] = [];
  const seqs: number[] = [];
  const ts = Date.now();
  for (let i = 0; i < n; i++) {
    const seq = startSeq + i;
    if (job.payload === 'body') {
      pool.push(Buffer.from(bench128ByteBody(ts), 'utf8'));
      seqs.push(seq);
      continue;
    }
    const env = sealEnvelope({
      dev: dev.id,
      channel: 'telemetry',
      seq,
      ts,
      kid: dev.kid,
      alg: dev.alg,
      nonce: randomBytes(NONCE_BYTES[dev.alg]),
      body: bench128ByteBody(ts),
      keys,
    });
    pool.push(Buffer.from(serializeEnvelope(env), 'utf8'));
    seqs.push(seq);
  }
  return { pool, seqs };
}

function connect(dev: LoadDevice): Promise<MqttClient> {
  const client = mqtt.connect(job.url, {
    clientId: dev.id,
    ca: dev.ca,
    cert: dev.cert,
    key: dev.key,
    protocolVersion: 4,
    clean: true,
    keepalive: 60,
    reconnectPeriod: 0,
    connectTimeout: 5000,
    // Passed on to tls.connect -> socket.connect (Node >= 17.3).
    ...(job.noDelay ? { noDelay: true } : {}),
  } as mqtt.IClientOptions);
  return new Promise((resolve, reject) => {
    const fail = (err: Error) => {
      client.end(true);
      reject(err);
    };
    client.once('connect', () => resolve(client));
    client.once('error', fail);
    client.once('close', () => fail(new Error(`${dev.id}: connection closed before CONNACK`)));
  });
}

async function run(): Promise<LoadResult> {
  const tb = nowMs();
  const pools = job.devices.map((d, i) => buildPool(d, job.startSeq[i] ?? 0, job.poolPerClient));
  const buildMs = nowMs() - tb;
  const tc = nowMs();
  // At most 64 handshakes at a time: a fleet of a thousand clients must not run into the
  // server's handshake timeout on a busy machine.
  const clients: MqttClient[] = [];
  for (let i = 0; i < job.devices.length; i += 64) {
    clients.push(...(await Promise.all(job.devices.slice(i, i + 64).map((d) => connect(d)))));
  }
  const connectMs = nowMs() - tc;
  const sock = (clients[0] as unknown as { stream?: TLSSocket }).stream;
  const cipher = sock?.getCipher?.();
  const tls = `${sock?.getProtocol?.() ?? '?'} ${cipher?.name ?? '?'}`;

  const states: ClientState[] = job.devices.map((dev, idx) => ({
    dev,
    idx,
    topic: `${job.topicPrefix}/devices/${dev.id}/telemetry`,
    client: clients[idx]!,
    pool: pools[idx]!.pool,
    seqs: pools[idx]!.seqs,
    next: 0,
    inflight: 0,
    sent: 0,
  }));
  for (const s of states) s.client.on('error', () => {});

  const maxRecords = job.recordTimes ? job.poolPerClient * job.devices.length : 0;
  const times = job.recordTimes ? new Float64Array(maxRecords * 4) : undefined;
  let records = 0;
  let published = 0;
  let acked = 0;
  let errors = 0;
  let firstError: string | undefined;
  let measuredAcks = 0;
  const perSecond: number[] = [];

  const t0 = nowMs();
  const tWarm = t0 + job.warmupMs;
  const tEnd = tWarm + job.durationMs;
  let stopped = false;
  let lastAckAt = t0;
  const elu0 = { v: performance.eventLoopUtilization() };
  let eluWarm: ReturnType<typeof performance.eventLoopUtilization> | undefined;

  let wake: (() => void) | undefined;
  const publishOne = (s: ClientState): boolean => {
    if (s.next >= s.pool.length) {
      if (!job.cyclePool) return false;
      s.next = 0;
    }
    const i = s.next++;
    const payload = s.pool[i]!;
    const rec = records < maxRecords ? records++ : -1;
    if (times && rec >= 0) {
      times[rec * 4] = s.idx;
      times[rec * 4 + 1] = s.seqs[i]!;
      times[rec * 4 + 2] = nowMs();
      times[rec * 4 + 3] = Number.NaN;
    }
    s.inflight++;
    s.sent++;
    published++;
    s.client.publish(s.topic, payload, { qos: 1 }, (err) => {
      const t = nowMs();
      s.inflight--;
      if (err) {
        errors++;
        firstError ??= err.message;
      } else {
        acked++;
        lastAckAt = t;
        if (t >= tWarm && t <= tEnd) measuredAcks++;
        const slot = Math.floor((t - t0) / 1000);
        perSecond[slot] = (perSecond[slot] ?? 0) + 1;
        if (times && rec >= 0) times[rec * 4 + 3] = t;
      }
      if (job.mode === 'max' && !stopped) pump(s);
      if (wake && states.every((x) => x.inflight === 0)) wake();
    });
    return true;
  };
  const pump = (s: ClientState) => {
    while (!stopped && s.inflight < job.window) {
      if (!publishOne(s)) break;
    }
  };
  const allIdle = () => states.every((s) => s.inflight === 0);
  const exhausted = () => !job.cyclePool && states.every((s) => s.next >= s.pool.length);

  // Tells the main thread when the measured interval starts and ends (it samples its own ELU).
  const markWarm = () => {
    if (eluWarm || nowMs() < tWarm) return;
    eluWarm = performance.eventLoopUtilization();
    parentPort?.postMessage({ phase: 'measure-start' });
  };
  if (job.mode === 'max') {
    for (const s of states) pump(s);
    // Publishing stops at tEnd, or earlier once every pool is used up and acknowledged.
    while (nowMs() < tEnd && !(exhausted() && allIdle())) {
      markWarm();
      await sleep(Math.min(20, Math.max(1, tEnd - nowMs())));
    }
  } else {
    // paced: each client publishes its share on a 2 ms tick, catching up on what is due.
    const perClient = job.ratePerSec / states.length;
    while (nowMs() < tEnd && !exhausted()) {
      const elapsed = nowMs() - t0;
      markWarm();
      for (const s of states) {
        const due = Math.floor((elapsed * perClient) / 1000) - s.sent;
        // A safety cap on outstanding publishes: the paced rate is far below the maximum.
        for (let k = 0; k < due && s.inflight < job.window; k++) {
          if (!publishOne(s)) break;
        }
      }
      await sleep(2);
    }
  }
  stopped = true;
  parentPort?.postMessage({ phase: 'measure-end' });
  const tStop = Math.min(nowMs(), tEnd);
  const eluRun = performance.eventLoopUtilization(eluWarm ?? elu0.v);

  // Drain: wait (bounded) for the outstanding PUBACKs.
  if (!allIdle()) {
    await Promise.race([new Promise<void>((r) => (wake = r)), sleep(job.drainTimeoutMs)]);
  }
  const unackedAtEnd = states.reduce((n, s) => n + s.inflight, 0);
  await Promise.all(states.map((s) => new Promise<void>((r) => s.client.end(true, {}, () => r()))));

  // When the pools ran out before the time bound, the interval ends with the last PUBACK.
  const measuredEnd = Math.min(tStop, exhausted() ? lastAckAt : tStop);
  const measuredMs = Math.max(1, measuredEnd - tWarm);
  const lastSeq = states.map((s) => (s.sent > 0 ? s.seqs[Math.min(s.sent, s.seqs.length) - 1]! : -1));
  return {
    published,
    acked,
    errors,
    firstError,
    measuredAcks,
    measuredMs,
    ackRate: (measuredAcks / measuredMs) * 1000,
    unackedAtEnd,
    lastSeq,
    buildMs,
    connectMs,
    tls,
    workerElu: eluRun.utilization,
    measureFrom: tWarm,
    measureTo: tStop,
    perSecond: perSecond.map((v) => v ?? 0),
    ...(times ? { times: times.slice(0, records * 4) } : {}),
  };
}

run().then(
  (res) => parentPort?.postMessage({ ok: true, res }, res.times ? [res.times.buffer as ArrayBuffer] : []),
  (err: unknown) =>
    parentPort?.postMessage({ ok: false, error: err instanceof Error ? err.message : String(err) }),
);
