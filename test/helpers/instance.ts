import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { IClientOptions, MqttClient } from 'mqtt';
import type { ConfigInput } from '../../src/config/schema.ts';
import { openContext, type VigilContext } from '../../src/data-dir/context.ts';
import { addDevice } from '../../src/devices/device-service.ts';
import { type Alg, NONCE_BYTES } from '../../src/protocol/aead.ts';
import type { DeviceProfile } from '../../src/protocol/device-profile.ts';
import { type Channel, type Envelope, sealEnvelope, serializeEnvelope } from '../../src/protocol/envelope.ts';
import { deriveDeviceKeys } from '../../src/protocol/keys.ts';
import { connectDevice as connectBundle } from '../../src/seclab/mqtt-tools.ts';
import { type RunningServer, type ServerOptions, startServer } from '../../src/server/start-server.ts';
import { type DeviceBundleFiles, readDeviceBundle } from '../../src/sim/device-bundle.ts';

export const MASTER_KEY_HEX = 'a'.repeat(64);

export interface Instance {
  dataDir: string;
  ctx: VigilContext;
  server: RunningServer;
  url: string;
  /** https://127.0.0.1:<port> of the API server. */
  httpUrl: string;
  addDevice(id: string, profile?: DeviceProfile, alg?: Alg): Promise<DeviceBundleFiles>;
  /** Stops the server (keeps the data directory). */
  stop(): Promise<void>;
  /** Stops and starts again on the same data directory and ports. */
  restart(): Promise<void>;
  destroy(): Promise<void>;
}

/** A whole Vigil (broker, pipeline, encrypted store) in this process, on loopback, port 0. */
export async function startInstance(
  overrides: Partial<ConfigInput> = {},
  dataDir?: string,
  serverOptions: ServerOptions = {},
  masterKeyHex = MASTER_KEY_HEX,
): Promise<Instance> {
  const dir = dataDir ?? mkdtempSync(join(tmpdir(), 'vigil-e2e-'));
  const env = { ...process.env, VIGIL_MASTER_KEY: masterKeyHex };
  let mqttPort = 0;
  const open = async () => {
    const ctx = await openContext({
      dataDir: dir,
      env,
      create: true,
      createAdmin: true,
      logLevel: process.env.VIGIL_TEST_LOG ?? 'silent',
      overrides: {
        ...overrides,
        mqtt: { host: '127.0.0.1', port: mqttPort, connectTimeoutMs: 3000, ...(overrides.mqtt ?? {}) },
        http: { ...(overrides.http ?? {}), host: '127.0.0.1', port: 0 },
        pki: { crlPollMs: 200, ...(overrides.pki ?? {}) },
        ota: { port: 0, ...(overrides.ota ?? {}) },
      },
    });
    const server = await startServer(ctx, serverOptions);
    mqttPort = server.mqttPort;
    return { ctx, server };
  };
  let cur = await open();
  const inst: Instance = {
    dataDir: dir,
    get ctx() {
      return cur.ctx;
    },
    get server() {
      return cur.server;
    },
    get url() {
      return `mqtts://127.0.0.1:${cur.server.mqttPort}`;
    },
    get httpUrl() {
      return `https://127.0.0.1:${cur.server.httpPort}`;
    },
    addDevice: async (id, profile = 'vaccine-transport', alg) => {
      const b = await addDevice(cur.ctx, {
        id,
        profile,
        alg,
        outDir: join(dir, 'bundles', id),
        actor: 'test',
      });
      return readDeviceBundle(b.dir);
    },
    stop: async () => {
      await cur.server.stop();
      await cur.ctx.close();
    },
    restart: async () => {
      await inst.stop();
      cur = await open();
    },
    destroy: async () => {
      await cur.server.stop().catch(() => {});
      await cur.ctx.close().catch(() => {});
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return inst;
}

/** Connects as a device with its bundle (or with overrides for attacks). Rejects on refusal. */
export function connectDevice(
  url: string,
  b: DeviceBundleFiles,
  extra: Partial<IClientOptions> = {},
): Promise<MqttClient> {
  // MQTT.js's default keep-alive (60 s), a shorter CONNACK wait than seclab's.
  return connectBundle(url, b, { keepalive: 60, connectTimeout: 5000, ...extra });
}

/** Builds a valid envelope for the bundle's device; fields can be overridden after sealing. */
export function makeEnvelope(
  b: DeviceBundleFiles,
  channel: Channel,
  body: unknown,
  o: { seq: number; ts?: number; kid?: number; alg?: Alg; nonce?: Buffer },
): Envelope {
  const alg = o.alg ?? b.info.alg;
  return sealEnvelope({
    dev: b.info.id,
    channel,
    seq: o.seq,
    ts: o.ts ?? Date.now(),
    kid: o.kid ?? b.info.kid,
    alg,
    nonce: o.nonce ?? randomBytes(NONCE_BYTES[alg]),
    body: typeof body === 'string' ? body : JSON.stringify(body),
    keys: deriveDeviceKeys(Buffer.from(b.info.secret, 'base64url'), b.info.id),
  });
}

export function truckSample(ts = Date.now(), temp = 4.6) {
  return { ts, temp_c: temp, rh_pct: 51.2, lat: 52.37, lon: 4.89, bat_pct: 88, power: 'mains' };
}

export function topic(id: string, channel: string): string {
  return `vigil/v1/devices/${id}/${channel}`;
}

/** Publishes at QoS 1 and resolves on PUBACK. */
export function publish(client: MqttClient, t: string, payload: string | Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    client.publish(t, payload, { qos: 1 }, (err) => (err ? reject(err) : resolve()));
  });
}

export function send(
  client: MqttClient,
  id: string,
  env: Envelope | string,
  channel: Channel = 'telemetry',
): Promise<void> {
  return publish(client, topic(id, channel), typeof env === 'string' ? env : serializeEnvelope(env));
}

export async function waitFor<T>(
  what: string,
  fn: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs = 8000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export function closeClient(c: MqttClient): Promise<void> {
  return new Promise((r) => c.end(true, {}, () => r()));
}
