import { createDecipheriv, createHmac, createSecretKey, randomBytes } from 'node:crypto';
import { ReplayGuard } from '../src/ingest/replay-guard.ts';
import { type Alg, NONCE_BYTES } from '../src/protocol/aead.ts';
import { parseTelemetryBody } from '../src/protocol/bodies.ts';
import {
  type Envelope,
  envelopeNonce,
  openEnvelope,
  parseEnvelope,
  sealEnvelope,
  serializeEnvelope,
  verifyEnvelopeMac,
} from '../src/protocol/envelope.ts';
import { deriveDeviceKeys } from '../src/protocol/keys.ts';
import { advanceSeqWindow, ReplayWindow } from '../src/protocol/replay-window.ts';
import { bench128ByteBody } from './bodies.ts';
import { nowMs } from './clock.ts';

export interface LoopBounds {
  maxMessages: number;
  maxMs: number;
}

export interface ChainResult {
  alg: Alg;
  messages: number;
  ms: number;
  rate: number;
  usPerMessage: number;
}

/** One stage of the per-message server path, timed alone (informational, for the bottleneck hunt). */
export interface StageResult {
  stage: string;
  usPerOp: number;
  ops: number;
  note: string;
}

const DEV = 'bench-w2-device';
const REPLAY_WINDOW = 1024;

interface Pool {
  keys: ReturnType<typeof deriveDeviceKeys>;
  payloads: Buffer[];
  envs: Envelope[];
}

/** Seals `n` envelopes (seq 0..n-1, fresh nonces, 128-byte telemetry body) as MQTT payload Buffers. */
function buildPool(alg: Alg, n: number): Pool {
  const keys = deriveDeviceKeys(randomBytes(32), DEV);
  const payloads: Buffer[] = [];
  const envs: Envelope[] = [];
  const ts = Date.now();
  for (let seq = 0; seq < n; seq++) {
    const env = sealEnvelope({
      dev: DEV,
      channel: 'telemetry',
      seq,
      ts,
      kid: 1,
      alg,
      nonce: randomBytes(NONCE_BYTES[alg]),
      body: bench128ByteBody(ts),
      keys,
    });
    envs.push(env);
    payloads.push(Buffer.from(serializeEnvelope(env), 'utf8'));
  }
  return { keys, payloads, envs };
}

/**
 * Runs `step(i)` over the pool until a bound is hit; checks the clock every 256 iterations.
 * `onPass` runs before each pass over the pool (a fresh replay window: seqs restart at 0).
 */
function timed(poolSize: number, b: LoopBounds, step: (i: number) => void, onPass?: () => void) {
  let n = 0;
  const t0 = nowMs();
  let t = t0;
  outer: for (;;) {
    onPass?.();
    for (let i = 0; i < poolSize; i++) {
      step(i);
      n++;
      if (n >= b.maxMessages) break outer;
      if ((n & 255) === 0) {
        t = nowMs();
        if (t - t0 >= b.maxMs) break outer;
      }
    }
  }
  const ms = nowMs() - t0;
  return { n, ms };
}

/**
 * W2: the receiver's crypto chain per message, as the pipeline runs it: parseEnvelope (size,
 * UTF-8, JSON, schema) + verifyEnvelopeMac (HMAC-SHA256, constant-time compare) + replay
 * (nonce fingerprint, ReplayWindow check + accept) + openEnvelope (AEAD decrypt with aad = H).
 */
export function runCryptoChain(alg: Alg, poolSize: number, bounds: LoopBounds): ChainResult {
  const pool = buildPool(alg, poolSize);
  let win = new ReplayWindow(REPLAY_WINDOW);
  let sink = 0;
  // Warm-up pass (JIT), not timed.
  const chain = (i: number) => {
    const env = parseEnvelope(pool.payloads[i]!);
    if (!verifyEnvelopeMac(env, 'telemetry', pool.keys.mac)) throw new Error('MAC failed');
    const fp = ReplayGuard.fingerprint(envelopeNonce(env));
    if (win.check(env.seq, fp) !== null) throw new Error('replay check failed');
    win.accept(env.seq, fp);
    sink += openEnvelope(env, 'telemetry', pool.keys.enc).length;
  };
  timed(poolSize, { maxMessages: Math.min(2000, poolSize), maxMs: 500 }, chain, () => {
    win = new ReplayWindow(REPLAY_WINDOW);
  });
  const { n, ms } = timed(poolSize, bounds, chain, () => {
    win = new ReplayWindow(REPLAY_WINDOW);
  });
  if (sink === 0) throw new Error('nothing decrypted');
  return { alg, messages: n, ms, rate: (n / ms) * 1000, usPerMessage: (ms * 1000) / n };
}

/**
 * The same path cut into stages and timed one at a time (A256GCM, 128-byte body), plus the parts
 * of the full pipeline that W2 leaves out (body schema, replay update per device per commit) and a probe of
 * node:crypto's per-call key preparation. Informational: explains where W1's server CPU goes.
 */
export function runStageBreakdown(bounds: LoopBounds): StageResult[] {
  const poolSize = 5000;
  const pool = buildPool('A256GCM', poolSize);
  const parsed = pool.payloads.map((p) => parseEnvelope(p));
  const nonces = parsed.map((e) => envelopeNonce(e));
  const bodies = parsed.map((e) => openEnvelope(e, 'telemetry', pool.keys.enc));
  const out: StageResult[] = [];
  let sink = 0;
  const stage = (name: string, note: string, step: (i: number) => void, onPass?: () => void) => {
    timed(poolSize, { maxMessages: 1000, maxMs: 200 }, step, onPass); // warm-up
    const { n, ms } = timed(poolSize, bounds, step, onPass);
    out.push({ stage: name, usPerOp: (ms * 1000) / n, ops: n, note });
  };
  stage('parseEnvelope', 'UTF-8 decode, JSON.parse, field checks, base64url checks', (i) => {
    sink += parseEnvelope(pool.payloads[i]!).seq;
  });
  stage('verifyEnvelopeMac', 'HMAC-SHA256 over H|b, KeyObject cached per key', (i) => {
    sink += verifyEnvelopeMac(parsed[i]!, 'telemetry', pool.keys.mac) ? 1 : 0;
  });
  let win = new ReplayWindow(REPLAY_WINDOW);
  stage(
    'replay: fingerprint + check/accept',
    'SHA-256 of the nonce, ReplayWindow (1024)',
    (i) => {
      const fp = ReplayGuard.fingerprint(nonces[i]!);
      if (win.check(parsed[i]!.seq, fp) === null) win.accept(parsed[i]!.seq, fp);
    },
    () => {
      win = new ReplayWindow(REPLAY_WINDOW);
    },
  );
  stage('openEnvelope (A256GCM)', 'AES-256-GCM decrypt, KeyObject cached per key', (i) => {
    sink += openEnvelope(parsed[i]!, 'telemetry', pool.keys.enc).length;
  });
  stage('parseTelemetryBody [not in W2]', 'JSON.parse + zod, schema built once per profile', (i) => {
    sink += parseTelemetryBody('vaccine-transport', bodies[i]!).length;
  });
  let committed: { highest: number; bitmap: Buffer } = {
    highest: -1,
    bitmap: Buffer.alloc(REPLAY_WINDOW / 8),
  };
  stage(
    'replay update [per device per commit]',
    'mark + 128-byte bitmap advanced by its seqs; only their fingerprints are written',
    () => {
      committed = advanceSeqWindow(REPLAY_WINDOW, committed, [committed.highest + 1]);
      sink += committed.highest & 1;
    },
  );
  const msg = Buffer.alloc(300, 1);
  stage('createHmac, raw Buffer key', 'node:crypto prepares the key on every call', () => {
    sink += createHmac('sha256', pool.keys.mac).update(msg).digest()[0]!;
  });
  const macKey = createSecretKey(pool.keys.mac);
  stage('createHmac, KeyObject key', 'the same with a key prepared once', () => {
    sink += createHmac('sha256', macKey).update(msg).digest()[0]!;
  });
  const iv = randomBytes(12);
  stage('createDecipheriv(aes-256-gcm), raw Buffer key', 'constructor only', () => {
    sink += createDecipheriv('aes-256-gcm', pool.keys.enc, iv, { authTagLength: 16 }) ? 1 : 0;
  });
  const encKey = createSecretKey(pool.keys.enc);
  stage('createDecipheriv(aes-256-gcm), KeyObject key', 'constructor only', () => {
    sink += createDecipheriv('aes-256-gcm', encKey, iv, { authTagLength: 16 }) ? 1 : 0;
  });
  if (sink === 0) throw new Error('stage breakdown computed nothing');
  return out;
}
