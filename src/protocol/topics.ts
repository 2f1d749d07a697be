import { CHANNELS, type Channel, DEVICE_ID_RE } from './envelope.ts';

export const DEFAULT_TOPIC_PREFIX = 'vigil/v1';

export function deviceTopic(prefix: string, deviceId: string, channel: Channel | 'state'): string {
  return `${prefix}/devices/${deviceId}/${channel}`;
}

/** Splits `<prefix>/devices/<id>/<channel>`; null when the topic is not of that form. */
export function parseDeviceTopic(
  prefix: string,
  topic: string,
): { deviceId: string; channel: Channel | 'state' } | null {
  const head = `${prefix}/devices/`;
  if (!topic.startsWith(head)) return null;
  const rest = topic.slice(head.length).split('/');
  if (rest.length !== 2) return null;
  const [deviceId, channel] = rest as [string, string];
  if (!DEVICE_ID_RE.test(deviceId)) return null;
  if (channel !== 'state' && !(CHANNELS as readonly string[]).includes(channel)) return null;
  return { deviceId, channel: channel as Channel | 'state' };
}
