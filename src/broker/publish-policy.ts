/**
 * What an authenticated client may PUBLISH, and which last will it may leave (docs/protocol.md
 * §1-§3, "Broker rules"). Pure: no I/O, no clock. A refusal is a short stable reason label.
 */
import { deviceTopic, gatewayTopic, parseDeviceTopic } from '../protocol/topics.ts';
import { type BrokerIdentity, canPublish } from './acl.ts';

/** The only QoS a Vigil PUBLISH or will may use: at-least-once with a PUBACK (protocol §6.4). */
export const REQUIRED_QOS = 1;

const STATE_PAYLOADS = new Set(['online', 'offline']);
const MAX_STATE_BYTES = 16;
/** Largest gateway status report (JSON, docs/gateway.md). */
export const MAX_GATEWAY_STATUS_BYTES = 4096;
/** The last will of a gateway on its status topic: the uplink went away without a goodbye. */
export const GATEWAY_WILL_PAYLOAD = '{"uplink":"down"}';

/** The parts of a PUBLISH packet (or a CONNECT will) the policy looks at. */
export interface PublishLike {
  topic: unknown;
  payload: unknown;
  qos?: unknown;
  retain?: unknown;
}

export type PublishRefusal =
  | 'acl_publish'
  | 'retain_not_allowed'
  | 'state_payload'
  | 'qos_not_allowed'
  | 'status_payload';

/**
 * Why `identity` may not publish `packet`, or null when it may: the topic ACL (DESIGN §3),
 * QoS 1 only (QoS 0 would drop the PUBACK promise, QoS 2 is not part of the protocol), retain
 * only on `state`, and `state` payloads `online` / `offline` only. A claim certificate publishes
 * its own claim topic only, QoS 1, not retained.
 */
export function publishRefusal(
  identity: BrokerIdentity,
  packet: PublishLike,
  prefix: string,
): PublishRefusal | null {
  if (typeof packet.topic !== 'string' || packet.topic.startsWith('$')) return 'acl_publish';
  if (!canPublish(identity, packet.topic, prefix)) return 'acl_publish';
  // A claim certificate publishes its claim only (docs/protocol.md §14), QoS 1, never retained.
  if (identity.kind === 'claim') {
    if (packet.qos !== REQUIRED_QOS) return 'qos_not_allowed';
    return packet.retain ? 'retain_not_allowed' : null;
  }
  if (identity.kind === 'gateway' && packet.topic === gatewayTopic(prefix, identity.name, 'status')) {
    if (packet.qos !== REQUIRED_QOS) return 'qos_not_allowed';
    const size = Buffer.isBuffer(packet.payload) ? packet.payload.length : String(packet.payload).length;
    return size <= MAX_GATEWAY_STATUS_BYTES ? null : 'status_payload';
  }
  const t = parseDeviceTopic(prefix, packet.topic);
  if (!t) return 'acl_publish';
  if (packet.qos !== REQUIRED_QOS) return 'qos_not_allowed';
  if (packet.retain && t.channel !== 'state') return 'retain_not_allowed';
  if (t.channel === 'state' && !isStatePayload(packet.payload)) return 'state_payload';
  return null;
}

export type WillRefusal = 'will_topic' | 'will_payload' | 'will_qos' | 'will_retain';

/**
 * Why a CONNECT's last will is refused, or null when it is the one will the protocol allows
 * (§3): the device's own `state` topic, payload `offline`, QoS 1, retained. Services leave no will.
 */
export function willRefusal(identity: BrokerIdentity, will: PublishLike, prefix: string): WillRefusal | null {
  const gateway = identity.kind === 'gateway';
  const topic = gateway
    ? gatewayTopic(prefix, identity.name, 'status')
    : identity.kind === 'device'
      ? deviceTopic(prefix, identity.id, 'state')
      : null;
  if (topic === null || will.topic !== topic) return 'will_topic';
  const payload = Buffer.isBuffer(will.payload) ? will.payload.toString('utf8') : payloadText(will.payload);
  if (payload !== (gateway ? GATEWAY_WILL_PAYLOAD : 'offline')) return 'will_payload';
  if (will.qos !== REQUIRED_QOS) return 'will_qos';
  if (will.retain !== true) return 'will_retain';
  return null;
}

export function isStatePayload(payload: unknown): boolean {
  const text = payloadText(payload);
  return text !== null && STATE_PAYLOADS.has(text);
}

function payloadText(payload: unknown): string | null {
  const buf = Buffer.isBuffer(payload) ? payload : typeof payload === 'string' ? Buffer.from(payload) : null;
  return buf !== null && buf.length <= MAX_STATE_BYTES ? buf.toString('latin1') : null;
}
