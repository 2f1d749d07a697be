/**
 * Test fixture: a real pipeline on a real encrypted SQLite store in a temp dir, with provisioned
 * devices and an envelope sealer. Used by the ingest unit tests, the durability suite and the
 * fuzz harness; never imported by runtime code.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { deviceSecretIdentity, MasterKey } from '../keys/master-key.ts';
import { type Alg, NONCE_BYTES } from '../protocol/aead.ts';
import type { DeviceProfile } from '../protocol/device-profile.ts';
import {
  type Channel,
  type Envelope,
  headerString,
  sealEnvelope,
  serializeEnvelope,
} from '../protocol/envelope.ts';
import { type DeviceKeys, deriveDeviceKeys } from '../protocol/keys.ts';
import { SqliteStore } from '../storage/adapters/sqlite-store.ts';
import type { Store } from '../storage/store.ts';
import { sampleDevice, sampleKey } from '../storage/store-records.fixture.ts';
import { DeviceKeyring } from './device-keyring.ts';
import type { InboundMessage } from './ingest-sink.ts';
import { IngestPipeline, type PipelineOptions } from './pipeline.ts';
import { RejectionRecorder } from './rejection-recorder.ts';

export const PREFIX = 'vigil/v1';

export interface TestDevice {
  id: string;
  profile: DeviceProfile;
  alg: Alg;
  kid: number;
  secret: Buffer;
  keys: DeviceKeys;
}

export interface SealOptions {
  seq: number;
  ts?: number;
  kid?: number;
  alg?: Alg;
  nonce?: Buffer;
  channel?: Channel;
}

/** Seals `body` (an object is JSON-serialised, a string or Buffer is taken as is) for the device. */
export function sealFor(d: TestDevice, body: unknown, o: SealOptions): Buffer {
  const alg = o.alg ?? d.alg;
  const env = sealEnvelope({
    dev: d.id,
    channel: o.channel ?? 'telemetry',
    seq: o.seq,
    ts: o.ts ?? Date.now(),
    kid: o.kid ?? d.kid,
    alg,
    nonce: o.nonce ?? randomBytes(NONCE_BYTES[alg]),
    body: typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body),
    keys: d.keys,
  });
  return Buffer.from(serializeEnvelope(env), 'utf8');
}

/**
 * An envelope with any `b` (for example a ciphertext shorter than its tag) under a valid MAC:
 * what only the device itself (or a holder of K_mac) can make, so it gets past the MAC step.
 */
export function macValidEnvelope(
  d: TestDevice,
  fields: Pick<Envelope, 'seq' | 'ts' | 'n' | 'b'> & { alg?: Alg; kid?: number },
  channel: Channel = 'telemetry',
): Buffer {
  const env = { v: 1 as const, dev: d.id, kid: fields.kid ?? d.kid, alg: fields.alg ?? d.alg, ...fields };
  const h = headerString(env, channel);
  const mac = createHmac('sha256', d.keys.mac).update(`${h}|${env.b}`).digest('base64url');
  return Buffer.from(serializeEnvelope({ ...env, mac }), 'utf8');
}

/** The inbound message a broker would hand over for this payload. */
export function inbound(d: TestDevice, payload: Buffer, channel: Channel = 'telemetry'): InboundMessage {
  return { topic: `${PREFIX}/devices/${d.id}/${channel}`, payload, receivedAt: Date.now(), publisher: d.id };
}

export function truckSample(ts = Date.now(), temp = 4.6): Record<string, unknown> {
  return { ts, temp_c: temp, rh_pct: 51.2, lat: 52.37, lon: 4.89, bat_pct: 88, power: 'mains' };
}

export interface IngestRig {
  dir: string;
  dbPath: string;
  master: MasterKey;
  store: SqliteStore;
  keyring: DeviceKeyring;
  rejections: RejectionRecorder;
  pipeline: IngestPipeline;
  provision(id: string, profile?: DeviceProfile, alg?: Alg, secret?: Buffer): Promise<TestDevice>;
  /** A second pipeline on the same database, as after a restart (the first is closed). */
  restart(over?: Partial<PipelineOptions>): Promise<IngestPipeline>;
  close(): Promise<void>;
}

const MASTER = Buffer.alloc(32, 7);

/**
 * A pipeline on a fresh database. `wrap` lets a test put a fault-injecting layer between the
 * pipeline and the store; `over` overrides pipeline options (clock, maxRowsPerCommit, ...).
 */
export async function openIngestRig(
  over: Partial<PipelineOptions> = {},
  wrap: (s: Store) => Store = (s) => s,
): Promise<IngestRig> {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-ingest-'));
  const dbPath = join(dir, 'vigil.db');
  const master = new MasterKey(MASTER);
  const store = SqliteStore.open({ path: dbPath, key: master.databaseKey(), auditKey: master.auditKey() });
  await store.migrate();
  const logger = pino({ level: 'silent' });
  const clock = over.clock ?? Date.now;
  const build = (): { pipeline: IngestPipeline; keyring: DeviceKeyring; rejections: RejectionRecorder } => {
    const wrapped = wrap(store);
    const keyring = new DeviceKeyring(wrapped, master);
    const rejections = new RejectionRecorder({ store: wrapped, logger, clock });
    const pipeline = new IngestPipeline({
      store: wrapped,
      keyring,
      master,
      rejections,
      logger,
      clock,
      topicPrefix: PREFIX,
      replayWindow: 1024,
      maxFutureSkewMs: 300_000,
      backfillAfterMs: 120_000,
      ...over,
    });
    return { pipeline, keyring, rejections };
  };
  let cur = build();
  const rig: IngestRig = {
    dir,
    dbPath,
    master,
    store,
    get keyring() {
      return cur.keyring;
    },
    get rejections() {
      return cur.rejections;
    },
    get pipeline() {
      return cur.pipeline;
    },
    async provision(id, profile = 'vaccine-transport', alg = 'A256GCM', secret = randomBytes(32)) {
      const now = Date.now();
      await store.addDevice(
        sampleDevice(id, { profile, alg, createdAt: now, updatedAt: now }),
        sampleKey(id, 1, {
          secretEnc: master.seal('device-secret', secret, deviceSecretIdentity(id, 1)),
          createdAt: now,
        }),
      );
      return { id, profile, alg, kid: 1, secret, keys: deriveDeviceKeys(secret, id) };
    },
    async restart(o = {}) {
      await cur.pipeline.close().catch(() => {});
      Object.assign(over, o);
      cur = build();
      return cur.pipeline;
    },
    async close() {
      await cur.pipeline.close().catch(() => {});
      await cur.rejections.stop().catch(() => {});
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return rig;
}
