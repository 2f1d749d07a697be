import { createHmac, timingSafeEqual } from 'node:crypto';
import { VigilError } from '../errors.ts';
import { ALGS, type Alg, aeadDecrypt, aeadEncrypt, keyObjectFor, NONCE_BYTES, TAG_BYTES } from './aead.ts';
import { b64uDecode, b64uEncode } from './base64url.ts';
import { DEVICE_ID_RE } from './device-id.ts';
import type { DeviceKeys } from './keys.ts';
import { decodeUtf8, parseStrictJson, StrictJsonError } from './strict-json.ts';

/** DESIGN.md §4: a UTF-8 JSON object of at most 16 KiB. */
export const ENVELOPE_MAX_BYTES = 16 * 1024;
export const CHANNELS = ['telemetry', 'events', 'acks', 'commands'] as const;
export type Channel = (typeof CHANNELS)[number];

/** Envelope v1 as it travels (field order as in DESIGN.md §4). */
export interface Envelope {
  v: 1;
  dev: string;
  seq: number;
  ts: number;
  kid: number;
  alg: Alg;
  /** base64url nonce */
  n: string;
  /** base64url body: ciphertext||tag, or the plain body for alg `none` */
  b: string;
  /** base64url HMAC-SHA256 */
  mac: string;
}

const KEYS: ReadonlySet<string> = new Set(['v', 'dev', 'seq', 'ts', 'kid', 'alg', 'n', 'b', 'mac']);
/** docs/protocol.md §5: these are integers, written in plain decimal (no fraction, exponent or `-0`). */
const ENVELOPE_JSON = { integerMembers: new Set(['v', 'seq', 'ts', 'kid']), maxDepth: 1 } as const;

const MAC_B64_LEN = 43; // 32 bytes, unpadded base64url
const MAX_KID = 0x7fffffff;

/** H = "vigil1|" + dev + "|" + channel + "|" + seq + "|" + ts + "|" + kid + "|" + alg + "|" + n */
export function headerString(
  env: Pick<Envelope, 'dev' | 'seq' | 'ts' | 'kid' | 'alg' | 'n'>,
  channel: Channel,
): string {
  return `vigil1|${env.dev}|${channel}|${env.seq}|${env.ts}|${env.kid}|${env.alg}|${env.n}`;
}

// node:crypto has no one-shot HMAC (crypto.hash is digests only): one createHmac with a KeyObject
// prepared once per key, and one update of H | b.
function computeMac(macKey: Buffer, header: string, b: string): Buffer {
  return createHmac('sha256', keyObjectFor(macKey)).update(`${header}|${b}`).digest();
}

export interface SealInput {
  dev: string;
  channel: Channel;
  seq: number;
  ts: number;
  kid: number;
  alg: Alg;
  /** Fresh random nonce of NONCE_BYTES[alg] bytes (the caller owns randomness). */
  nonce: Buffer;
  body: Buffer | string;
  keys: DeviceKeys;
}

/** Builds an envelope: b = AEAD(K_enc, n, aad = H, body), mac = HMAC(K_mac, H | b). Pure. */
export function sealEnvelope(p: SealInput): Envelope {
  if (p.nonce.length !== NONCE_BYTES[p.alg])
    throw new Error(`nonce for ${p.alg} must be ${NONCE_BYTES[p.alg]} bytes`);
  const n = b64uEncode(p.nonce);
  const fields = { dev: p.dev, seq: p.seq, ts: p.ts, kid: p.kid, alg: p.alg, n };
  const header = headerString(fields, p.channel);
  // Buffer.from(string) is UTF-8 (DESIGN.md §4: H and the bodies are UTF-8).
  const body = typeof p.body === 'string' ? Buffer.from(p.body) : p.body;
  const b = b64uEncode(aeadEncrypt(p.alg, p.keys.enc, p.nonce, Buffer.from(header), body));
  const mac = b64uEncode(computeMac(p.keys.mac, header, b));
  return { v: 1, ...fields, b, mac };
}

export function serializeEnvelope(env: Envelope): string {
  return JSON.stringify({
    v: env.v,
    dev: env.dev,
    seq: env.seq,
    ts: env.ts,
    kid: env.kid,
    alg: env.alg,
    n: env.n,
    b: env.b,
    mac: env.mac,
  });
}

function schemaError(detail: string): VigilError {
  return new VigilError('VIGIL_ERR_ENVELOPE_SCHEMA', detail);
}

/**
 * The envelope exactly as `serializeEnvelope` writes it (DESIGN.md §4 order, no whitespace, no
 * escapes): every device writes this form, so it is read with one native regex match instead of
 * the strict reader. Only text the strict reader accepts with the same members and values can
 * match (plain integers, strings of the base64url and device-id alphabets); anything else takes
 * the strict reader, so what is refused, and why, does not depend on the path taken.
 */
const CANONICAL =
  /^\{"v":1,"dev":"([a-z0-9-]*)","seq":(0|[1-9][0-9]{0,19}),"ts":(0|[1-9][0-9]{0,19}),"kid":(0|[1-9][0-9]{0,19}),"alg":"([A-Za-z0-9]*)","n":"([A-Za-z0-9_-]*)","b":"([A-Za-z0-9_-]*)","mac":"([A-Za-z0-9_-]*)"\}$/;

/** The nonce and body of a parsed envelope, decoded once (see {@link decodedOf}). */
interface Decoded {
  n: string;
  b: string;
  nonce: Buffer;
  body: Buffer;
}

// Parsing decodes n and b to check them; the replay check and the decryption reuse those bytes
// instead of decoding again (the 43-character mac is decoded again by the MAC check, which
// compares it in constant time and nothing else). Keyed by the envelope object; an entry is used only
// while the envelope still holds the very texts it was decoded from.
const decodedByEnvelope = new WeakMap<Envelope, Decoded>();

function readMembers(text: string): Record<string, unknown> {
  const m = CANONICAL.exec(text);
  if (m) {
    return {
      v: 1,
      dev: m[1],
      seq: Number(m[2]),
      ts: Number(m[3]),
      kid: Number(m[4]),
      alg: m[5],
      n: m[6],
      b: m[7],
      mac: m[8],
    };
  }
  let raw: unknown;
  try {
    raw = parseStrictJson(text, ENVELOPE_JSON);
  } catch (err) {
    if (err instanceof StrictJsonError) throw schemaError(err.message);
    throw err;
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw schemaError('not a JSON object');
  const o = raw as Record<string, unknown>;
  for (const k in o) {
    if (!KEYS.has(k)) throw schemaError(`unexpected field ${JSON.stringify(k.slice(0, 32))}`);
  }
  return o;
}

/**
 * Size and schema check (first step of the receiver order, DESIGN.md §4). Throws
 * VIGIL_ERR_ENVELOPE_SIZE or VIGIL_ERR_ENVELOPE_SCHEMA; never returns a partly valid envelope.
 */
export function parseEnvelope(payload: Buffer | string): Envelope {
  // Bytes, not characters: Buffer.byteLength counts a string's UTF-8 bytes and a Buffer's length.
  const size = Buffer.byteLength(payload);
  if (size > ENVELOPE_MAX_BYTES) throw new VigilError('VIGIL_ERR_ENVELOPE_SIZE', `${size} bytes`);
  const text = typeof payload === 'string' ? payload : decodeUtf8(payload);
  if (text === null) throw schemaError('not UTF-8');
  const o = readMembers(text);
  if (o.v !== 1) throw schemaError('v must be 1');
  if (typeof o.dev !== 'string' || !DEVICE_ID_RE.test(o.dev))
    throw schemaError('dev is not a valid device id');
  if (!Number.isSafeInteger(o.seq) || (o.seq as number) < 0)
    throw schemaError('seq must be an unsigned integer');
  if (!Number.isSafeInteger(o.ts) || (o.ts as number) < 0) throw schemaError('ts must be epoch milliseconds');
  if (!Number.isSafeInteger(o.kid) || (o.kid as number) < 1 || (o.kid as number) > MAX_KID) {
    throw schemaError('kid must be a positive integer');
  }
  // `includes` compares with SameValueZero: only the strings themselves match.
  if (!(ALGS as readonly unknown[]).includes(o.alg)) throw schemaError('unknown alg');
  const alg = o.alg as Alg;
  if (typeof o.n !== 'string') throw schemaError('n must be a string');
  const nonce = b64uDecode(o.n);
  if (!nonce || nonce.length !== NONCE_BYTES[alg])
    throw schemaError(`n must be ${NONCE_BYTES[alg]} bytes base64url`);
  const body = typeof o.b === 'string' ? b64uDecode(o.b) : null;
  if (body === null) throw schemaError('b must be base64url');
  if (typeof o.mac !== 'string' || o.mac.length !== MAC_B64_LEN || b64uDecode(o.mac) === null) {
    throw schemaError('mac must be 32 bytes base64url');
  }
  const env: Envelope = {
    v: 1,
    dev: o.dev,
    seq: o.seq as number,
    ts: o.ts as number,
    kid: o.kid as number,
    alg,
    n: o.n,
    b: o.b as string,
    mac: o.mac as string,
  };
  decodedByEnvelope.set(env, { n: env.n, b: env.b, nonce, body });
  return env;
}

/**
 * The decoded n and b of `env`: those parseEnvelope decoded, or decoded now (an envelope built or
 * changed by the caller). Null members for text that is not base64url.
 */
function decodedOf(env: Envelope): { nonce: Buffer | null; body: Buffer | null } {
  const d = decodedByEnvelope.get(env);
  if (d && d.n === env.n && d.b === env.b) return d;
  return { nonce: b64uDecode(env.n), body: b64uDecode(env.b) };
}

/** Constant-time MAC check over H | b. */
export function verifyEnvelopeMac(env: Envelope, channel: Channel, macKey: Buffer): boolean {
  const expected = computeMac(macKey, headerString(env, channel), env.b);
  const given = b64uDecode(env.mac);
  return given !== null && given.length === expected.length && timingSafeEqual(given, expected);
}

/** Decrypts b with aad = H. Throws VIGIL_ERR_DECRYPT. Call only after the MAC verified. */
export function openEnvelope(env: Envelope, channel: Channel, encKey: Buffer): Buffer {
  const { nonce, body: data } = decodedOf(env);
  if (!nonce || !data) throw new VigilError('VIGIL_ERR_DECRYPT', 'bad encoding');
  if (env.alg !== 'none' && data.length < TAG_BYTES)
    throw new VigilError('VIGIL_ERR_DECRYPT', `${env.alg} ciphertext shorter than its ${TAG_BYTES}-byte tag`);
  const pt = aeadDecrypt(env.alg, encKey, nonce, Buffer.from(headerString(env, channel)), data);
  if (!pt) throw new VigilError('VIGIL_ERR_DECRYPT', `${env.alg} tag mismatch`);
  return pt;
}

/** The decoded nonce bytes of a parsed envelope (parseEnvelope already checked them). */
export function envelopeNonce(env: Envelope): Buffer {
  return decodedOf(env).nonce ?? Buffer.alloc(0);
}
