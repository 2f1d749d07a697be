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
import { validBody } from './envelope-bodies.ts';
import { bodyMutation, rawMutation } from './envelope-mutations.ts';
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

const CHANNELS: readonly Channel[] = ['telemetry', 'telemetry', 'telemetry', 'events', 'acks'];

export function nextCase(st: CaseState, r: Prng): FuzzCase {
  const d = r.pick(st.devices);
  const channel = r.pick(CHANNELS);
  const seq = freshSeq(st, d);
  const now = st.now();
  const roll = r.int(100);
  if (roll < 8) {
    const { body, rows } = validBody(d, channel, now, r);
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
      const v = validBody(a.device, 'telemetry', now, r);
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
    const v = validBody(a.device, 'telemetry', now, r);
    const p = sealWith(r, a.device, v.body, { seq: s, ts: now });
    return {
      name: 'replay.too-old',
      msg: message(a.device, p, 'telemetry', st),
      device: a.device,
      seq: s,
      rows: v.rows,
    };
  }
  const { body, rows } = validBody(d, channel, now, r);
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
          const v = validBody(e, 'telemetry', now, r);
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
