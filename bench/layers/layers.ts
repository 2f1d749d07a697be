/**
 * The security evaluation: the same load generator against each configuration in turn, each
 * adding one layer (docs/security-evaluation.md explains the rows and the method).
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openContext, serverTlsMaterial } from '../../src/data-dir/context.ts';
import { addDevice } from '../../src/devices/device-service.ts';
import type { Alg } from '../../src/protocol/aead.ts';
import { NONCE_BYTES } from '../../src/protocol/aead.ts';
import { sealEnvelope, serializeEnvelope } from '../../src/protocol/envelope.ts';
import { deriveDeviceKeys } from '../../src/protocol/keys.ts';
import type { Layer } from '../../src/seclab/seclab-types.ts';
import { startVigilProcess } from '../../src/seclab/throwaway-target.ts';
import { readDeviceBundle } from '../../src/sim/device-bundle.ts';
import { bench128ByteBody } from '../bodies.ts';
import type { LoadDevice } from '../load-types.ts';
import { median } from '../stats.ts';
import { makeTempDir, removeTempDir } from '../temp-dirs.ts';
import { SeqCursor } from '../w1-throughput.ts';
import { runW5 } from '../w5-store.ts';
import { type DeviceCost, measureDeviceCost } from './device-cost.ts';
import type { LayerServerConfig } from './layer-server.ts';
import {
  type HandshakeResult,
  type MaxResult,
  measureHandshakes,
  measureMax,
  measureMemory,
  measurePaced,
  measureWire,
  type PacedResult,
  type Payload,
  type Sut,
  type WireResult,
} from './measure.ts';

/** One configuration of the evaluation. */
export interface LayerConfig {
  id: string;
  title: string;
  adds: string;
  /** The seclab layer this row adds (for the CIA matrix); null for the baseline. */
  layer: Layer | null;
  server:
    | { kind: 'aedes'; transport: 'tcp' | 'tls' | 'mtls'; verify: 'none' | 'hmac' | 'aead' }
    | { kind: 'vigil'; limits: 'raised' | 'default' };
  payload: Payload;
  alg: Alg;
}

export const LAYER_CONFIGS: readonly LayerConfig[] = [
  {
    id: 'plain',
    title: 'plain MQTT over TCP',
    adds: 'baseline (a raw Aedes on loopback, lab only: Vigil never opens a plain port)',
    layer: null,
    server: { kind: 'aedes', transport: 'tcp', verify: 'none' },
    payload: 'body',
    alg: 'A256GCM',
  },
  {
    id: 'tls',
    title: '+ TLS, server authentication',
    adds: 'transport confidentiality',
    layer: 'tls',
    server: { kind: 'aedes', transport: 'tls', verify: 'none' },
    payload: 'body',
    alg: 'A256GCM',
  },
  {
    id: 'mtls',
    title: '+ mutual TLS',
    adds: 'device authentication',
    layer: 'mtls',
    server: { kind: 'aedes', transport: 'mtls', verify: 'none' },
    payload: 'body',
    alg: 'A256GCM',
  },
  {
    id: 'hmac',
    title: '+ HMAC + replay guard',
    adds: 'message integrity and freshness (envelope alg none)',
    layer: 'hmac-replay',
    server: { kind: 'aedes', transport: 'mtls', verify: 'hmac' },
    payload: 'envelope',
    alg: 'none',
  },
  {
    id: 'aead-gcm',
    title: '+ AEAD A256GCM',
    adds: 'end-to-end confidentiality (AES-256-GCM)',
    layer: 'aead',
    server: { kind: 'aedes', transport: 'mtls', verify: 'aead' },
    payload: 'envelope',
    alg: 'A256GCM',
  },
  {
    id: 'aead-ascon',
    title: '+ AEAD ASCON128',
    adds: 'end-to-end confidentiality (Ascon-AEAD128)',
    layer: 'aead',
    server: { kind: 'aedes', transport: 'mtls', verify: 'aead' },
    payload: 'envelope',
    alg: 'ASCON128',
  },
  {
    id: 'sqlcipher',
    title: '+ SQLCipher at rest (the Vigil pipeline)',
    adds: 'storage confidentiality; durable store, PUBACK after commit; broker ACL',
    layer: 'sqlcipher',
    server: { kind: 'vigil', limits: 'raised' },
    payload: 'envelope',
    alg: 'A256GCM',
  },
  {
    id: 'limits',
    title: '+ rate limits and caps (Vigil defaults)',
    adds: 'availability under abuse',
    layer: 'limits',
    server: { kind: 'vigil', limits: 'default' },
    payload: 'envelope',
    alg: 'A256GCM',
  },
];

export interface LayerRow {
  config: LayerConfig;
  /** null for the rate-limited row: its per-device limit caps it by design. */
  max: MaxResult | null;
  paced: PacedResult;
  memory: { perConnectionKiB: number; connections: number };
  handshake: HandshakeResult | null;
  wire: WireResult;
}

export interface LayersResult {
  rows: LayerRow[];
  rounds: number;
  /** SQLCipher alone: the store's readings/s encrypted vs plain (bench W5, synchronous FULL). */
  store: { encryptedRate: number; plainRate: number; ratio: number } | null;
  deviceCost: DeviceCost[];
  pacedRate: number;
  memoryConnections: number;
}

export interface LayersOptions {
  quick: boolean;
  log: (s: string) => void;
}

const LAYER_SERVER = fileURLToPath(new URL('./layer-server.ts', import.meta.url));

/** Starts the lab's baseline server (layer-server.ts) in a child process. */
async function startAedes(
  cfg: LayerServerConfig,
  dir: string,
): Promise<{ sut: Sut; stop: () => Promise<void> }> {
  const file = join(dir, `layer-${cfg.transport}-${cfg.verify}.json`);
  writeFileSync(file, JSON.stringify(cfg), { mode: 0o600 });
  const child = spawn(process.execPath, [LAYER_SERVER, file], { stdio: ['ignore', 'pipe', 'pipe'] });
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    const t = setTimeout(() => reject(new Error('layer server did not start')), 30_000);
    child.stdout.on('data', (d: Buffer) => {
      out += d;
      const m = /"port":(\d+)/.exec(out);
      if (m) {
        clearTimeout(t);
        resolve(Number(m[1]));
      }
    });
    child.once('exit', (code) => reject(new Error(`layer server exited ${code}`)));
  });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  return {
    sut: {
      url: `${cfg.transport === 'tcp' ? 'mqtt' : 'mqtts'}://127.0.0.1:${port}`,
      port,
      pid: child.pid ?? 0,
      transport: cfg.transport,
    },
    stop: async () => {
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(t);
    },
  };
}

const RAISED = {
  publishRatePerSec: 100_000,
  publishBurst: 1_000_000,
  connectRatePerMinute: 100_000,
  maxConnectionsPerAddress: 100_000,
};

async function startVigil(dataDir: string, env: NodeJS.ProcessEnv, limits: 'raised' | 'default') {
  writeFileSync(
    join(dataDir, 'config.json'),
    JSON.stringify({
      mqtt: { host: '127.0.0.1', ...(limits === 'raised' ? RAISED : {}) },
      http: { host: '127.0.0.1' },
    }),
  );
  const p = await startVigilProcess(dataDir, env);
  return {
    sut: {
      url: `mqtts://127.0.0.1:${p.mqttPort}`,
      port: p.mqttPort,
      pid: p.pid ?? 0,
      transport: 'mtls' as const,
    },
    stop: p.stop,
  };
}

/** One configuration, one round: every figure. */
async function measureRow(
  cfg: LayerConfig,
  sut: Sut,
  o: { devices: LoadDevice[]; idle: LoadDevice[]; cursor: SeqCursor; pacedRate: number; quick: boolean },
): Promise<LayerRow> {
  // MQTT.js turns mqtt:// into mqtts:// when a client certificate is given: none for plain TCP.
  const strip = (d: LoadDevice): LoadDevice => (sut.transport === 'tcp' ? { ...d, cert: '', key: '' } : d);
  const devices = o.devices.map(strip);
  const { cursor } = o;
  const limited = cfg.server.kind === 'vigil' && cfg.server.limits === 'default';
  // The rate-limited row cannot take the maximum load (its devices would be cut off); it gets a
  // paced warm-up of the same length instead, so every row meets the paced run warmed up.
  const max = limited ? null : await measureMax(sut, devices, cursor, cfg.payload, o.quick ? 2000 : 3000);
  if (limited) await measurePaced(sut, devices, cursor, cfg.payload, o.pacedRate, o.quick ? 2000 : 3000);
  const paced = await measurePaced(sut, devices, cursor, cfg.payload, o.pacedRate, o.quick ? 3000 : 6000);
  const memory = await measureMemory(sut, o.idle.map(strip), [
    '127.0.0.1',
    '127.0.0.2',
    '127.0.0.3',
    '127.0.0.4',
    '127.0.0.5',
  ]);
  const d0 = devices[0] as LoadDevice;
  const handshake = await measureHandshakes(sut, d0);
  const keys = deriveDeviceKeys(Buffer.from(d0.secret, 'base64url'), d0.id);
  const first = cursor.next[0] ?? 1;
  const payloads = Array.from({ length: 100 }, (_, i) => {
    const ts = Date.now();
    if (cfg.payload === 'body') return Buffer.from(bench128ByteBody(ts));
    const env = sealEnvelope({
      dev: d0.id,
      channel: 'telemetry',
      seq: first + i,
      ts,
      kid: d0.kid,
      alg: cfg.alg,
      nonce: randomBytes(NONCE_BYTES[cfg.alg]),
      body: bench128ByteBody(ts),
      keys,
    });
    return Buffer.from(serializeEnvelope(env));
  });
  cursor.advance([first + payloads.length]);
  const wire = await measureWire(sut, d0, payloads);
  return { config: cfg, max, paced, memory, handshake, wire };
}

/** The median of each figure over the rounds of one configuration. */
function medianRow(rows: LayerRow[]): LayerRow {
  const m = (f: (r: LayerRow) => number) => median(rows.map(f).filter((v) => Number.isFinite(v)));
  const r0 = rows[0] as LayerRow;
  return {
    config: r0.config,
    max: r0.max
      ? {
          rate: m((r) => r.max?.rate ?? Number.NaN),
          cpuMsPer1000: m((r) => r.max?.cpuMsPer1000 ?? Number.NaN),
          errors: m((r) => r.max?.errors ?? 0),
          tls: r0.max.tls,
        }
      : null,
    paced: {
      targetRate: r0.paced.targetRate,
      achievedRate: m((r) => r.paced.achievedRate),
      p50Ms: m((r) => r.paced.p50Ms),
      p99Ms: m((r) => r.paced.p99Ms),
      cpuMsPer1000: m((r) => r.paced.cpuMsPer1000),
      errors: m((r) => r.paced.errors),
    },
    memory: { perConnectionKiB: m((r) => r.memory.perConnectionKiB), connections: r0.memory.connections },
    handshake: r0.handshake
      ? {
          fullMs: m((r) => r.handshake?.fullMs ?? Number.NaN),
          resumedMs: m((r) => r.handshake?.resumedMs ?? Number.NaN),
          resumedShare: m((r) => r.handshake?.resumedShare ?? Number.NaN),
          version: r0.handshake.version,
          cipher: r0.handshake.cipher,
        }
      : null,
    wire: {
      setupBytes: m((r) => r.wire.setupBytes),
      upBytesPerReading: m((r) => r.wire.upBytesPerReading),
      downBytesPerReading: m((r) => r.wire.downBytesPerReading),
      payloadBytes: m((r) => r.wire.payloadBytes),
    },
  };
}

/** Runs every configuration; each measurement is bounded in count and time. */
export async function runLayers(o: LayersOptions): Promise<LayersResult> {
  const dir = makeTempDir('vigil-layers-');
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    VIGIL_MASTER_KEY: randomBytes(32).toString('hex'),
    VIGIL_LOG_LEVEL: 'warn',
  };
  delete env.VIGIL_DATA_DIR;
  const dataDir = join(dir, 'vigil');
  const log = o.log;
  try {
    log('[layers] provisioning devices (4 per algorithm, 200 for the connection count)');
    const ctx = await openContext({ dataDir, env, logLevel: 'silent', create: true, createAdmin: false });
    const provision = async (id: string, alg: Alg): Promise<LoadDevice> => {
      const b = readDeviceBundle(
        (
          await addDevice(ctx, {
            id,
            profile: 'vaccine-transport',
            alg,
            outDir: join(dir, 'bundles', id),
            actor: 'bench',
          })
        ).dir,
      );
      return { id, ca: b.ca, cert: b.cert, key: b.key, secret: b.info.secret, kid: b.info.kid, alg };
    };
    const byAlg = new Map<Alg, LoadDevice[]>();
    for (const alg of ['none', 'A256GCM', 'ASCON128'] as const) {
      const list: LoadDevice[] = [];
      for (let i = 0; i < 4; i++) list.push(await provision(`layers-${alg.toLowerCase()}-${i}`, alg));
      byAlg.set(alg, list);
    }
    const memoryConnections = o.quick ? 50 : 200;
    const idle: LoadDevice[] = [];
    for (let i = 0; i < memoryConnections; i++)
      idle.push(await provision(`layers-idle-${String(i).padStart(3, '0')}`, 'A256GCM'));
    const tlsMaterial = serverTlsMaterial(ctx);
    await ctx.close();
    const allDevices = [...byAlg.values()].flat().concat(idle);
    const cursors = new Map<Alg, SeqCursor>([...byAlg.keys()].map((a) => [a, new SeqCursor(4)]));
    const pacedRate = 320;
    const rounds = o.quick ? 1 : 3;
    const perRound: LayerRow[][] = LAYER_CONFIGS.map(() => []);
    // Round-robin over the configurations, so a change in the machine's load spreads over all rows.
    for (let round = 1; round <= rounds; round++) {
      for (const [i, cfg] of LAYER_CONFIGS.entries()) {
        log(`[layers] round ${round}/${rounds}: ${cfg.title}`);
        const server =
          cfg.server.kind === 'aedes'
            ? await startAedes(
                {
                  transport: cfg.server.transport,
                  verify: cfg.server.verify,
                  tls: { cert: tlsMaterial.cert, key: tlsMaterial.key, ca: tlsMaterial.ca },
                  devices: allDevices.map((d) => ({ id: d.id, secret: d.secret, kid: d.kid })),
                },
                dir,
              )
            : await startVigil(dataDir, env, cfg.server.limits);
        try {
          const row = await measureRow(cfg, server.sut, {
            devices: byAlg.get(cfg.alg) ?? [],
            idle,
            cursor: cursors.get(cfg.alg) ?? new SeqCursor(4),
            pacedRate,
            quick: o.quick,
          });
          log(
            `  ${row.max ? `max ${Math.round(row.max.rate)}/s, ` : ''}paced p50 ${row.paced.p50Ms.toFixed(2)} / p99 ${row.paced.p99Ms.toFixed(2)} ms, ` +
              `CPU ${row.paced.cpuMsPer1000.toFixed(0)} ms/1000, ${row.memory.perConnectionKiB.toFixed(1)} KiB/conn, ` +
              `${row.wire.upBytesPerReading.toFixed(0)}+${row.wire.downBytesPerReading.toFixed(0)} B/reading`,
          );
          perRound[i]?.push(row);
        } finally {
          await server.stop();
        }
      }
    }
    const rows = perRound.map(medianRow);
    log("[layers] device-side cost per reading (the simulator's sealing code on this host)");
    const deviceCost = (['none', 'A256GCM', 'ASCON128'] as const).map((alg) =>
      measureDeviceCost(alg, o.quick ? 300 : 1500),
    );
    log('[layers] SQLCipher alone: the encrypted store against the same store unencrypted (W5)');
    const w5 = await runW5(
      {
        devices: 4,
        readingsPerBatch: 200,
        maxReadings: o.quick ? 100_000 : 300_000,
        maxMs: o.quick ? 1000 : 2500,
        rounds: o.quick ? 1 : 2,
        withReplayState: true,
      },
      () => {},
    );
    const full = w5.find((p) => p.synchronous === 'FULL');
    const store = full
      ? { encryptedRate: full.encryptedRate, plainRate: full.plainRate, ratio: full.ratio }
      : null;
    return { rows, deviceCost, pacedRate, memoryConnections, rounds, store };
  } finally {
    removeTempDir(dir);
  }
}
