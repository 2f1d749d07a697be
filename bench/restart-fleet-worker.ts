/**
 * Worker thread: the restart benchmark's fleet. Thousands of devices, each its own mTLS
 * connection with its own certificate, each publishing one QoS 1 telemetry envelope per interval
 * (phases spread evenly, so the server sees a steady rate), and a probe device publishing
 * every `probeIntervalMs`; publish -> PUBACK is recorded for the measured interval.
 *
 * A lean MQTT 3.1.1 client (node:tls and mqtt-packet: CONNECT, PUBLISH QoS 1, PUBACK) instead of
 * MQTT.js: ten thousand MQTT.js clients would cost the load generator more memory and CPU than
 * the server under test. Envelopes are sealed as they are sent (about 1,000 a second).
 */
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { type TLSSocket, connect as tlsConnect } from 'node:tls';
import { parentPort, workerData } from 'node:worker_threads';
import mqttPacket from 'mqtt-packet';
import { NONCE_BYTES } from '../src/protocol/aead.ts';
import { sealEnvelope, serializeEnvelope } from '../src/protocol/envelope.ts';
import { type DeviceKeys, deriveDeviceKeys } from '../src/protocol/keys.ts';
import { bench128ByteBody } from './bodies.ts';
import { nowMs, sleep } from './clock.ts';
import type { LoadDevice } from './load-types.ts';
import type { RestartFleetJob, RestartFleetResult } from './restart-types.ts';

const job = workerData as RestartFleetJob;

interface Conn {
  readonly dev: LoadDevice;
  /** Index in the job's device list. */
  readonly index: number;
  readonly socket: TLSSocket;
  readonly keys: DeviceKeys;
  readonly topic: string;
  seq: number;
  nextId: number;
  /** packet id -> publish time (NaN: not measured). */
  readonly pending: Map<number, { at: number; measured: boolean }>;
  onAck?: (id: number) => void;
}

function open(dev: LoadDevice, index: number, seq: number): Promise<Conn> {
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({
      host: job.host,
      port: job.port,
      ca: dev.ca,
      cert: dev.cert,
      key: dev.key,
    });
    socket.setNoDelay(true);
    const conn: Conn = {
      dev,
      index,
      socket,
      keys: deriveDeviceKeys(Buffer.from(dev.secret, 'base64url'), dev.id),
      topic: `${job.topicPrefix}/devices/${dev.id}/telemetry`,
      seq,
      nextId: 1,
      pending: new Map(),
    };
    const parser = mqttPacket.parser({ protocolVersion: 4 });
    const timer = setTimeout(() => fail(new Error(`${dev.id}: no CONNACK within 30 s`)), 30_000);
    let settled = false;
    const fail = (err: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      reject(err);
    };
    parser.on('packet', (p) => {
      if (p.cmd === 'connack') {
        if (p.returnCode !== 0) return fail(new Error(`${dev.id}: CONNACK ${p.returnCode}`));
        settled = true;
        clearTimeout(timer);
        resolve(conn);
      } else if (p.cmd === 'puback' && p.messageId !== undefined) {
        conn.onAck?.(p.messageId);
      }
    });
    parser.on('error', (err) => fail(err));
    socket.on('data', (d) => parser.parse(d));
    socket.once('secureConnect', () => {
      socket.write(
        mqttPacket.generate({
          cmd: 'connect',
          protocolId: 'MQTT',
          protocolVersion: 4,
          clean: true,
          clientId: dev.id,
          keepalive: 120,
        }),
      );
    });
    socket.on('error', (err) => fail(err));
    socket.on('close', () => fail(new Error(`${dev.id}: closed before CONNACK`)));
  });
}

async function run(): Promise<RestartFleetResult> {
  const tc = nowMs();
  const conns: Conn[] = [];
  const deadline = tc + job.connectTimeoutMs;
  let connectFailures = 0;
  let firstConnectError: string | undefined;
  // one retry per device: a handshake can time out on a busy machine
  const attempt = async (d: LoadDevice, index: number): Promise<Conn | undefined> => {
    for (let k = 0; k < 2; k++) {
      try {
        return await open(d, index, job.startSeq[index] ?? 1);
      } catch (err) {
        firstConnectError ??= err instanceof Error ? err.message : String(err);
      }
    }
    connectFailures++;
    return undefined;
  };
  for (let i = 0; i < job.devices.length; i += job.connectConcurrency) {
    if (nowMs() > deadline) throw new Error(`connected ${conns.length} of ${job.devices.length} in time`);
    const chunk = job.devices.slice(i, i + job.connectConcurrency);
    const got = await Promise.all(chunk.map((d, k) => attempt(d, i + k)));
    for (const c of got) if (c) conns.push(c);
  }
  const connectMs = nowMs() - tc;
  const probeDev = job.devices.at(-1) as LoadDevice;
  if (conns.at(-1)?.dev !== probeDev) throw new Error(`the probe did not connect: ${firstConnectError}`);
  if (connectFailures > job.devices.length / 100)
    throw new Error(`${connectFailures} devices could not connect: ${firstConnectError}`);

  let published = 0;
  let acked = 0;
  let errors = connectFailures;
  let firstError = firstConnectError;
  const fleet: number[] = [];
  const probe: number[] = [];
  const t0 = nowMs();
  const tWarm = t0 + job.warmupMs;
  const tEnd = tWarm + job.durationMs;
  const probeConn = conns.at(-1) as Conn;
  let wake: (() => void) | undefined;
  let inflight = 0;

  for (const c of conns) {
    const into = c === probeConn ? probe : fleet;
    c.onAck = (id) => {
      const p = c.pending.get(id);
      if (!p) return;
      c.pending.delete(id);
      acked++;
      inflight--;
      if (p.measured) into.push(nowMs() - p.at);
      if (inflight === 0) wake?.();
    };
    c.socket.on('error', (err) => {
      errors++;
      firstError ??= `${c.dev.id}: ${err.message}`;
    });
  }

  const publish = (c: Conn) => {
    if (c.socket.destroyed) return;
    const ts = Date.now();
    const env = sealEnvelope({
      dev: c.dev.id,
      channel: 'telemetry',
      seq: c.seq,
      ts,
      kid: c.dev.kid,
      alg: c.dev.alg,
      nonce: randomBytes(NONCE_BYTES[c.dev.alg]),
      body: bench128ByteBody(ts),
      keys: c.keys,
    });
    c.seq++;
    const id = c.nextId;
    c.nextId = c.nextId >= 65_535 ? 1 : c.nextId + 1;
    const at = nowMs();
    c.pending.set(id, { at, measured: at >= tWarm && at < tEnd });
    inflight++;
    published++;
    c.socket.write(
      mqttPacket.generate({
        cmd: 'publish',
        topic: c.topic,
        payload: Buffer.from(serializeEnvelope(env), 'utf8'),
        qos: 1,
        messageId: id,
        retain: false,
        dup: false,
      }),
    );
  };

  // the fleet's k-th publish overall goes to device k mod N: evenly spread phases
  const n = conns.length - 1;
  let issued = 0;
  let probes = 0;
  let eluWarm: ReturnType<typeof performance.eventLoopUtilization> | undefined;
  while (nowMs() < tEnd) {
    const elapsed = nowMs() - t0;
    if (!eluWarm && elapsed >= job.warmupMs) eluWarm = performance.eventLoopUtilization();
    const due = Math.floor((elapsed * n) / job.intervalMs);
    for (; issued < due; issued++) publish(conns[issued % n] as Conn);
    const probeDue = Math.floor(elapsed / job.probeIntervalMs);
    for (; probes < probeDue; probes++) publish(probeConn);
    await sleep(2);
  }
  const elu = performance.eventLoopUtilization(eluWarm).utilization;
  if (inflight > 0) await Promise.race([new Promise<void>((r) => (wake = r)), sleep(job.drainTimeoutMs)]);
  const unackedAtEnd = inflight;
  // a measured message never acknowledged counts as slower than anything measured, so the
  // percentiles cannot hide it
  for (const c of conns) {
    for (const p of c.pending.values()) if (p.measured) (c === probeConn ? probe : fleet).push(Infinity);
    c.socket.destroy();
  }
  const lastSeq = job.devices.map((_, i) => (job.startSeq[i] ?? 1) - 1);
  for (const c of conns) lastSeq[c.index] = c.seq - 1;
  return {
    connected: conns.length,
    connectMs,
    published,
    acked,
    errors,
    firstError,
    unackedAtEnd,
    fleet: Float64Array.from(fleet),
    probe: Float64Array.from(probe),
    measuredMs: job.durationMs,
    lastSeq,
    elu,
  };
}

run().then(
  (res) => parentPort?.postMessage({ ok: true, res }, [res.fleet.buffer, res.probe.buffer] as ArrayBuffer[]),
  (err: unknown) =>
    parentPort?.postMessage({ ok: false, error: err instanceof Error ? err.message : String(err) }),
);
