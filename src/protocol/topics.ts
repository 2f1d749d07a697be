/**
 * Device topics (DESIGN §3): `<prefix>/devices/<id>/<channel>`. The one place that builds and
 * parses them; every function takes the prefix first.
 */
import { DEVICE_ID_RE } from './device-id.ts';
import type { Channel } from './envelope.ts';

/** Default topic prefix (DESIGN §3). */
export const DEFAULT_TOPIC_PREFIX = 'vigil/v1';

/** Channels a device publishes on. */
export const DEVICE_UPLINK_CHANNELS = ['telemetry', 'events', 'acks', 'state'] as const;
export type UplinkChannel = (typeof DEVICE_UPLINK_CHANNELS)[number];

/** Channels whose messages are envelopes for the ingest pipeline (`state` is not an envelope). */
export const INGEST_CHANNELS = ['telemetry', 'events', 'acks'] as const;
export type IngestChannel = (typeof INGEST_CHANNELS)[number];

/** Every channel of a device topic: the envelope channels (commands included) and `state`. */
export type DeviceChannel = Channel | 'state';
const DEVICE_CHANNELS: ReadonlySet<string> = new Set<DeviceChannel>([...DEVICE_UPLINK_CHANNELS, 'commands']);

/** A topic of the form `<prefix>/devices/<id>/<channel>`, parsed. */
export interface DeviceTopic {
  deviceId: string;
  channel: DeviceChannel;
}

/** The topic `<prefix>/devices/<id>/<channel>`. */
export function deviceTopic(prefix: string, deviceId: string, channel: DeviceChannel): string {
  return `${prefix}/devices/${deviceId}/${channel}`;
}

/** `<prefix>/devices/<a>/<b>` → [a, b] with the segments not validated (a filter may hold `+`), else null. */
export function splitDeviceTopic(prefix: string, topic: string): [string, string] | null {
  const head = `${prefix}/devices/`;
  if (typeof topic !== 'string' || !topic.startsWith(head)) return null;
  const rest = topic.slice(head.length).split('/');
  if (rest.length !== 2) return null;
  return [rest[0] as string, rest[1] as string];
}

/** Parses a concrete device topic (no wildcard): valid device id, known channel. Null otherwise. */
export function parseDeviceTopic(prefix: string, topic: string): DeviceTopic | null {
  const parts = splitDeviceTopic(prefix, topic);
  if (!parts) return null;
  const [deviceId, channel] = parts;
  if (!DEVICE_ID_RE.test(deviceId) || !DEVICE_CHANNELS.has(channel)) return null;
  return { deviceId, channel: channel as DeviceChannel };
}

/**
 * A prefix is one or more plain segments: no wildcard, no `$` start, no empty level, no NUL, at
 * most 128 characters. Throws on an invalid prefix (a configuration error, caught at startup).
 */
export function assertValidTopicPrefix(prefix: string): void {
  // An empty prefix is one empty level: the `every` below refuses it.
  const ok =
    typeof prefix === 'string' &&
    prefix.length <= 128 &&
    !prefix.startsWith('$') &&
    prefix.split('/').every((s) => s.length > 0 && !/[+#\u0000]/.test(s));
  if (!ok) throw new TypeError(`invalid topic prefix: ${JSON.stringify(prefix)}`);
}

/** Channels of a gateway's own topics `<prefix>/gateways/<id>/<channel>` (docs/gateway.md). */
export const GATEWAY_CHANNELS = ['status', 'config'] as const;
export type GatewayChannel = (typeof GATEWAY_CHANNELS)[number];

/** The topic `<prefix>/gateways/<id>/<channel>`: `status` (gateway → Vigil), `config` (Vigil → gateway). */
export function gatewayTopic(prefix: string, gatewayId: string, channel: GatewayChannel): string {
  return `${prefix}/gateways/${gatewayId}/${channel}`;
}

/** Parses `<prefix>/gateways/<id>/<channel>` (valid id, known channel), else null. */
export function parseGatewayTopic(
  prefix: string,
  topic: string,
): { gatewayId: string; channel: GatewayChannel } | null {
  const head = `${prefix}/gateways/`;
  if (typeof topic !== 'string' || !topic.startsWith(head)) return null;
  const rest = topic.slice(head.length).split('/');
  if (rest.length !== 2) return null;
  const [gatewayId, channel] = rest as [string, string];
  if (!DEVICE_ID_RE.test(gatewayId) || !(GATEWAY_CHANNELS as readonly string[]).includes(channel))
    return null;
  return { gatewayId, channel: channel as GatewayChannel };
}
