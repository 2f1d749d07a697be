import assert from 'node:assert/strict';
import { hkdfSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { buildVectors } from '../../test/vectors/generate.ts';
import { isVigilError } from '../errors.ts';
import type { Alg } from './aead.ts';
import {
  assertEventConfidential,
  type ProfileName,
  parseAckBody,
  parseEventBody,
  parseTelemetryBody,
} from './bodies.ts';
import {
  type Channel,
  ENVELOPE_MAX_BYTES,
  type Envelope,
  headerString,
  openEnvelope,
  parseEnvelope,
  sealEnvelope,
  serializeEnvelope,
  verifyEnvelopeMac,
} from './envelope.ts';
import { deriveDeviceKeys } from './keys.ts';

const vectorsFile = JSON.parse(
  readFileSync(new URL('../../test/vectors/envelope-v1.json', import.meta.url), 'utf8'),
);

/** The receiver's checks in DESIGN.md order, minus registry and replay: returns the error code or the body. */
function receive(json: string, channel: Channel, secretHex: string): string {
  try {
    const env = parseEnvelope(json);
    const keys = deriveDeviceKeys(Buffer.from(secretHex, 'hex'), env.dev);
    if (!verifyEnvelopeMac(env, channel, keys.mac)) return 'VIGIL_ERR_MAC_INVALID';
    return openEnvelope(env, channel, keys.enc).toString('utf8');
  } catch (err) {
    if (isVigilError(err)) return err.code;
    throw err;
  }
}

/** `receive` plus the body schema of the channel and profile (§7), as the full receiver applies it. */
function receiveWithBody(payload: Buffer, channel: Channel, secretHex: string, profile: ProfileName): string {
  try {
    const env = parseEnvelope(payload);
    const keys = deriveDeviceKeys(Buffer.from(secretHex, 'hex'), env.dev);
    if (!verifyEnvelopeMac(env, channel, keys.mac)) return 'VIGIL_ERR_MAC_INVALID';
    const body = openEnvelope(env, channel, keys.enc);
    if (channel === 'telemetry') parseTelemetryBody(profile, body);
    else if (channel === 'events') assertEventConfidential(parseEventBody(body), env.alg);
    else if (channel === 'acks') parseAckBody(body);
    return body.toString('utf8');
  } catch (err) {
    if (isVigilError(err)) return err.code;
    throw err;
  }
}

function flipBit(s: string, charAt: number): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  const idx = alphabet.indexOf(s[charAt] as string);
  return s.slice(0, charAt) + alphabet[idx ^ 1] + s.slice(charAt + 1);
}

describe('HKDF-SHA256 (RFC 5869 appendix A.1)', () => {
  it('matches test case 1', () => {
    const okm = hkdfSync(
      'sha256',
      Buffer.from('0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b', 'hex'),
      Buffer.from('000102030405060708090a0b0c', 'hex'),
      Buffer.from('f0f1f2f3f4f5f6f7f8f9', 'hex'),
      42,
    );
    assert.equal(
      Buffer.from(okm).toString('hex'),
      '3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865',
    );
  });
});

describe('envelope v1 test vectors', () => {
  it('test/vectors/envelope-v1.json is exactly what the code produces', () => {
    assert.deepEqual(vectorsFile, JSON.parse(JSON.stringify(buildVectors())));
  });

  it('has at least 8 vectors covering every algorithm and channel', () => {
    const vs = vectorsFile.vectors as { alg: Alg; channel: Channel }[];
    assert.ok(vs.length >= 8);
    for (const alg of ['A256GCM', 'ASCON128', 'none']) assert.ok(vs.some((v) => v.alg === alg));
    for (const ch of ['telemetry', 'events', 'acks', 'commands']) assert.ok(vs.some((v) => v.channel === ch));
  });

  for (const v of vectorsFile.vectors as {
    name: string;
    channel: Channel;
    secret_hex: string;
    body: string;
    envelope_json: string;
    header: string;
    envelope: Envelope;
  }[]) {
    it(`verifies and decrypts vector ${v.name}`, () => {
      assert.equal(headerString(v.envelope, v.channel), v.header);
      assert.equal(receive(v.envelope_json, v.channel, v.secret_hex), v.body);
    });
  }

  for (const v of vectorsFile.invalid as {
    name: string;
    reason: string;
    channel: Channel;
    secret_hex: string;
    profile: ProfileName;
    envelope_json: string;
    envelope?: object;
  }[]) {
    it(`refuses invalid vector ${v.name} with ${v.reason}`, () => {
      const bytes = Buffer.from(v.envelope_json, 'utf8');
      assert.equal(receiveWithBody(bytes, v.channel, v.secret_hex, v.profile), v.reason);
      if (v.envelope) assert.deepEqual(JSON.parse(v.envelope_json), v.envelope);
    });
  }

  it('has an invalid vector for each strictness rule of §5 and §7', () => {
    const names = (vectorsFile.invalid as { name: string }[]).map((v) => v.name);
    for (const n of [
      'duplicate-member',
      'seq-with-fraction',
      'ts-with-exponent',
      'utf8-bom',
      'event-type-constructor',
      'event-type-proto',
      'body-duplicate-member',
      'ascon-short-body',
      'dispatch-alg-none',
    ]) {
      assert.ok(names.includes(n), n);
    }
  });
});

describe('envelope v1', () => {
  const secret = Buffer.alloc(32, 7);
  const keys = deriveDeviceKeys(secret, 'truck-0001');
  const seal = (alg: Alg, body = '{"samples":[]}') =>
    sealEnvelope({
      dev: 'truck-0001',
      channel: 'telemetry',
      seq: 5,
      ts: 1795305600000,
      kid: 1,
      alg,
      nonce: Buffer.alloc(alg === 'ASCON128' ? 16 : 12, 9),
      body,
      keys,
    });

  for (const alg of ['A256GCM', 'ASCON128', 'none'] as const) {
    it(`round-trips with ${alg}`, () => {
      const json = serializeEnvelope(seal(alg, 'hello body'));
      assert.equal(receive(json, 'telemetry', secret.toString('hex')), 'hello body');
    });

    it(`rejects one flipped bit anywhere in b, n or mac with ${alg}`, () => {
      const env = seal(alg, 'a body long enough to flip bits in');
      for (const field of ['b', 'n', 'mac'] as const) {
        for (let at = 0; at < env[field].length - 1; at += 3) {
          const forged = { ...env, [field]: flipBit(env[field], at) };
          const got = receive(JSON.stringify(forged), 'telemetry', secret.toString('hex'));
          assert.ok(
            got === 'VIGIL_ERR_MAC_INVALID' || got === 'VIGIL_ERR_ENVELOPE_SCHEMA',
            `${field}[${at}] gave ${got}`,
          );
        }
      }
    });
  }

  it('rejects a change to any header field (H is authenticated)', () => {
    const env = seal('A256GCM');
    const s = secret.toString('hex');
    for (const forged of [
      { ...env, seq: 6 },
      { ...env, ts: env.ts + 1 },
      { ...env, kid: 2 },
      { ...env, dev: 'truck-0002' },
    ]) {
      assert.equal(receive(JSON.stringify(forged), 'telemetry', s), 'VIGIL_ERR_MAC_INVALID');
    }
    assert.equal(receive(serializeEnvelope(env), 'events', s), 'VIGIL_ERR_MAC_INVALID');
  });

  it('rejects an envelope over 16 KiB before parsing it', () => {
    const big = `{"v":1,"pad":"${'x'.repeat(ENVELOPE_MAX_BYTES)}"}`;
    assert.throws(
      () => parseEnvelope(big),
      (e) => isVigilError(e, 'VIGIL_ERR_ENVELOPE_SIZE'),
    );
  });

  it('rejects malformed JSON, wrong types and non-canonical base64url', () => {
    const good = seal('A256GCM');
    for (const bad of [
      '{',
      'null',
      '[]',
      '\u00ff\u00fe',
      JSON.stringify({ ...good, seq: -1 }),
      JSON.stringify({ ...good, seq: 1.5 }),
      JSON.stringify({ ...good, ts: '1' }),
      JSON.stringify({ ...good, kid: 0 }),
      JSON.stringify({ ...good, alg: 'A128GCM' }),
      JSON.stringify({ ...good, dev: 'Truck' }),
      JSON.stringify({ ...good, n: `${good.n}A` }),
      JSON.stringify({ ...good, b: `${good.b}*` }),
      JSON.stringify({ ...good, mac: good.mac.slice(1) }),
    ]) {
      assert.throws(
        () => parseEnvelope(bad),
        (e) => isVigilError(e, 'VIGIL_ERR_ENVELOPE_SCHEMA'),
        bad.slice(0, 60),
      );
    }
  });

  it('reads the form devices write and any other valid layout of the same envelope alike', () => {
    const env = seal('A256GCM');
    const canonical = serializeEnvelope(env);
    const spaced = JSON.stringify(env, null, 1);
    const reordered = JSON.stringify({
      mac: env.mac,
      b: env.b,
      n: env.n,
      alg: env.alg,
      kid: env.kid,
      ts: env.ts,
      seq: env.seq,
      dev: env.dev,
      v: 1,
    });
    for (const text of [canonical, spaced, reordered])
      assert.deepEqual(parseEnvelope(text), env, text.slice(0, 40));
    // The same refusals either way: an unsafe integer in the canonical layout and in another one.
    const huge = canonical.replace(`"seq":${env.seq}`, '"seq":90071992547409930');
    const hugeSpaced = JSON.stringify({ ...env, seq: 0 }, null, 1).replace(
      '"seq": 0',
      '"seq": 90071992547409930',
    );
    for (const bad of [huge, hugeSpaced]) {
      assert.throws(
        () => parseEnvelope(bad),
        (e) => isVigilError(e, 'VIGIL_ERR_ENVELOPE_SCHEMA') && /seq/.test(String((e as Error).message)),
      );
    }
  });

  it('checks the MAC and decrypts the text an envelope holds now, never bytes decoded before it changed', () => {
    const s = secret.toString('hex');
    const a = parseEnvelope(serializeEnvelope(seal('A256GCM', '{"samples":[1]}')));
    // Same header and nonce, another body: its b decrypts under a's H and n.
    const other = seal('A256GCM', '{"samples":[2]}');
    assert.equal(openEnvelope(a, 'telemetry', keys.enc).toString(), '{"samples":[1]}');
    // b swapped after parsing: the MAC over H | b fails, and decryption reads the new b, not the
    // body decoded at parse time.
    const swapped = Object.assign(a, { b: other.b });
    assert.equal(verifyEnvelopeMac(swapped, 'telemetry', keys.mac), false);
    assert.equal(openEnvelope(swapped, 'telemetry', keys.enc).toString(), '{"samples":[2]}');
    assert.equal(receive(serializeEnvelope(swapped), 'telemetry', s), 'VIGIL_ERR_MAC_INVALID');
  });
});
