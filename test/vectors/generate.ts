/**
 * Builds test/vectors/envelope-v1.json from fixed secrets, nonces and bodies, so firmware and
 * third-party implementations can check themselves against Vigil byte for byte.
 * Run: node test/vectors/generate.ts > test/vectors/envelope-v1.json
 * src/protocol/envelope.test.ts regenerates and compares, so the file can never drift from the code.
 */
import { createHmac } from 'node:crypto';
import type { Alg } from '../../src/protocol/aead.ts';
import { type Channel, headerString, sealEnvelope, serializeEnvelope } from '../../src/protocol/envelope.ts';
import { deriveDeviceKeys } from '../../src/protocol/keys.ts';

const SECRET = Buffer.from('000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f', 'hex');
const SECRET2 = Buffer.from('c0ffee00112233445566778899aabbccddeeff00112233445566778899aabbcc', 'hex');

function nonceFor(alg: Alg, fill: number): Buffer {
  const len = alg === 'ASCON128' ? 16 : 12;
  return Buffer.from(Array.from({ length: len }, (_, i) => (fill + i) & 0xff));
}

const BODIES: Record<Channel, string> = {
  telemetry: JSON.stringify({
    samples: [
      { ts: 1795305600000, temp_c: 4.6, rh_pct: 51.2, lat: 52.37, lon: 4.89, bat_pct: 88, power: 'mains' },
    ],
  }),
  events: JSON.stringify({ type: 'dispatch', batch: 'LOT-2026-000042', token: 'K7P2QX9M' }),
  acks: JSON.stringify({ id: '6f1c2f4e-8a4b-4e1a-9a57-0d6c1b7e2a10', ok: true }),
  commands: JSON.stringify({ id: '6f1c2f4e-8a4b-4e1a-9a57-0d6c1b7e2a10', op: 'set_interval', args: { seconds: 60 } }),
};

interface Case {
  name: string;
  dev: string;
  secret: Buffer;
  kid: number;
  alg: Alg;
  channel: Channel;
  seq: number;
  ts: number;
  nonceFill: number;
  body?: string;
}

const CASES: Case[] = [];
let i = 0;
for (const alg of ['A256GCM', 'ASCON128', 'none'] as const) {
  for (const channel of ['telemetry', 'events', 'acks', 'commands'] as const) {
    CASES.push({
      name: `${alg.toLowerCase()}-${channel}`,
      dev: 'truck-0042',
      secret: SECRET,
      kid: 1,
      alg,
      channel,
      seq: 1842 + i,
      ts: 1795305600123 + i * 1000,
      nonceFill: 0x10 * (i + 1),
    });
    i++;
  }
}
CASES.push(
  {
    name: 'a256gcm-telemetry-kid2-freezer-probe',
    dev: 'probe-fridge-7',
    secret: SECRET2,
    kid: 2,
    alg: 'A256GCM',
    channel: 'telemetry',
    seq: 0,
    ts: 1795305600000,
    nonceFill: 0xa0,
    body: JSON.stringify({ samples: [{ ts: 1795305599000, temp_c: -18.25 }] }),
  },
  {
    name: 'ascon128-telemetry-large-seq',
    dev: 'ward3-bed12',
    secret: SECRET2,
    kid: 3,
    alg: 'ASCON128',
    channel: 'telemetry',
    seq: 9007199254740991,
    ts: 1795305600999,
    nonceFill: 0xf0,
    body: JSON.stringify({
      samples: [
        {
          ts: 1795305600000,
          hr_bpm: 92,
          spo2_pct: 95,
          rr_bpm: 18,
          sbp_mmhg: 118,
          temp_c: 37.4,
          on_oxygen: false,
          consciousness: 'A',
        },
      ],
    }),
  },
);

export function buildVectors() {
  const vectors = CASES.map((c) => {
    const keys = deriveDeviceKeys(c.secret, c.dev);
    const nonce = nonceFor(c.alg, c.nonceFill);
    const body = c.body ?? BODIES[c.channel];
    const env = sealEnvelope({ ...c, nonce, body, keys });
    const header = headerString(env, c.channel);
    return {
      name: c.name,
      device_id: c.dev,
      secret_hex: c.secret.toString('hex'),
      kid: c.kid,
      alg: c.alg,
      channel: c.channel,
      topic: `vigil/v1/devices/${c.dev}/${c.channel}`,
      seq: c.seq,
      ts: c.ts,
      nonce_hex: nonce.toString('hex'),
      body,
      k_enc_hex: keys.enc.toString('hex'),
      k_mac_hex: keys.mac.toString('hex'),
      header,
      b_hex: Buffer.from(env.b, 'base64url').toString('hex'),
      mac_input: `${header}|${env.b}`,
      mac_hex: createHmac('sha256', keys.mac).update(`${header}|${env.b}`).digest('hex'),
      envelope: env,
      envelope_json: serializeEnvelope(env),
    };
  });
  const base = vectors[0]!;
  const flip = (s: string, at: number) =>
    s.slice(0, at) + (s[at] === 'A' ? 'B' : 'A') + s.slice(at + 1);
  const baseJson = base.envelope_json;
  // Sealed like the valid vectors (truck-0042, kid 1), with a body or `b` the receiver must refuse.
  const keys = deriveDeviceKeys(SECRET, 'truck-0042');
  const sealed = (channel: Channel, alg: Alg, seq: number, nonceFill: number, body: string) =>
    sealEnvelope({ dev: 'truck-0042', channel, seq, ts: 1795305700000, kid: 1, alg, nonce: nonceFor(alg, nonceFill), body, keys });
  const withMac = (channel: Channel, env: Omit<ReturnType<typeof sealEnvelope>, 'mac'>) => {
    const h = headerString(env, channel);
    return { ...env, mac: createHmac('sha256', keys.mac).update(`${h}|${env.b}`).digest('base64url') };
  };
  const shortAscon = withMac('telemetry', {
    v: 1,
    dev: 'truck-0042',
    seq: 1900,
    ts: 1795305700000,
    kid: 1,
    alg: 'ASCON128',
    n: nonceFor('ASCON128', 0x31).toString('base64url'),
    // 8 bytes: shorter than the 16-byte Ascon-AEAD128 tag.
    b: Buffer.from('0001020304050607', 'hex').toString('base64url'),
  });
  const sample = '{"ts":1795305600000,"temp_c":4.6,"rh_pct":51.2,"lat":52.37,"lon":4.89,"bat_pct":88,"power":"mains"}';
  // Cases only the exact text can express (JSON.stringify of an object cannot repeat a member).
  const raw = [
    {
      name: 'duplicate-member',
      reason: 'VIGIL_ERR_ENVELOPE_SCHEMA',
      envelope_json: baseJson.replace('"seq":1842,', '"seq":1842,"seq":1842,'),
    },
    { name: 'seq-with-fraction', reason: 'VIGIL_ERR_ENVELOPE_SCHEMA', envelope_json: baseJson.replace('"seq":1842,', '"seq":1842.0,') },
    {
      name: 'ts-with-exponent',
      reason: 'VIGIL_ERR_ENVELOPE_SCHEMA',
      envelope_json: baseJson.replace('"ts":1795305600123,', '"ts":1.795305600123e12,'),
    },
    { name: 'utf8-bom', reason: 'VIGIL_ERR_ENVELOPE_SCHEMA', envelope_json: `\ufeff${baseJson}` },
  ];
  const bodyLevel = [
    { name: 'event-type-constructor', reason: 'VIGIL_ERR_BODY_SCHEMA', channel: 'events', envelope: sealed('events', 'A256GCM', 1901, 0x41, '{"type":"constructor"}') },
    { name: 'event-type-proto', reason: 'VIGIL_ERR_BODY_SCHEMA', channel: 'events', envelope: sealed('events', 'A256GCM', 1902, 0x51, '{"type":"__proto__"}') },
    {
      name: 'body-duplicate-member',
      reason: 'VIGIL_ERR_BODY_SCHEMA',
      envelope: sealed('telemetry', 'A256GCM', 1903, 0x61, `{"samples":[${sample.replace('"temp_c":4.6,', '"temp_c":4.6,"temp_c":40.6,')}]}`),
    },
    {
      name: 'body-ts-with-fraction',
      reason: 'VIGIL_ERR_BODY_SCHEMA',
      envelope: sealed('telemetry', 'A256GCM', 1904, 0x71, `{"samples":[${sample.replace('"ts":1795305600000', '"ts":1795305600000.0')}]}`),
    },
    { name: 'ascon-short-body', reason: 'VIGIL_ERR_DECRYPT', envelope: shortAscon },
    {
      name: 'dispatch-alg-none',
      reason: 'VIGIL_ERR_CLEARTEXT_SECRET',
      channel: 'events',
      envelope: sealed('events', 'none', 1905, 0x81, BODIES.events),
    },
  ];
  const invalid = [
    { name: 'flipped-mac', reason: 'VIGIL_ERR_MAC_INVALID', envelope: { ...base.envelope, mac: flip(base.envelope.mac, 5) } },
    { name: 'flipped-b', reason: 'VIGIL_ERR_MAC_INVALID', envelope: { ...base.envelope, b: flip(base.envelope.b, 10) } },
    { name: 'flipped-n', reason: 'VIGIL_ERR_MAC_INVALID', envelope: { ...base.envelope, n: flip(base.envelope.n, 3) } },
    { name: 'changed-seq', reason: 'VIGIL_ERR_MAC_INVALID', envelope: { ...base.envelope, seq: base.envelope.seq + 1 } },
    { name: 'changed-ts', reason: 'VIGIL_ERR_MAC_INVALID', envelope: { ...base.envelope, ts: base.envelope.ts + 1 } },
    { name: 'wrong-channel', reason: 'VIGIL_ERR_MAC_INVALID', channel: 'events', envelope: base.envelope },
    { name: 'padded-base64', reason: 'VIGIL_ERR_ENVELOPE_SCHEMA', envelope: { ...base.envelope, n: `${base.envelope.n}==` } },
    { name: 'unknown-field', reason: 'VIGIL_ERR_ENVELOPE_SCHEMA', envelope: { ...base.envelope, x: 1 } },
    { name: 'version-2', reason: 'VIGIL_ERR_ENVELOPE_SCHEMA', envelope: { ...base.envelope, v: 2 } },
    ...bodyLevel,
  ]
    .map((v) => ({ ...v, envelope_json: JSON.stringify(v.envelope) }))
    .concat(raw.map((v) => ({ ...v, envelope: undefined as never })))
    .map(({ envelope, ...v }) => ({
      channel: 'telemetry',
      secret_hex: base.secret_hex,
      device_id: base.device_id,
      profile: 'vaccine-transport',
      ...v,
      ...(envelope ? { envelope } : {}),
    }));
  return {
    format: 'vigil envelope v1 test vectors',
    spec: 'docs/protocol.md; DESIGN.md section 4',
    kdf: { hash: 'SHA-256', salt: 'vigil/v1', info_enc: 'enc|<device_id>', info_mac: 'mac|<device_id>', length: 32 },
    notes: [
      'All byte strings are lowercase hex here; on the wire n, b and mac are base64url without padding.',
      'invalid: deliver envelope_json exactly, UTF-8 encoded; envelope is the same as an object where JSON can say it.',
      'ASCON128 is NIST SP 800-232 Ascon-AEAD128 keyed with the first 16 bytes of K_enc.',
      'b_hex is ciphertext||tag (16-byte tag) for A256GCM and ASCON128, and the plain body bytes for none.',
    ],
    vectors,
    invalid,
  };
}

if (import.meta.main) {
  process.stdout.write(`${JSON.stringify(buildVectors(), null, 2)}\n`);
}
