/**
 * Broker access control (DESIGN §3), pure: no I/O, no clock. Default deny: a topic is allowed only
 * when it matches one of the few shapes below exactly, segment by segment.
 *
 * - device `<id>`: publish `<prefix>/devices/<id>/(telemetry|events|acks|state)`,
 *   subscribe exactly `<prefix>/devices/<id>/commands`.
 * - service `<name>`: subscribe `<prefix>/devices/(+|<id>)/(telemetry|events|acks|state)`, also as
 *   `$share/<group>/...` (MQTT v5 §4.8.2), publish `<prefix>/devices/<id>/commands`.
 * - nobody: `#` anywhere, `$SYS/...`, or any other shape.
 */

/** Default topic prefix (DESIGN §3). */
export const DEFAULT_TOPIC_PREFIX = 'vigil/v1';

/** Device id / service name rule (DESIGN §2): it is the certificate CN and the MQTT client id. */
export const IDENTITY_NAME_RE = /^[a-z0-9][a-z0-9-]{2,63}$/;

/** Channels a device publishes on. */
export const DEVICE_UPLINK_CHANNELS = ['telemetry', 'events', 'acks', 'state'] as const;
export type UplinkChannel = (typeof DEVICE_UPLINK_CHANNELS)[number];
/** Channels whose messages are envelopes for the ingest pipeline (`state` is not an envelope). */
export const INGEST_CHANNELS = ['telemetry', 'events', 'acks'] as const;
/** Every channel of a device topic. */
export type DeviceChannel = UplinkChannel | 'commands';

/** An authenticated broker client: a field device or a backend service. */
export type BrokerIdentity = { kind: 'device'; id: string } | { kind: 'service'; name: string };

/** A topic of the form `<prefix>/devices/<id>/<channel>`, parsed. */
export interface DeviceTopic {
  deviceId: string;
  channel: DeviceChannel;
}

// $share group names: MQTT v5 §4.8.2 forbids `/`, `+`, `#`; we also keep them short and plain.
const SHARE_GROUP_RE = /^[A-Za-z0-9_-]{1,64}$/;
const CHANNELS: ReadonlySet<string> = new Set<DeviceChannel>([...DEVICE_UPLINK_CHANNELS, 'commands']);
const UPLINK: ReadonlySet<string> = new Set<string>(DEVICE_UPLINK_CHANNELS);

/** True when `name` is a valid device id or service name (rejects `+`, `#`, `/`, NUL, upper case, ...). */
export function isValidIdentityName(name: unknown): name is string {
  return typeof name === 'string' && IDENTITY_NAME_RE.test(name);
}

/** The identity's name (device id or service name). */
export function identityName(identity: BrokerIdentity): string {
  return identity.kind === 'device' ? identity.id : identity.name;
}

/** True when the identity object is well formed (known kind, valid name). */
export function isValidIdentity(identity: unknown): identity is BrokerIdentity {
  if (typeof identity !== 'object' || identity === null) return false;
  const i = identity as { kind?: unknown; id?: unknown; name?: unknown };
  if (i.kind === 'device') return isValidIdentityName(i.id);
  if (i.kind === 'service') return isValidIdentityName(i.name);
  return false;
}

/**
 * A prefix is one or more plain segments: no wildcard, no `$` start, no empty level, no NUL.
 * Throws on an invalid prefix (configuration error, caught at startup).
 */
export function assertValidTopicPrefix(prefix: string): void {
  const ok =
    typeof prefix === 'string' &&
    prefix.length > 0 &&
    prefix.length <= 128 &&
    !prefix.startsWith('$') &&
    prefix.split('/').every((s) => s.length > 0 && !/[+#\u0000]/.test(s));
  if (!ok) throw new TypeError(`invalid topic prefix: ${JSON.stringify(prefix)}`);
}

/** Parses `<prefix>/devices/<id>/<channel>` (a concrete topic: no wildcard). Null if it is not one. */
export function parseDeviceTopic(topic: string, prefix: string = DEFAULT_TOPIC_PREFIX): DeviceTopic | null {
  const parts = splitDeviceTopic(topic, prefix);
  if (!parts) return null;
  const [id, channel] = parts;
  if (!isValidIdentityName(id) || !CHANNELS.has(channel)) return null;
  return { deviceId: id, channel: channel as DeviceChannel };
}

/** The topic `<prefix>/devices/<id>/<channel>`. */
export function deviceTopic(deviceId: string, channel: DeviceChannel, prefix: string = DEFAULT_TOPIC_PREFIX) {
  return `${prefix}/devices/${deviceId}/${channel}`;
}

/** May `identity` PUBLISH to `topic`? */
export function canPublish(
  identity: BrokerIdentity,
  topic: string,
  prefix: string = DEFAULT_TOPIC_PREFIX,
): boolean {
  if (!isValidIdentity(identity) || !isPlainTopic(topic)) return false;
  const t = parseDeviceTopic(topic, prefix);
  if (!t) return false;
  if (identity.kind === 'device') return t.deviceId === identity.id && UPLINK.has(t.channel);
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
  if (identity.kind === 'device') return topicFilter === deviceTopic(identity.id, 'commands', prefix);
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
  const parts = splitDeviceTopic(filter, prefix);
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
  const t = parseDeviceTopic(topic, prefix);
  if (!t) return false;
  if (identity.kind === 'device') return t.deviceId === identity.id && t.channel === 'commands';
  return UPLINK.has(t.channel);
}

function isPlainTopic(topic: string): boolean {
  return typeof topic === 'string' && topic.length > 0 && !topic.startsWith('$') && !/[+#\u0000]/.test(topic);
}

/** `<prefix>/devices/<a>/<b>` → [a, b] (segments not validated), else null. */
function splitDeviceTopic(topic: string, prefix: string): [string, string] | null {
  const head = `${prefix}/devices/`;
  if (typeof topic !== 'string' || !topic.startsWith(head)) return null;
  const rest = topic.slice(head.length).split('/');
  if (rest.length !== 2) return null;
  return [rest[0]!, rest[1]!];
}
