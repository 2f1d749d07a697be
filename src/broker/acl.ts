/**
 * Broker access control (DESIGN §3), pure: no I/O, no clock. Default deny: a topic is allowed only
 * when it matches one of the few shapes below exactly, segment by segment.
 *
 * - device `<id>`: publish `<prefix>/devices/<id>/(telemetry|events|acks|state)`,
 *   subscribe exactly `<prefix>/devices/<id>/commands`.
 * - service `<name>`: subscribe `<prefix>/devices/(+|<id>)/(telemetry|events|acks|state)`, also as
 *   `$share/<group>/...` (MQTT v5 §4.8.2), publish `<prefix>/devices/<id>/commands`.
 * - claim certificate `claim-<batch>` connected as serial `<s>` (its client id): publish exactly
 *   `<prefix>/claims/<s>`, subscribe exactly `<prefix>/claims/<s>/reply` (docs/protocol.md §14).
 * - gateway `<gw>` (docs/gateway.md): for each device `<id>` bound to it at the time of the check,
 *   publish `<prefix>/devices/<id>/(telemetry|events|acks)` and subscribe exactly
 *   `<prefix>/devices/<id>/commands`; for itself, publish `<prefix>/gateways/<gw>/status` and
 *   subscribe exactly `<prefix>/gateways/<gw>/config`. Services also read gateway status and
 *   write gateway config.
 * - nobody: `#` anywhere, `$SYS/...`, or any other shape.
 */

import { isDeviceId } from '../protocol/device-id.ts';
import {
  DEFAULT_TOPIC_PREFIX,
  DEVICE_UPLINK_CHANNELS,
  deviceTopic,
  gatewayTopic,
  INGEST_CHANNELS,
  parseDeviceTopic,
  parseGatewayTopic,
  splitDeviceTopic,
} from '../protocol/topics.ts';

/** An authenticated broker client: a field device, a backend service, or a claim certificate. */
export type BrokerIdentity =
  | { kind: 'device'; id: string }
  | { kind: 'service'; name: string }
  | { kind: 'claim'; name: string; serial: string }
  /** `devices` is the live set of devices bound to the gateway: a bind or unbind applies at once. */
  | { kind: 'gateway'; name: string; devices: ReadonlySet<string> };

/** CN prefix of claim certificates (shared per factory batch). */
export const CLAIM_CN_PREFIX = 'claim-';
/** A device serial as claims carry it (also the claim connection's MQTT client id and topic level). */
export const CLAIM_SERIAL_RE = /^[A-Za-z0-9][A-Za-z0-9_-]{2,63}$/;

/** The claim topic of a serial, and its reply topic. */
export function claimTopic(prefix: string, serial: string, reply = false): string {
  return `${prefix}/claims/${serial}${reply ? '/reply' : ''}`;
}

// $share group names: MQTT v5 §4.8.2 forbids `/`, `+`, `#`; we also keep them short and plain.
const SHARE_GROUP_RE = /^[A-Za-z0-9_-]{1,64}$/;
const UPLINK: ReadonlySet<string> = new Set<string>(DEVICE_UPLINK_CHANNELS);
// A gateway relays envelopes only; a device's retained `state` stays the device's own.
const RELAYED: ReadonlySet<string> = new Set<string>(INGEST_CHANNELS);

/** True when `name` is a valid device id or service name (one rule: src/protocol/device-id.ts). */
export const isValidIdentityName: (name: unknown) => name is string = isDeviceId;

/** The identity's name (device id or service name). */
export function identityName(identity: BrokerIdentity): string {
  return identity.kind === 'device' ? identity.id : identity.name;
}

/** Parses `<prefix>/claims/<serial>` (the serial, or null). */
export function parseClaimTopic(prefix: string, topic: string): string | null {
  const head = `${prefix}/claims/`;
  if (typeof topic !== 'string' || !topic.startsWith(head)) return null;
  const serial = topic.slice(head.length);
  return CLAIM_SERIAL_RE.test(serial) ? serial : null;
}

/** True when the identity object is well formed (known kind, valid name). */
export function isValidIdentity(identity: unknown): identity is BrokerIdentity {
  if (typeof identity !== 'object' || identity === null) return false;
  const i = identity as { kind?: unknown; id?: unknown; name?: unknown };
  if (i.kind === 'device') return isValidIdentityName(i.id);
  if (i.kind === 'service') return isValidIdentityName(i.name);
  if (i.kind === 'gateway')
    return isValidIdentityName(i.name) && (identity as { devices?: unknown }).devices instanceof Set;
  if (i.kind === 'claim') {
    const c = identity as { name?: unknown; serial?: unknown };
    return (
      isValidIdentityName(c.name) &&
      c.name.startsWith(CLAIM_CN_PREFIX) &&
      typeof c.serial === 'string' &&
      CLAIM_SERIAL_RE.test(c.serial)
    );
  }
  return false;
}

/** May `identity` PUBLISH to `topic`? */
export function canPublish(
  identity: BrokerIdentity,
  topic: string,
  prefix: string = DEFAULT_TOPIC_PREFIX,
): boolean {
  if (!isValidIdentity(identity) || !isPlainTopic(topic)) return false;
  if (identity.kind === 'claim') return topic === claimTopic(prefix, identity.serial);
  if (identity.kind === 'gateway' && topic === gatewayTopic(prefix, identity.name, 'status')) return true;
  // A gateway's config (device set and CRL) comes from a service only (the link to Mosquitto).
  const g = parseGatewayTopic(prefix, topic);
  if (g) return identity.kind === 'service' && g.channel === 'config';
  const t = parseDeviceTopic(prefix, topic);
  if (!t) return false;
  if (identity.kind === 'device') return t.deviceId === identity.id && UPLINK.has(t.channel);
  if (identity.kind === 'gateway') return identity.devices.has(t.deviceId) && RELAYED.has(t.channel);
  return t.channel === 'commands';
}

/** May `identity` SUBSCRIBE to `topicFilter`? */
export function canSubscribe(
  identity: BrokerIdentity,
  topicFilter: string,
  prefix: string = DEFAULT_TOPIC_PREFIX,
): boolean {
  if (!isValidIdentity(identity) || typeof topicFilter !== 'string' || topicFilter.length === 0) return false;
  if (topicFilter.includes('#') || topicFilter.includes('\u0000')) return false;
  if (identity.kind === 'device') return topicFilter === deviceTopic(prefix, identity.id, 'commands');
  if (identity.kind === 'claim') return topicFilter === claimTopic(prefix, identity.serial, true);
  if (identity.kind === 'gateway') return gatewayMayRead(identity, topicFilter, prefix);
  let filter = topicFilter;
  if (filter.startsWith('$share/')) {
    // $share/<group>/<filter> (MQTT v5 §4.8.2)
    const rest = filter.slice('$share/'.length);
    const slash = rest.indexOf('/');
    if (slash < 0) return false;
    if (!SHARE_GROUP_RE.test(rest.slice(0, slash))) return false;
    filter = rest.slice(slash + 1);
  }
  if (filter.startsWith('$')) return false; // $SYS and any other reserved space
  if (filter === `${prefix}/gateways/+/status`) return true;
  const parts = splitDeviceTopic(prefix, filter);
  if (!parts) return false;
  const [id, channel] = parts;
  return (id === '+' || isValidIdentityName(id)) && UPLINK.has(channel);
}

/**
 * May a message on `topic` be delivered to `identity`? Used when forwarding, so a subscription that
 * slipped past (restored from persistence, queued while offline) still cannot leak other devices' data.
 */
export function canReceive(
  identity: BrokerIdentity,
  topic: string,
  prefix: string = DEFAULT_TOPIC_PREFIX,
): boolean {
  if (!isValidIdentity(identity) || !isPlainTopic(topic)) return false;
  if (identity.kind === 'claim') return topic === claimTopic(prefix, identity.serial, true);
  if (identity.kind === 'gateway') return gatewayMayRead(identity, topic, prefix);
  const g = parseGatewayTopic(prefix, topic);
  if (g) return identity.kind === 'service' && g.channel === 'status';
  const t = parseDeviceTopic(prefix, topic);
  if (!t) return false;
  if (identity.kind === 'device') return t.deviceId === identity.id && t.channel === 'commands';
  return UPLINK.has(t.channel);
}

/** A gateway reads its own config and the commands of the devices bound to it now; nothing else. */
function gatewayMayRead(
  identity: Extract<BrokerIdentity, { kind: 'gateway' }>,
  topic: string,
  prefix: string,
): boolean {
  if (topic === gatewayTopic(prefix, identity.name, 'config')) return true;
  const t = parseDeviceTopic(prefix, topic);
  return t !== null && t.channel === 'commands' && identity.devices.has(t.deviceId);
}

function isPlainTopic(topic: string): boolean {
  return typeof topic === 'string' && topic.length > 0 && !topic.startsWith('$') && !/[+#\u0000]/.test(topic);
}
