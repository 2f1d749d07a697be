import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { buildVectors } from '../../test/vectors/generate.ts';
import { isVigilError } from '../errors.ts';
import type { Alg } from './aead.ts';
import { b64uEncode } from './base64url.ts';
import {
  assertEventConfidential,
  type ProfileName,
  parseAckBody,
  parseEventBody,
  parseTelemetryBody,
} from './bodies.ts';
import {
  CHANNELS,
  type Channel,
  ENVELOPE_MAX_BYTES,
  type Envelope,
  envelopeNonce,
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

  it("gives the canonical layout the strict reader's verdict on every field, valid or not", () => {
    const env = seal('A256GCM');
    const canonical = serializeEnvelope(env);
    /** The parse result or the refusal (code and message) of one text. */
    const outcome = (text: string) => {
      try {
        return JSON.stringify(parseEnvelope(text));
      } catch (e) {
        return `${(e as { code?: string }).code}: ${(e as Error).message}`;
      }
    };
    const member = (name: string, raw: string) => {
      const re = new RegExp(`"${name}":("[^"]*"|[0-9]+)`);
      assert.match(canonical, re);
      return canonical.replace(re, `"${name}":${raw}`);
    };
    const variants = [
      canonical,
      ...['""', '"Truck-0001"', '"truck_0001"', '"t"', '"truck-0001x"'].map((v) => member('dev', v)),
      ...['seq', 'ts', 'kid'].flatMap((k) =>
        ['0', '1', '01', '00', '-1', '1a', '1.5', '123456789012345678901', '9007199254740991'].map((v) =>
          member(k, v),
        ),
      ),
      ...['""', '"a256gcm"', '"A256-GCM"', '"ASCON128"', '"none"'].map((v) => member('alg', v)),
      ...['n', 'b', 'mac'].flatMap((k) =>
        ['""', '"AAAA+A"', '"AAAA/A"', '"AAAA="', '"AAAAAAAAAAAAAAAA"', '"A"'].map((v) => member(k, v)),
      ),
    ];
    for (const text of variants) {
      // A trailing space is valid JSON the canonical form never has: it takes the strict reader.
      assert.equal(outcome(text), outcome(`${text} `), text.slice(0, 80));
    }
    assert.ok(!outcome(member('seq', '01')).startsWith('{'), 'a leading zero is refused');
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
    // n swapped after parsing: the nonce read is the new one, so the tag no longer matches.
    const c = parseEnvelope(serializeEnvelope(seal('A256GCM', '{"samples":[3]}')));
    const n2 = b64uEncode(Buffer.alloc(12, 0x5a));
    const renonced = Object.assign(c, { n: n2 });
    assert.deepEqual(envelopeNonce(renonced), Buffer.alloc(12, 0x5a));
    assert.throws(
      () => openEnvelope(renonced, 'telemetry', keys.enc),
      (e) => isVigilError(e, 'VIGIL_ERR_DECRYPT'),
    );
  });
});

describe('parseEnvelope, field by field (docs/protocol.md §5)', () => {
  const keys = deriveDeviceKeys(Buffer.alloc(32, 3), 'truck-0001');
  const sealed = (alg: Alg = 'A256GCM', body: Buffer | string = 'hi') =>
    sealEnvelope({
      dev: 'truck-0001',
      channel: 'events',
      seq: 9,
      ts: 1795305600000,
      kid: 4,
      alg,
      nonce: Buffer.alloc(alg === 'ASCON128' ? 16 : 12, 1),
      body,
      keys,
    });
  const good = sealed();
  /** The detail of the VIGIL_ERR_ENVELOPE_SCHEMA that parsing `text` throws. */
  const schemaDetail = (text: string): string => {
    try {
      parseEnvelope(text);
    } catch (err) {
      assert.ok(isVigilError(err, 'VIGIL_ERR_ENVELOPE_SCHEMA'), String(err));
      return err.detail ?? '';
    }
    assert.fail(`accepted ${text.slice(0, 80)}`);
  };
  const withField = (k: string, v: unknown) => JSON.stringify({ ...good, [k]: v });

  it('returns exactly the nine fields it read', () => {
    assert.deepEqual(parseEnvelope(serializeEnvelope(good)), good);
    assert.deepEqual(parseEnvelope(Buffer.from(serializeEnvelope(good))), good);
    assert.deepEqual(Object.keys(JSON.parse(serializeEnvelope(good))), [
      'v',
      'dev',
      'seq',
      'ts',
      'kid',
      'alg',
      'n',
      'b',
      'mac',
    ]);
  });

  it('counts the size in bytes: 16 KiB is allowed, one byte more is refused before parsing', () => {
    const pad = (bytes: number, ch = 'x') => `{"v":1,"p":"${ch.repeat(bytes)}"}`;
    const at = pad(ENVELOPE_MAX_BYTES - 14);
    assert.equal(Buffer.byteLength(at), ENVELOPE_MAX_BYTES);
    assert.match(schemaDetail(at), /^unexpected field/);
    for (const over of [pad(ENVELOPE_MAX_BYTES - 13), pad((ENVELOPE_MAX_BYTES - 12) / 2, 'é')]) {
      assert.throws(
        () => parseEnvelope(over),
        (e) => isVigilError(e, 'VIGIL_ERR_ENVELOPE_SIZE') && e.detail === `${Buffer.byteLength(over)} bytes`,
      );
      assert.throws(
        () => parseEnvelope(Buffer.from(over)),
        (e) => isVigilError(e, 'VIGIL_ERR_ENVELOPE_SIZE'),
      );
    }
    assert.equal(ENVELOPE_MAX_BYTES, 16384);
  });

  it('names what is wrong with the text itself', () => {
    assert.equal(schemaDetail(Buffer.from([0x7b, 0xc3, 0x28, 0x7d]) as unknown as string), 'not UTF-8');
    for (const t of ['null', '[]', '"x"', '7']) assert.equal(schemaDetail(t), 'not a JSON object', t);
    assert.match(schemaDetail('{"v":1,"v":1}'), /^duplicate member "v" at offset/);
    assert.match(schemaDetail('{"v":{}}'), /^nested deeper than 1/);
    assert.equal(schemaDetail(withField('x'.repeat(40), 1)), `unexpected field "${'x'.repeat(32)}"`);
    assert.equal(schemaDetail(withField('pad', 1)), 'unexpected field "pad"');
  });

  it('takes v = 1 only', () => {
    for (const v of [2, 0, '1', true])
      assert.equal(schemaDetail(withField('v', v)), 'v must be 1', String(v));
    assert.equal(schemaDetail(JSON.stringify({ ...good, v: undefined })), 'v must be 1');
  });

  it('takes a device id as dev', () => {
    for (const dev of ['Truck-0001', 'ab', '-truck', 'truck/1', 5, 12345, null]) {
      assert.equal(schemaDetail(withField('dev', dev)), 'dev is not a valid device id', String(dev));
    }
  });

  it('takes seq and ts as safe unsigned integers, 0 included', () => {
    for (const [k, why] of [
      ['seq', 'seq must be an unsigned integer'],
      ['ts', 'ts must be epoch milliseconds'],
    ] as const) {
      for (const v of [-1, 2 ** 53, '5', null]) assert.equal(schemaDetail(withField(k, v)), why, `${k}=${v}`);
      assert.equal(parseEnvelope(withField(k, 0))[k], 0);
      assert.equal(parseEnvelope(withField(k, Number.MAX_SAFE_INTEGER))[k], Number.MAX_SAFE_INTEGER);
    }
  });

  it('takes kid from 1 to 2^31 - 1', () => {
    for (const kid of [0, -1, 0x80000000, 2 ** 53, '1']) {
      assert.equal(schemaDetail(withField('kid', kid)), 'kid must be a positive integer', String(kid));
    }
    for (const kid of [1, 0x7fffffff]) assert.equal(parseEnvelope(withField('kid', kid)).kid, kid);
  });

  it('takes the three algorithms by name only', () => {
    for (const alg of ['A128GCM', 'a256gcm', '', 256, true, null]) {
      assert.equal(schemaDetail(withField('alg', alg)), 'unknown alg', String(alg));
    }
  });

  it("takes a nonce of the algorithm's length", () => {
    assert.equal(schemaDetail(withField('n', 5)), 'n must be a string');
    assert.equal(schemaDetail(withField('alg', 'ASCON128')), 'n must be 16 bytes base64url');
    assert.equal(
      schemaDetail(JSON.stringify({ ...sealed('ASCON128'), alg: 'none' })),
      'n must be 12 bytes base64url',
    );
    assert.equal(schemaDetail(withField('n', `${good.n}==`)), 'n must be 12 bytes base64url');
    for (const alg of ['A256GCM', 'ASCON128', 'none'] as const)
      assert.equal(parseEnvelope(serializeEnvelope(sealed(alg))).alg, alg);
  });

  it('takes b as base64url and mac as exactly 32 bytes of base64url', () => {
    for (const b of [5, null, 'ab=', 'a+b'])
      assert.equal(schemaDetail(withField('b', b)), 'b must be base64url', String(b));
    assert.equal(parseEnvelope(withField('b', '')).b, '');
    const mac31 = b64uEncode(Buffer.alloc(31, 1));
    const mac33 = b64uEncode(Buffer.alloc(33, 1));
    for (const mac of [5, null, mac31, mac33, `${good.mac.slice(0, 42)}*`, `${good.mac.slice(0, 42)}B`]) {
      assert.equal(schemaDetail(withField('mac', mac)), 'mac must be 32 bytes base64url', String(mac));
    }
  });

  it('refuses a nonce that does not fit the algorithm when sealing', () => {
    for (const [alg, len] of [
      ['A256GCM', 16],
      ['ASCON128', 12],
      ['none', 16],
    ] as const) {
      assert.throws(
        () => sealEnvelope({ ...good, channel: 'events', alg, nonce: Buffer.alloc(len), body: '', keys }),
        { message: `nonce for ${alg} must be ${alg === 'ASCON128' ? 16 : 12} bytes` },
      );
    }
  });

  it('seals a string body as its UTF-8 bytes', () => {
    assert.deepEqual(sealed('A256GCM', 'crème'), sealed('A256GCM', Buffer.from('crème', 'utf8')));
    assert.equal(openEnvelope(sealed('none', 'crème'), 'events', keys.enc).toString('utf8'), 'crème');
  });

  it('answers false, never throws, for a MAC that is not 32 bytes of base64url', () => {
    assert.equal(verifyEnvelopeMac(good, 'events', keys.mac), true);
    for (const mac of ['*', b64uEncode(Buffer.alloc(31)), b64uEncode(Buffer.alloc(33)), '']) {
      assert.equal(verifyEnvelopeMac({ ...good, mac }, 'events', keys.mac), false, mac);
    }
    assert.equal(
      verifyEnvelopeMac(good, 'events', deriveDeviceKeys(Buffer.alloc(32, 4), 'truck-0001').mac),
      false,
    );
  });

  it('opens with VIGIL_ERR_DECRYPT and a reason on bad encodings, short ciphertexts and wrong tags', () => {
    const decryptDetail = (env: Envelope): string => {
      try {
        openEnvelope(env, 'events', keys.enc);
      } catch (err) {
        assert.ok(isVigilError(err, 'VIGIL_ERR_DECRYPT'), String(err));
        return err.detail ?? '';
      }
      assert.fail('opened');
    };
    assert.equal(decryptDetail({ ...good, n: '*' }), 'bad encoding');
    assert.equal(decryptDetail({ ...good, b: '*' }), 'bad encoding');
    for (const alg of ['A256GCM', 'ASCON128'] as const) {
      const env = sealed(alg, '');
      assert.equal(openEnvelope(env, 'events', keys.enc).length, 0, 'a bare tag is an empty body');
      const short = { ...env, b: b64uEncode(Buffer.alloc(15)) };
      assert.equal(decryptDetail(short), `${alg} ciphertext shorter than its 16-byte tag`);
      assert.equal(decryptDetail({ ...env, b: b64uEncode(Buffer.alloc(16)) }), `${alg} tag mismatch`);
    }
    // alg none carries the body as it is, however short.
    assert.equal(
      openEnvelope({ ...sealed('none'), b: b64uEncode(Buffer.from('x')) }, 'events', keys.enc).toString(),
      'x',
    );
  });

  it('gives the nonce bytes of an envelope, and none for a nonce that is not base64url', () => {
    assert.deepEqual(envelopeNonce(good), Buffer.alloc(12, 1));
    assert.deepEqual(envelopeNonce({ ...good, n: '*' }), Buffer.alloc(0));
  });

  it('lists the four channels', () =>
    assert.deepEqual([...CHANNELS], ['telemetry', 'events', 'acks', 'commands']));
});
