/**
 * What the layer evaluation measures on one server under test, always with the same load
 * generator (bench/load-worker.ts in a worker thread) and from outside the server's process:
 * throughput, publish -> PUBACK latency, server CPU per 1,000 messages, memory per connection,
 * TLS handshake times, and bytes on the wire.
 */
import net from 'node:net';
import tls from 'node:tls';
import mqtt, { type MqttClient } from 'mqtt';
import { cpuSeconds, rssBytes } from '../../src/seclab/process-meter.ts';
import { nowMs, sleep } from '../clock.ts';
import { runLoad } from '../load-runner.ts';
import type { LoadDevice, LoadJob } from '../load-types.ts';
import { percentile } from '../stats.ts';
import type { SeqCursor } from '../w1-throughput.ts';

/** A server under test: where it listens and its process (for CPU and RSS). */
export interface Sut {
  /** `mqtt://127.0.0.1:N` or `mqtts://127.0.0.1:N` */
  url: string;
  port: number;
  pid: number;
  transport: 'tcp' | 'tls' | 'mtls';
}

export type Payload = 'body' | 'envelope';

function loadJob(
  sut: Sut,
  devices: LoadDevice[],
  cursor: SeqCursor,
  payload: Payload,
  o: Partial<LoadJob>,
): LoadJob {
  return {
    url: sut.url,
    topicPrefix: 'vigil/v1',
    devices,
    startSeq: [...cursor.next],
    poolPerClient: 12_000,
    cyclePool: payload === 'body',
    mode: 'max',
    window: 64,
    ratePerSec: 0,
    warmupMs: 500,
    durationMs: 3000,
    drainTimeoutMs: 10_000,
    recordTimes: false,
    noDelay: true,
    payload,
    ...o,
  };
}

/** Server CPU seconds over the load's measured interval, from /proc. */
function cpuProbe(pid: number) {
  let c0 = Number.NaN;
  let c1 = Number.NaN;
  return {
    onPhase: (p: 'measure-start' | 'measure-end') => {
      if (p === 'measure-start') c0 = cpuSeconds(pid);
      else c1 = cpuSeconds(pid);
    },
    seconds: () => c1 - c0,
  };
}

export interface MaxResult {
  rate: number;
  /** Server CPU milliseconds per 1,000 acknowledged messages at that rate. */
  cpuMsPer1000: number;
  errors: number;
  tls: string;
}

/** Highest rate: 4 clients keeping 64 QoS 1 PUBLISHes in flight each. */
export async function measureMax(
  sut: Sut,
  devices: LoadDevice[],
  cursor: SeqCursor,
  payload: Payload,
  durationMs: number,
): Promise<MaxResult> {
  const cpu = cpuProbe(sut.pid);
  const r = await runLoad(loadJob(sut, devices, cursor, payload, { durationMs }), cpu.onPhase);
  cursor.advance(r.lastSeq);
  return {
    rate: r.ackRate,
    cpuMsPer1000: (cpu.seconds() * 1e6) / Math.max(1, r.measuredAcks),
    errors: r.errors,
    tls: r.tls,
  };
}

export interface PacedResult {
  targetRate: number;
  achievedRate: number;
  p50Ms: number;
  p99Ms: number;
  cpuMsPer1000: number;
  errors: number;
}

/** A steady load every configuration sustains: publish() -> PUBACK per message, and server CPU. */
export async function measurePaced(
  sut: Sut,
  devices: LoadDevice[],
  cursor: SeqCursor,
  payload: Payload,
  ratePerSec: number,
  durationMs: number,
): Promise<PacedResult> {
  const cpu = cpuProbe(sut.pid);
  const pool = Math.ceil((ratePerSec / devices.length) * ((1000 + durationMs) / 1000) * 1.2) + 100;
  const r = await runLoad(
    loadJob(sut, devices, cursor, payload, {
      mode: 'paced',
      ratePerSec,
      window: 1000,
      warmupMs: 1000,
      durationMs,
      poolPerClient: pool,
      cyclePool: false,
      recordTimes: true,
    }),
    cpu.onPhase,
  );
  cursor.advance(r.lastSeq);
  const times = r.times ?? new Float64Array(0);
  const rtts: number[] = [];
  for (let i = 0; i + 3 < times.length; i += 4) {
    const tPub = times[i + 2] ?? 0;
    const tAck = times[i + 3] ?? Number.NaN;
    if (tPub >= r.measureFrom && tPub <= r.measureTo && Number.isFinite(tAck)) rtts.push(tAck - tPub);
  }
  return {
    targetRate: ratePerSec,
    achievedRate: r.ackRate,
    p50Ms: percentile(rtts, 50),
    p99Ms: percentile(rtts, 99),
    cpuMsPer1000: (cpu.seconds() * 1e6) / Math.max(1, r.measuredAcks),
    errors: r.errors,
  };
}

function mqttConnect(url: string, d: LoadDevice, localAddress?: string): Promise<MqttClient> {
  const c = mqtt.connect(url, {
    clientId: d.id,
    ca: d.ca,
    cert: d.cert,
    key: d.key,
    protocolVersion: 4,
    clean: true,
    keepalive: 120,
    reconnectPeriod: 0,
    connectTimeout: 10_000,
    ...(localAddress ? { localAddress } : {}),
  } as mqtt.IClientOptions);
  return new Promise((resolve, reject) => {
    c.once('connect', () => resolve(c));
    c.once('error', (e) => {
      c.end(true);
      reject(e);
    });
    c.once('close', () => reject(new Error(`${d.id}: closed before CONNACK`)));
  });
}

/** Server RSS growth per open MQTT session (each device connected once, idle). */
export async function measureMemory(
  sut: Sut,
  devices: LoadDevice[],
  addresses: string[],
): Promise<{ perConnectionKiB: number; connections: number }> {
  await sleep(1000);
  const before = rssBytes(sut.pid);
  const clients: MqttClient[] = [];
  try {
    // 20 at a time: a burst of handshakes, not a flood.
    for (let i = 0; i < devices.length; i += 20) {
      const batch = devices.slice(i, i + 20);
      clients.push(
        ...(await Promise.all(
          batch.map((d, k) => mqttConnect(sut.url, d, addresses[(i + k) % addresses.length])),
        )),
      );
    }
    await sleep(1500);
    const after = rssBytes(sut.pid);
    return { perConnectionKiB: (after - before) / 1024 / clients.length, connections: clients.length };
  } finally {
    await Promise.all(clients.map((c) => new Promise<void>((r) => c.end(true, {}, () => r()))));
  }
}

export interface HandshakeResult {
  fullMs: number;
  resumedMs: number;
  /** Share of the resumption attempts the server accepted. */
  resumedShare: number;
  version: string;
  cipher: string;
}

/** TLS handshakes alone (no MQTT): 30 full, then 30 resuming the previous session (RFC 8446 §2.2). */
export async function measureHandshakes(sut: Sut, d: LoadDevice): Promise<HandshakeResult | null> {
  if (sut.transport === 'tcp') return null;
  const creds = sut.transport === 'mtls' ? { cert: d.cert, key: d.key } : {};
  const one = (session?: Buffer) =>
    new Promise<{ ms: number; session?: Buffer; reused: boolean; version: string; cipher: string }>(
      (resolve, reject) => {
        const t0 = nowMs();
        let got: Buffer | undefined;
        const s = tls.connect({
          host: '127.0.0.1',
          port: sut.port,
          servername: 'localhost',
          ca: d.ca,
          ...creds,
          ...(session ? { session } : {}),
        });
        s.on('session', (sess: Buffer) => {
          got ??= sess;
        });
        s.once('secureConnect', () => {
          const ms = nowMs() - t0;
          const reused = s.isSessionReused();
          const version = s.getProtocol() ?? '?';
          const cipher = s.getCipher()?.name ?? '?';
          // TLS 1.3 tickets arrive after the handshake: wait a little for one.
          setTimeout(() => {
            s.destroy();
            resolve({ ms, ...(got ? { session: got } : {}), reused, version, cipher });
          }, 30);
        });
        s.once('error', reject);
      },
    );
  const full: number[] = [];
  const resumed: number[] = [];
  let reusedCount = 0;
  let last: Awaited<ReturnType<typeof one>> | undefined;
  for (let i = 0; i < 30; i++) {
    last = await one();
    full.push(last.ms);
  }
  let session = last?.session;
  for (let i = 0; i < 30 && session; i++) {
    const r = await one(session);
    resumed.push(r.ms);
    if (r.reused) reusedCount++;
    session = r.session ?? session;
  }
  return {
    fullMs: percentile(full, 50),
    resumedMs: percentile(resumed, 50),
    resumedShare: resumed.length ? reusedCount / resumed.length : 0,
    version: last?.version ?? '?',
    cipher: last?.cipher ?? '?',
  };
}

export interface WireResult {
  /** TCP payload bytes (both ways) from connect to CONNACK: TLS handshake, CONNECT, CONNACK. */
  setupBytes: number;
  /** Per QoS 1 reading (PUBLISH up, PUBACK down), averaged over `n`. */
  upBytesPerReading: number;
  downBytesPerReading: number;
  /** The MQTT payload (the envelope, or the plain body) of one reading. */
  payloadBytes: number;
}

/**
 * Bytes on the wire, counted by a TCP relay between one client and the server: the connection's
 * setup, then `n` readings one at a time (so no two share a TLS record).
 */
export async function measureWire(sut: Sut, d: LoadDevice, payloads: Buffer[]): Promise<WireResult> {
  const counts = { up: 0, down: 0 };
  const relay = net.createServer((c) => {
    const u = net.connect(sut.port, '127.0.0.1');
    c.on('data', (b: Buffer) => {
      counts.up += b.length;
      u.write(b);
    });
    u.on('data', (b: Buffer) => {
      counts.down += b.length;
      c.write(b);
    });
    for (const x of [c, u]) {
      x.on('error', () => {});
      x.on('close', () => {
        c.destroy();
        u.destroy();
      });
    }
  });
  await new Promise<void>((r) => relay.listen({ host: '127.0.0.1', port: 0 }, () => r()));
  const port = (relay.address() as net.AddressInfo).port;
  const url = `${sut.url.split('://')[0]}://127.0.0.1:${port}`;
  try {
    const client = await mqttConnect(url, d);
    const setupBytes = counts.up + counts.down;
    const up0 = counts.up;
    const down0 = counts.down;
    const topic = `vigil/v1/devices/${d.id}/telemetry`;
    for (const p of payloads) {
      await new Promise<void>((resolve, reject) =>
        client.publish(topic, p, { qos: 1 }, (e) => (e ? reject(e) : resolve())),
      );
    }
    const n = payloads.length;
    const result = {
      setupBytes,
      upBytesPerReading: (counts.up - up0) / n,
      downBytesPerReading: (counts.down - down0) / n,
      payloadBytes: payloads.reduce((s, p) => s + p.length, 0) / n,
    };
    await new Promise<void>((r) => client.end(true, {}, () => r()));
    return result;
  } finally {
    await new Promise<void>((r) => relay.close(() => r()));
  }
}
