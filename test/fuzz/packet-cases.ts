/**
 * MQTT packet mutations for the fuzz harness: well-formed CONNECT, PUBLISH, SUBSCRIBE and
 * friends (MQTT 3.1.1, and a level-5 CONNECT), then changed structurally (QoS 3, reserved
 * flags, wills, wrong topics, wildcards in PUBLISH, oversized and overlong remaining lengths) or
 * byte-wise (bit flips, truncation, splices, two packets glued, random bytes).
 */
import type { Prng } from './prng.ts';

export interface PacketContext {
  deviceId: string;
  otherId: string;
  prefix: string;
  /** A valid envelope for the device's telemetry topic, with a fresh seq. */
  envelope: () => Buffer;
}

// Our own MQTT 3.1.1 encoders (§3): a library encoder refuses the invalid fields we want to send.
const u16 = (n: number) => Buffer.from([(n >> 8) & 0xff, n & 0xff]);
const str = (s: string | Buffer) => {
  const b = typeof s === 'string' ? Buffer.from(s, 'utf8') : s;
  return Buffer.concat([u16(b.length & 0xffff), b]);
};

interface Will {
  topic: string;
  payload: Buffer;
  qos: number;
  retain: boolean;
}

interface Connect {
  protocolId?: string;
  level?: number;
  clean?: boolean;
  clientId: string;
  keepalive: number;
  will?: Will;
  username?: string;
  password?: Buffer;
}

function connect(c: Connect): Buffer {
  const level = c.level ?? 4;
  let flags = c.clean === false ? 0 : 0x02;
  if (c.will) flags |= 0x04 | ((c.will.qos & 3) << 3) | (c.will.retain ? 0x20 : 0);
  if (c.username !== undefined) flags |= 0x80;
  if (c.password !== undefined) flags |= 0x40;
  const parts = [str(c.protocolId ?? 'MQTT'), Buffer.from([level, flags]), u16(c.keepalive)];
  if (level === 5) parts.push(Buffer.from([0])); // no properties
  parts.push(str(c.clientId));
  if (c.will) {
    if (level === 5) parts.push(Buffer.from([0]));
    parts.push(str(c.will.topic), str(c.will.payload));
  }
  if (c.username !== undefined) parts.push(str(c.username));
  if (c.password !== undefined) parts.push(str(c.password));
  return withHeader(0x10, Buffer.concat(parts));
}

function publishPacket(
  topic: string,
  payload: Buffer,
  qos: number,
  retain: boolean,
  dup: boolean,
  id: number,
): Buffer {
  const first = 0x30 | (dup ? 0x08 : 0) | ((qos & 3) << 1) | (retain ? 1 : 0);
  return withHeader(first, Buffer.concat([str(topic), qos > 0 ? u16(id) : Buffer.alloc(0), payload]));
}

function subscribePacket(id: number, subs: { topic: string; options: number }[]): Buffer {
  return withHeader(
    0x82,
    Buffer.concat([u16(id), ...subs.map((x) => Buffer.concat([str(x.topic), Buffer.from([x.options])]))]),
  );
}

/** A remaining-length varint (MQTT 3.1.1 §2.2.3), possibly overlong or past the 4-byte limit. */
function varint(n: number, extraBytes = 0): Buffer {
  const out: number[] = [];
  let x = n;
  do {
    let b = x % 128;
    x = Math.floor(x / 128);
    if (x > 0 || extraBytes > 0) b |= 0x80;
    out.push(b);
  } while (x > 0);
  for (let i = 0; i < extraBytes; i++) out.push(i === extraBytes - 1 ? 0 : 0x80);
  return Buffer.from(out);
}

function withHeader(first: number, body: Buffer, lengthOverride?: Buffer): Buffer {
  return Buffer.concat([Buffer.from([first]), lengthOverride ?? varint(body.length), body]);
}

function topicFor(c: PacketContext, r: Prng): string {
  const d = `${c.prefix}/devices/${c.deviceId}`;
  return r.pick([
    `${d}/telemetry`,
    `${d}/telemetry`,
    `${d}/events`,
    `${d}/acks`,
    `${d}/state`,
    `${d}/commands`,
    `${c.prefix}/devices/${c.otherId}/telemetry`,
    `${c.prefix}/devices/+/telemetry`,
    `${c.prefix}/devices/#`,
    '#',
    '$SYS/broker/uptime',
    '',
    `${d}/telemetry\u0000x`,
    `${d}/${'x'.repeat(300)}`,
    `${d}/télémétrie`,
    `${c.prefix}/claims/abc`,
  ]);
}

/** A CONNECT: mostly valid for the device, else with the fields a broker must refuse. */
export function connectPacket(c: PacketContext, r: Prng): { name: string; bytes: Buffer; valid: boolean } {
  const will = (): Will => ({
    topic: r.chance(0.7) ? `${c.prefix}/devices/${c.deviceId}/state` : topicFor(c, r),
    payload: Buffer.from(r.pick(['offline', 'offline', 'online', 'garbage', ''])),
    qos: r.pick([0, 1, 1, 2, 3]),
    retain: r.chance(0.8),
  });
  const base: Connect = { clientId: c.deviceId, keepalive: 30 };
  const roll = r.int(10);
  if (roll < 6) {
    const withWill = r.chance(0.5);
    return {
      name: withWill ? 'connect.will' : 'connect.valid',
      bytes: connect({ ...base, ...(withWill ? { will: will() } : {}) }),
      valid: true,
    };
  }
  switch (r.int(8)) {
    case 0:
      return {
        name: 'connect.client-id',
        bytes: connect({
          ...base,
          clientId: r.pick([c.otherId, '', c.deviceId.toUpperCase(), `${c.deviceId}\u0000`]),
        }),
        valid: false,
      };
    case 1:
      return {
        name: 'connect.keepalive',
        bytes: connect({ ...base, keepalive: r.pick([0, 301, 65535]) }),
        valid: false,
      };
    case 2:
      return { name: 'connect.mqtt5', bytes: connect({ ...base, level: 5 }), valid: false };
    case 3:
      return {
        name: 'connect.mqtt31',
        bytes: connect({
          ...base,
          protocolId: r.pick(['MQIsdp', 'MQTT', 'mqtt', '']),
          level: r.pick([3, 0, 6, 255]),
        }),
        valid: false,
      };
    case 4:
      return {
        name: 'connect.credentials',
        bytes: connect({ ...base, username: 'admin', password: Buffer.from('x'.repeat(r.int(5000))) }),
        valid: false,
      };
    case 5:
      return { name: 'connect.persistent-session', bytes: connect({ ...base, clean: false }), valid: false };
    default: {
      const m = mutateBytes(connect({ ...base, will: will() }), r);
      return { name: `connect.${m.name}`, bytes: m.bytes, valid: false };
    }
  }
}

/** Byte-level damage to a packet. */
export function mutateBytes(p: Buffer, r: Prng): { name: string; bytes: Buffer } {
  switch (r.int(7)) {
    case 0:
      // Half the time in the fixed header and the start of the variable header.
      return { name: 'bitflip', bytes: r.flipBits(p, 1 + r.int(4), r.chance(0.5) ? 6 : p.length) };
    case 1:
      return { name: 'truncate', bytes: p.subarray(0, r.int(p.length)) };
    case 2: {
      const at = r.int(p.length);
      return {
        name: 'splice',
        bytes: Buffer.concat([p.subarray(0, at), r.bytes(1 + r.int(16)), p.subarray(at)]),
      };
    }
    case 3: {
      let off = 1;
      while (off < p.length && ((p[off] ?? 0) & 0x80) !== 0) off++;
      const body = p.subarray(off + 1);
      const len = r.pick([
        varint(body.length + 1 + r.int(100)),
        varint(Math.max(0, body.length - 1)),
        varint(268_435_455),
        varint(body.length, 1 + r.int(4)),
        Buffer.from([0xff, 0xff, 0xff, 0xff, 0x7f]),
      ]);
      return { name: 'remaining-length', bytes: withHeader(p[0] ?? 0, body, len) };
    }
    case 4:
      return { name: 'type-flags', bytes: Buffer.concat([Buffer.from([r.int(256)]), p.subarray(1)]) };
    case 5:
      return { name: 'glued', bytes: Buffer.concat([p, p.subarray(0, r.int(p.length + 1))]) };
    default:
      return { name: 'random', bytes: r.bytes(1 + r.int(64)) };
  }
}

/** A packet after CONNECT. */
export function sessionPacket(c: PacketContext, r: Prng, messageId: number): { name: string; bytes: Buffer } {
  const roll = r.int(20);
  if (roll < 7) {
    const topic = topicFor(c, r);
    const qos = r.pick([1, 1, 1, 0, 2]);
    const payload = topic.endsWith('/state')
      ? Buffer.from(r.pick(['online', 'offline', 'ONLINE', '']))
      : r.chance(0.8)
        ? c.envelope()
        : r.bytes(r.int(200));
    const p = publishPacket(topic, payload, qos, r.chance(0.1), r.chance(0.05), messageId);
    if (r.chance(0.3)) {
      const m = mutateBytes(p, r);
      return { name: `publish.${m.name}`, bytes: m.bytes };
    }
    return { name: `publish.qos${qos}`, bytes: p };
  }
  if (roll < 9) {
    // QoS 3 and reserved flag bits (MQTT 3.1.1 §3.3.1.2: QoS 3 is a protocol violation).
    return {
      name: 'publish.qos3',
      bytes: publishPacket(topicFor(c, r), c.envelope(), 3, false, false, messageId),
    };
  }
  if (roll < 12) {
    const filters = [
      `${c.prefix}/devices/${c.deviceId}/commands`,
      '#',
      '$SYS/#',
      `${c.prefix}/devices/+/commands`,
      `${c.prefix}/devices/${c.otherId}/commands`,
      '+/+/+',
      '',
    ];
    // Requested QoS 3 or reserved bits in the options byte are protocol violations (§3.8.3.1).
    const bad = r.chance(0.2);
    const subs = Array.from({ length: 1 + r.int(3) }, () => ({
      topic: r.pick(filters),
      options: bad ? r.pick([3, 0x43, 0xff]) : r.pick([0, 1, 2]),
    }));
    const p = subscribePacket(messageId, subs);
    if (bad) return { name: 'subscribe.bad-options', bytes: p };
    return r.chance(0.2)
      ? { name: 'subscribe.bytes', bytes: mutateBytes(p, r).bytes }
      : { name: 'subscribe', bytes: p };
  }
  if (roll < 13) {
    const t = r.pick(['#', `${c.prefix}/devices/${c.deviceId}/commands`, '']);
    return { name: 'unsubscribe', bytes: withHeader(0xa2, Buffer.concat([u16(messageId), str(t)])) };
  }
  if (roll < 14) return { name: 'pingreq', bytes: Buffer.from([0xc0, 0x00]) };
  if (roll < 15) return { name: 'second-connect', bytes: connect({ clientId: c.deviceId, keepalive: 30 }) };
  if (roll < 16) {
    const [name, first] = r.pick([
      ['puback', 0x40],
      ['pubrec', 0x50],
      ['pubrel', 0x62],
      ['pubcomp', 0x70],
    ] as const);
    return { name, bytes: withHeader(first, u16(r.int(65536))) };
  }
  if (roll < 17) {
    // Past the broker's packet size: refused from the remaining length, before buffering.
    const size = 20_481 + r.int(100_000);
    return {
      name: 'publish.oversize',
      bytes: withHeader(0x32, Buffer.alloc(Math.min(size, 30_000), 0x41), varint(size)),
    };
  }
  if (roll < 18) return { name: 'disconnect', bytes: Buffer.from([0xe0, 0x00]) };
  const types = [0x00, 0xf0, 0x20, 0x90, 0xb0, 0xd0];
  return { name: 'server-only-or-reserved-type', bytes: withHeader(r.pick(types), r.bytes(r.int(8))) };
}
