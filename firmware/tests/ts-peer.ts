/**
 * The TypeScript side of the firmware's round-trip tests (run by ctest through
 * test_ts_roundtrip.c): the reference implementation in src/protocol opens what the C core
 * sealed, seals what the C core must open, and judges payloads the C core judged, so both sides
 * can be compared case by case.
 *
 * usage: node ts-peer.ts <open|seal|judge> <input.jsonl> <output.jsonl>
 *
 *   open   {topic, secret_hex, profile, payload_hex}         -> {code, body?}
 *          code "OK" when the envelope verifies, decrypts and its body passes the server's body
 *          schema for the channel (telemetry by profile, events, acks, commands)
 *   seal   {secret_hex, dev, channel, seq, ts, kid, alg, body} -> {envelope}
 *   judge  {channel, secret_hex, payload_hex}                -> {code}
 *          the receiver steps the vectors cover: schema, MAC, decrypt (no registry, no replay)
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { type Alg, NONCE_BYTES } from '../../src/protocol/aead.ts';
import {
  commandSchema,
  type ProfileName,
  parseAckBody,
  parseEventBody,
  parseTelemetryBody,
} from '../../src/protocol/bodies.ts';
import {
  type Channel,
  openEnvelope,
  parseEnvelope,
  sealEnvelope,
  serializeEnvelope,
  verifyEnvelopeMac,
} from '../../src/protocol/envelope.ts';
import { deriveDeviceKeys } from '../../src/protocol/keys.ts';

type Line = Record<string, unknown>;

function codeOf(err: unknown): string {
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && code.startsWith('VIGIL_ERR_')) return code;
  throw err;
}

function judge(payload: Buffer, channel: Channel, secretHex: string): { code: string; body?: Buffer } {
  try {
    const env = parseEnvelope(payload);
    const keys = deriveDeviceKeys(Buffer.from(secretHex, 'hex'), env.dev);
    if (!verifyEnvelopeMac(env, channel, keys.mac)) return { code: 'VIGIL_ERR_MAC_INVALID' };
    return { code: 'OK', body: openEnvelope(env, channel, keys.enc) };
  } catch (err) {
    return { code: codeOf(err) };
  }
}

function checkBody(channel: Channel, profile: ProfileName, body: Buffer): string {
  try {
    if (channel === 'telemetry') parseTelemetryBody(profile, body);
    else if (channel === 'events') parseEventBody(body);
    else if (channel === 'acks') parseAckBody(body);
    else if (!commandSchema.safeParse(JSON.parse(body.toString('utf8'))).success)
      return 'VIGIL_ERR_BODY_SCHEMA';
    return 'OK';
  } catch (err) {
    return codeOf(err);
  }
}

function run(mode: string, line: Line): Line {
  if (mode === 'open') {
    const channel = String(line.topic).split('/').pop() as Channel;
    const r = judge(Buffer.from(String(line.payload_hex), 'hex'), channel, String(line.secret_hex));
    if (r.code !== 'OK' || !r.body) return { code: r.code };
    const code = checkBody(channel, line.profile as ProfileName, r.body);
    return { code, body: r.body.toString('utf8') };
  }
  if (mode === 'seal') {
    const alg = line.alg as Alg;
    const env = sealEnvelope({
      dev: String(line.dev),
      channel: line.channel as Channel,
      seq: Number(line.seq),
      ts: Number(line.ts),
      kid: Number(line.kid),
      alg,
      nonce: randomBytes(NONCE_BYTES[alg]),
      body: String(line.body),
      keys: deriveDeviceKeys(Buffer.from(String(line.secret_hex), 'hex'), String(line.dev)),
    });
    return { envelope: serializeEnvelope(env) };
  }
  if (mode === 'judge') {
    const r = judge(
      Buffer.from(String(line.payload_hex), 'hex'),
      line.channel as Channel,
      String(line.secret_hex),
    );
    return { code: r.code };
  }
  throw new Error(`unknown mode ${mode}`);
}

const [mode = '', input = '', output = ''] = process.argv.slice(2);
const lines = readFileSync(input, 'utf8')
  .split('\n')
  .filter((l) => l.length > 0);
writeFileSync(output, `${lines.map((l) => JSON.stringify(run(mode, JSON.parse(l) as Line))).join('\n')}\n`);
