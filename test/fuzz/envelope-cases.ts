/**
 * Structure-aware envelope mutations for the fuzz harness. Each case starts from a valid message
 * of a provisioned device and changes it in one of these ways:
 * - raw: the envelope text or bytes (bit flips, truncation, splices, field swaps, type
 *   confusion, duplicate or missing members, number forms, unicode, BOM, deep nesting, size);
 * - sealed: a mutated body (or ciphertext, kid, alg, dev) sealed under a valid MAC, so it gets
 *   past the MAC and reaches the replay window, decryption and the body schema;
 * - topic: a valid envelope delivered on the wrong topic or by the wrong publisher;
 * - replay: an acknowledged message again, its nonce under a fresh seq, a seq below the window;
 * - control: a valid message that must be accepted.
 */
import type { ErrorCode } from '../../src/errors.ts';
import {
  macValidEnvelope,
  PREFIX,
  type SealOptions,
  sealFor,
  type TestDevice,
} from '../../src/ingest/ingest.fixture.ts';

import type { InboundMessage } from '../../src/ingest/ingest-sink.ts';
import { NONCE_BYTES } from '../../src/protocol/aead.ts';
import type { Channel } from '../../src/protocol/envelope.ts';
import type { Prng } from './prng.ts';

export interface FuzzCase {
  /** The mutation, for the report. */
  name: string;
  msg: InboundMessage;
  /** 'ok': must be accepted; 'refused': anything but accepted; a code: refused with it; undefined: any counted outcome. */
  expect?: 'ok' | 'refused' | ErrorCode;
  device: TestDevice;
  seq: number;
  /** Rows stored when accepted (samples, or 1 message). */
  rows: number;
  /** Ingest only once this settled (a replay waits for the message it replays). */
  after?: Promise<unknown>;
}

/**
 * A control message, kept so it can be replayed later. Controls are registered when generated
 * (not when acknowledged), so what a replay picks depends on the seed alone.
 */
export interface Acked {
  device: TestDevice;
  payload: Buffer;
  channel: Channel;
  seq: number;
  nonce: string;
  /** Settles once the control was ingested. */
  settled: Promise<unknown>;
}

export interface CaseState {
  devices: TestDevice[];
  /** A device that receives the largest seq (2^53 - 1), which ends its uplink for good. */
  edge: TestDevice;
  /** Next fresh seq per device. */
  next: Map<string, number>;
  /** Recent control messages (a bounded ring), for replays. */
  acked: Acked[];
  now: () => number;
}

const MAX_ACKED = 256;

export function rememberAcked(st: CaseState, a: Acked): void {
  st.acked.push(a);
  if (st.acked.length > MAX_ACKED) st.acked.splice(0, st.acked.length - MAX_ACKED);
}

function freshSeq(st: CaseState, d: TestDevice): number {
  const s = st.next.get(d.id) ?? 1;
  st.next.set(d.id, s + 1);
  return s;
}

/** Sealed with a nonce from the case's generator (not the OS), so a seed fixes every byte. */
function sealWith(r: Prng, d: TestDevice, body: unknown, o: SealOptions): Buffer {
  return sealFor(d, body, { nonce: r.bytes(NONCE_BYTES[o.alg ?? d.alg]), ...o });
}

const topicOf = (d: TestDevice, channel: string) => `${PREFIX}/devices/${d.id}/${channel}`;

function message(
  d: TestDevice,
  payload: Buffer,
  channel: string,
  st: CaseState,
  publisher = d.id,
): InboundMessage {
  return { topic: topicOf(d, channel), payload, receivedAt: st.now(), publisher };
}

// ---- valid bodies -------------------------------------------------------------------------

function sampleFor(d: TestDevice, ts: number, r: Prng): Record<string, unknown> {
  switch (d.profile) {
    case 'vaccine-transport':
      return {
        ts,
        temp_c: 2 + r.int(80) / 10,
        rh_pct: 40 + r.int(200) / 10,
        lat: 52 + r.int(1000) / 1000,
        lon: 4 + r.int(1000) / 1000,
        bat_pct: r.int(101),
        power: r.pick(['mains', 'battery', 'backup']),
        ...(r.chance(0.3) ? { door: r.pick(['open', 'closed']) } : {}),
        ...(r.chance(0.3) ? { rssi_dbm: -r.int(120) } : {}),
      };
    case 'patient-vitals':
      return {
        ts,
        hr_bpm: 50 + r.int(100),
        spo2_pct: 85 + r.int(15),
        rr_bpm: 10 + r.int(20),
        sbp_mmhg: 90 + r.int(80),
        temp_c: 35 + r.int(50) / 10,
        on_oxygen: r.chance(0.2),
        consciousness: r.pick(['A', 'C', 'V', 'P', 'U']),
        ...(r.chance(0.3) ? { spo2_scale: r.pick([1, 2]) } : {}),
      };
    case 'temperature-probe':
      return { ts, temp_c: -30 + r.int(400) / 10, ...(r.chance(0.5) ? { rh_pct: r.int(100) } : {}) };
  }
}

const UUID = '6f1c2f4e-8a4b-4e1a-9a57-0d6c1b7e2a10';

/** A valid body for the channel (dispatch only from encrypting devices), and its row count. */
function validBody(d: TestDevice, channel: Channel, st: CaseState, r: Prng): { body: unknown; rows: number } {
  const now = st.now();
  if (channel === 'telemetry') {
    const n = 1 + r.int(r.chance(0.1) ? 60 : 4);
    const samples = Array.from({ length: n }, (_, i) =>
      sampleFor(d, now - (n - i) * 60_000 - r.int(3_600_000), r),
    );
    return { body: { samples }, rows: n };
  }
  if (channel === 'events') {
    const events: Record<string, unknown>[] = [
      { type: 'door', state: r.pick(['open', 'closed']) },
      { type: 'power', source: r.pick(['mains', 'battery', 'backup']) },
      { type: 'battery_low', bat_pct: r.int(20) },
      { type: 'cooling', state: r.pick(['ok', 'failed', 'overcooling', 'restored']) },
      { type: 'delivery', batch: 'LOT-7' },
      { type: 'note', text: 'hello', count: r.int(9), flag: true, nothing: null },
    ];
    if (d.alg !== 'none')
      events.push({ type: 'dispatch', batch: `LOT-${r.int(1e6)}`, token: r.bytes(9).toString('base64url') });
    const ev = r.pick(events);
    if (r.chance(0.5)) ev.ts = now - r.int(600_000);
    return { body: ev, rows: 1 };
  }
  return { body: { id: UUID, ok: r.chance(0.8), ...(r.chance(0.3) ? { result: { n: 1 } } : {}) }, rows: 1 };
}

const CHANNELS: readonly Channel[] = ['telemetry', 'telemetry', 'telemetry', 'events', 'acks'];

// ---- JSON text helpers ----------------------------------------------------------------------

/** The text of every `"name":value` member of a flat JSON object, in order. */
function members(json: string): { name: string; start: number; end: number }[] {
  const out: { name: string; start: number; end: number }[] = [];
  const re = /"([a-z]+)":("[^"]*"|-?[0-9.eE+]+)/g;
  for (let m = re.exec(json); m; m = re.exec(json))
    out.push({ name: m[1] as string, start: m.index, end: re.lastIndex });
  return out;
}

function replaceValue(json: string, name: string, value: string): string {
  const m = members(json).find((x) => x.name === name);
  if (!m) return json;
  return `${json.slice(0, m.start)}"${name}":${value}${json.slice(m.end)}`;
}

function memberValue(json: string, name: string): string {
  const m = members(json).find((x) => x.name === name);
  return m ? json.slice(m.start + name.length + 3, m.end) : 'null';
}

const nested = (depth: number, open: string, close: string, inner = '1') =>
  `${open.repeat(depth)}${inner}${close.repeat(depth)}`;

const CONFUSED = [
  'null',
  'true',
  'false',
  '0',
  '-1',
  '1.5',
  '1e308',
  '-0',
  '9007199254740993',
  '""',
  '"1842"',
  '[]',
  '{}',
  '[1,2]',
  '{"a":1}',
  '"\\u0000"',
  '"\\ud800"',
  '"𝕧𝕚𝕘𝕚𝕝"',
  '"truck\\u002d0042"',
];

const UNICODE = ['\u200b', '\u202e', '\ufeff', '\u0000', 'é', '\uff41', '𝕒', '\u0301', 'İ', '\u2028'];

/** Mutates the envelope text (MAC no longer matches unless the change is only JSON form). */
function rawMutation(json: string, r: Prng): { name: string; payload: Buffer } {
  const fields = ['v', 'dev', 'seq', 'ts', 'kid', 'alg', 'n', 'b', 'mac'];
  const bytes = Buffer.from(json, 'utf8');
  switch (r.int(16)) {
    case 0: {
      const b = Buffer.from(bytes);
      for (let i = 0, n = 1 + r.int(8); i < n; i++) {
        const at = r.int(b.length);
        b[at] = (b[at] ?? 0) ^ (1 << r.int(8));
      }
      return { name: 'raw.bitflip', payload: b };
    }
    case 1:
      return { name: 'raw.truncate', payload: bytes.subarray(0, r.int(bytes.length)) };
    case 2: {
      const at = r.int(bytes.length);
      const len = r.int(32);
      return {
        name: 'raw.splice',
        payload: r.chance(0.5)
          ? Buffer.concat([bytes.subarray(0, at), r.bytes(len), bytes.subarray(at)])
          : Buffer.concat([bytes.subarray(0, at), bytes.subarray(Math.min(bytes.length, at + len))]),
      };
    }
    case 3: {
      const [a, b] = [r.pick(fields), r.pick(fields)];
      const va = memberValue(json, a);
      const vb = memberValue(json, b);
      return { name: 'raw.field-swap', payload: Buffer.from(replaceValue(replaceValue(json, a, vb), b, va)) };
    }
    case 4:
      return {
        name: 'raw.type-confusion',
        payload: Buffer.from(replaceValue(json, r.pick(fields), r.pick(CONFUSED))),
      };
    case 5: {
      const f = r.pick(fields);
      const m = members(json).find((x) => x.name === f);
      const without = m ? `${json.slice(0, m.start)}${json.slice(m.end + 1)}`.replace(',}', '}') : json;
      return { name: 'raw.missing-member', payload: Buffer.from(without) };
    }
    case 6: {
      const f = r.pick(fields);
      const dup = `"${f}":${r.chance(0.5) ? memberValue(json, f) : r.pick(CONFUSED)},`;
      return { name: 'raw.duplicate-member', payload: Buffer.from(`{${dup}${json.slice(1)}`) };
    }
    case 7: {
      const f = r.pick(['seq', 'ts', 'kid', 'v']);
      const v = memberValue(json, f);
      const form = r.pick([
        `${v}.0`,
        `${v}e0`,
        `${v}E+0`,
        `0${v}`,
        `+${v}`,
        `-${v}`,
        `${Number(v) / 1000}e3`,
      ]);
      return { name: 'raw.number-form', payload: Buffer.from(replaceValue(json, f, form)) };
    }
    case 8: {
      const f = r.pick(['dev', 'alg', 'n', 'b', 'mac']);
      const v = memberValue(json, f);
      const at = 1 + r.int(Math.max(1, v.length - 2));
      const u = r.pick(UNICODE);
      return {
        name: 'raw.unicode',
        payload: Buffer.from(replaceValue(json, f, `${v.slice(0, at)}${u}${v.slice(at)}`)),
      };
    }
    case 9:
      return { name: 'raw.bom', payload: Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), bytes]) };
    case 10: {
      // Invalid UTF-8: an overlong '/', a lone continuation byte, a surrogate encoded in UTF-8.
      const bad = r.pick([
        Buffer.from([0xc0, 0xaf]),
        Buffer.from([0x80]),
        Buffer.from([0xed, 0xa0, 0x80]),
        Buffer.from([0xff]),
      ]);
      const at = r.int(bytes.length);
      return {
        name: 'raw.bad-utf8',
        payload: Buffer.concat([bytes.subarray(0, at), bad, bytes.subarray(at)]),
      };
    }
    case 11: {
      const depth = r.pick([2, 8, 64, 1000, 7000]);
      const f = r.pick(fields);
      const inner = r.chance(0.5) ? nested(depth, '[', ']') : nested(depth, '{"a":', '}');
      return {
        name: 'raw.deep-nesting',
        payload: Buffer.from(r.chance(0.2) ? nested(depth, '[', ']', json) : replaceValue(json, f, inner)),
      };
    }
    case 12:
      return {
        name: 'raw.oversize',
        payload: Buffer.from(replaceValue(json, 'b', `"${'A'.repeat(16_384 + r.int(2048))}"`)),
      };
    case 13:
      // Only JSON form changes: the MAC still matches and the message is a fresh, valid one.
      return {
        name: 'raw.whitespace',
        payload: Buffer.from(json.replaceAll(',', r.pick([', ', ',\n\t', ' ,\r\n ']))),
      };
    case 14:
      return {
        name: 'raw.unknown-member',
        payload: Buffer.from(`{"${r.pick(['x', 'mac2', '__proto__', 'constructor'])}":1,${json.slice(1)}`),
      };
    default:
      return { name: 'raw.random', payload: r.bytes(r.int(400)) };
  }
}

// ---- sealed mutations ------------------------------------------------------------------------

/** Mutates a valid body's JSON text; the result is sealed properly, so it reaches the body schema. */
function bodyMutation(text: string, r: Prng, now: number): { name: string; body: string } {
  switch (r.int(11)) {
    case 0:
      return {
        name: 'body.type-confusion',
        body: text.replace(/:("[^"]*"|-?[0-9.eE+]+|true|false|null)/, `:${r.pick(CONFUSED)}`),
      };
    case 1: {
      const ms = [...text.matchAll(/"([a-z_]+)":/g)];
      const m = ms.length > 0 ? r.pick(ms) : undefined;
      return {
        name: 'body.duplicate-member',
        body: m ? text.replace(m[0], `${m[0]}${r.pick(CONFUSED)},${m[0]}`) : text,
      };
    }
    case 2:
      return {
        name: 'body.ts-number-form',
        body: text.replace(
          /"ts":(\d+)/,
          (_, v) => `"ts":${r.pick([`${v}.0`, `${v}e0`, `${Number(v) / 1e12}e12`, '-0'])}`,
        ),
      };
    case 3:
      return {
        name: 'body.future-ts',
        body: text.replace(/"ts":(\d+)/, `"ts":${now + 360_000 + r.int(86_400_000)}`),
      };
    case 4:
      return {
        name: 'body.deep-nesting',
        body: nested(r.pick([3, 4, 50, 2000]), '{"samples":[', ']}', '{}'),
      };
    case 5:
      return {
        name: 'body.reserved-name',
        body: r.pick([
          '{"type":"constructor"}',
          '{"type":"__proto__"}',
          '{"type":"toString"}',
          '{"type":"hasOwnProperty"}',
          '{"type":"note","__proto__":1}',
          '{"type":"note","constructor":{"x":1}}',
          '{"samples":[{"__proto__":{"ts":1}}]}',
        ]),
      };
    case 6:
      return {
        name: 'body.unicode',
        body: text.replace(/"([a-z_]+)":"/, (_m, k) => `"${k}":"${r.pick(UNICODE)}\\ud83d\\ude00`),
      };
    case 7:
      return {
        name: 'body.samples-count',
        body: `{"samples":[${Array.from({ length: r.pick([0, 201]) }, () => `{"ts":${now},"temp_c":1}`).join(',')}]}`,
      };
    case 8:
      return {
        name: 'body.not-json',
        body: r.pick(['', 'null', '[]', '"x"', '{', '\u00ff\u00fe', '{"samples":[]}', '{}']),
      };
    case 9:
      return { name: 'body.bom', body: `\ufeff${text}` };
    default:
      return { name: 'body.truncate', body: text.slice(0, r.int(text.length)) };
  }
}

export function nextCase(st: CaseState, r: Prng): FuzzCase {
  const d = r.pick(st.devices);
  const channel = r.pick(CHANNELS);
  const seq = freshSeq(st, d);
  const now = st.now();
  const roll = r.int(100);
  if (roll < 8) {
    const { body, rows } = validBody(d, channel, st, r);
    return {
      name: 'control',
      msg: message(d, sealWith(r, d, body, { seq, ts: now, channel }), channel, st),
      expect: 'ok',
      device: d,
      seq,
      rows,
    };
  }
  if (roll < 12 && st.acked.length > 0) {
    const a = r.pick(st.acked);
    const which = r.int(3);
    if (which === 0) {
      return {
        name: 'replay.same',
        msg: message(a.device, a.payload, a.channel, st),
        expect: 'refused',
        device: a.device,
        seq: a.seq,
        rows: 0,
      };
    }
    if (which === 1) {
      const nonce = Buffer.from(a.nonce, 'base64url');
      const s = freshSeq(st, a.device);
      const v = validBody(a.device, 'telemetry', st, r);
      const p = sealWith(r, a.device, v.body, { seq: s, ts: now, nonce });
      return {
        name: 'replay.nonce-reuse',
        msg: message(a.device, p, 'telemetry', st),
        device: a.device,
        seq: s,
        rows: v.rows,
      };
    }
    const s = Math.max(0, (st.next.get(a.device.id) ?? 1) - 1 - 1024 - r.int(5000));
    const v = validBody(a.device, 'telemetry', st, r);
    const p = sealWith(r, a.device, v.body, { seq: s, ts: now });
    return {
      name: 'replay.too-old',
      msg: message(a.device, p, 'telemetry', st),
      device: a.device,
      seq: s,
      rows: v.rows,
    };
  }
  const { body, rows } = validBody(d, channel, st, r);
  const valid = sealWith(r, d, body, { seq, ts: now, channel });
  if (roll < 50) {
    const m = rawMutation(valid.toString('utf8'), r);
    return { name: m.name, msg: message(d, m.payload, channel, st), device: d, seq, rows };
  }
  if (roll < 80) {
    const m = bodyMutation(JSON.stringify(body), r, now);
    const p = sealWith(r, d, Buffer.from(m.body, 'utf8'), { seq, ts: now, channel });
    return { name: m.name, msg: message(d, p, channel, st), device: d, seq, rows };
  }
  if (roll < 92) {
    switch (r.int(7)) {
      case 0: {
        const n = Buffer.alloc(NONCE_BYTES[d.alg], r.int(256)).toString('base64url');
        const b = r.bytes(r.pick([0, 1, 8, 15, 16, 17, 100])).toString('base64url');
        return {
          name: 'sealed.short-or-random-ciphertext',
          msg: message(d, macValidEnvelope(d, { seq, ts: now, n, b }, channel), channel, st),
          device: d,
          seq,
          rows,
        };
      }
      case 1:
        return {
          name: 'sealed.kid',
          msg: message(
            d,
            sealWith(r, d, body, { seq, ts: now, channel, kid: r.pick([2, 3, 77, 2 ** 31 - 1]) }),
            channel,
            st,
          ),
          device: d,
          seq,
          rows,
        };
      case 2: {
        const alg = r.pick(['A256GCM', 'ASCON128', 'none'] as const);
        return {
          name: 'sealed.alg',
          msg: message(d, sealWith(r, d, body, { seq, ts: now, channel, alg }), channel, st),
          device: d,
          seq,
          rows,
        };
      }
      case 3:
        return {
          name: 'sealed.future-envelope-ts',
          msg: message(
            d,
            sealWith(r, d, body, { seq, ts: now + 360_000 + r.int(1e9), channel }),
            channel,
            st,
          ),
          expect: 'VIGIL_ERR_TS_FUTURE',
          device: d,
          seq,
          rows,
        };
      case 4: {
        const dispatch = { type: 'dispatch', batch: 'LOT-1', token: r.bytes(9).toString('base64url') };
        return {
          name: 'sealed.dispatch',
          msg: message(d, sealWith(r, d, dispatch, { seq, ts: now, channel: 'events' }), 'events', st),
          device: d,
          seq,
          rows: 1,
          ...(d.alg === 'none' ? { expect: 'VIGIL_ERR_CLEARTEXT_SECRET' as const } : {}),
        };
      }
      case 5: {
        const other = r.pick(st.devices);
        const p = sealWith(r, other, body, { seq: freshSeq(st, other), ts: now, channel });
        return { name: 'sealed.other-device', msg: message(d, p, channel, st), device: d, seq, rows };
      }
      default: {
        // 2^53 - 1 is the largest seq: once accepted, every later seq of that device is too old,
        // so it goes to a device kept for it.
        if (r.chance(0.3)) {
          const e = st.edge;
          const v = validBody(e, 'telemetry', st, r);
          const p = sealWith(r, e, v.body, { seq: 2 ** 53 - 1 - r.int(2), ts: now });
          return {
            name: 'sealed.seq-max',
            msg: message(e, p, 'telemetry', st),
            device: e,
            seq: 2 ** 53 - 1,
            rows: v.rows,
          };
        }
        const s = r.pick([0, seq + 100_000]);
        if (s > seq) st.next.set(d.id, s + 1);
        return {
          name: 'sealed.seq-jump',
          msg: message(d, sealWith(r, d, body, { seq: s, ts: now, channel }), channel, st),
          device: d,
          seq: s,
          rows,
        };
      }
    }
  }
  // Topic and publisher: a valid envelope delivered where it does not belong.
  const wrong = r.int(5);
  if (wrong === 0) {
    const other = r.pick(['telemetry', 'events', 'acks'].filter((c) => c !== channel));
    return {
      name: 'topic.other-channel',
      msg: message(d, valid, other, st),
      expect: 'VIGIL_ERR_MAC_INVALID',
      device: d,
      seq,
      rows,
    };
  }
  if (wrong === 1)
    return {
      name: 'topic.state-or-commands',
      msg: message(d, valid, r.pick(['state', 'commands']), st),
      expect: 'VIGIL_ERR_TOPIC',
      device: d,
      seq,
      rows,
    };
  if (wrong === 2) {
    const other = r.pick(st.devices.filter((x) => x !== d));
    return {
      name: 'topic.publisher',
      msg: message(d, valid, channel, st, other?.id ?? 'someone-else'),
      expect: 'VIGIL_ERR_ACL',
      device: d,
      seq,
      rows,
    };
  }
  const topic = r.pick([
    `${PREFIX}/devices/${d.id}`,
    `${PREFIX}/devices/${d.id}/${channel}/extra`,
    `${PREFIX}/devices/${d.id.toUpperCase()}/${channel}`,
    `${PREFIX}/devices/+/${channel}`,
    `${PREFIX}/devices/#`,
    `$SYS/${d.id}`,
    '',
    `${PREFIX}/devices/${d.id}\u0000/${channel}`,
    `other/v1/devices/${d.id}/${channel}`,
  ]);
  return {
    name: 'topic.malformed',
    msg: { ...message(d, valid, channel, st), topic },
    expect: 'VIGIL_ERR_TOPIC',
    device: d,
    seq,
    rows,
  };
}
