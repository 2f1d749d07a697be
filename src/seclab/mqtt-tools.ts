import { randomBytes } from 'node:crypto';
import tls from 'node:tls';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { type Alg, NONCE_BYTES } from '../protocol/aead.ts';
import { type Channel, type Envelope, sealEnvelope, serializeEnvelope } from '../protocol/envelope.ts';
import { deriveDeviceKeys } from '../protocol/keys.ts';
import { deviceTopic } from '../protocol/topics.ts';
import type { DeviceBundleFiles } from '../sim/device-bundle.ts';

/** TLS credentials of a client: a device's bundle, or anything an attacker made up. */
export interface Creds {
  ca: string;
  cert?: string;
  key?: string;
}

/**
 * Connects an MQTT 3.1.1 client and resolves on CONNACK 0; rejects with the TLS error or the
 * refusal (the message names the CONNACK code) otherwise. Never reconnects, unless `extra` sets
 * a `reconnectPeriod`: such a client then reconnects after a lost connection and redelivers its
 * unacknowledged messages, as a device does (only its first connection attempt can fail here).
 */
export function connectMqtt(
  url: string,
  clientId: string,
  creds: Creds,
  extra: Partial<IClientOptions> = {},
): Promise<MqttClient> {
  const client = mqtt.connect(url, {
    clientId,
    ca: creds.ca,
    ...(creds.cert ? { cert: creds.cert } : {}),
    ...(creds.key ? { key: creds.key } : {}),
    protocolVersion: 4,
    clean: true,
    keepalive: 30,
    reconnectPeriod: 0,
    connectTimeout: 8000,
    ...extra,
  });
  return new Promise((resolve, reject) => {
    const fail = (err: Error) => {
      client.end(true);
      reject(err);
    };
    const onClose = () => fail(new Error('connection closed before CONNACK'));
    client.once('connect', () => {
      if ((client.options.reconnectPeriod ?? 0) > 0) {
        // Ending the client on its first lost connection would strand its in-flight messages.
        client.removeListener('error', fail);
        client.removeListener('close', onClose);
        client.on('error', () => {});
      }
      resolve(client);
    });
    client.once('error', fail);
    client.once('close', onClose);
  });
}

export function connectDevice(
  url: string,
  b: DeviceBundleFiles,
  extra: Partial<IClientOptions> = {},
): Promise<MqttClient> {
  return connectMqtt(url, b.info.id, { ca: b.ca, cert: b.cert, key: b.key }, extra);
}

export function endClient(c: MqttClient): Promise<void> {
  return new Promise((r) => c.end(true, {}, () => r()));
}

/** What became of a QoS 1 PUBLISH. */
export type PublishOutcome = 'acked' | 'closed' | 'timeout';

/** Publishes at QoS 1 and says whether the broker acknowledged it or closed the connection. */
export function publishOnce(
  client: MqttClient,
  topic: string,
  payload: string | Buffer,
  timeoutMs = 8000,
): Promise<PublishOutcome> {
  return new Promise((resolve) => {
    let done = false;
    const finish = (o: PublishOutcome) => {
      if (done) return;
      done = true;
      clearTimeout(t);
      client.removeListener('close', onClose);
      resolve(o);
    };
    const onClose = () => finish('closed');
    const t = setTimeout(() => finish('timeout'), timeoutMs);
    client.once('close', onClose);
    client.publish(topic, payload, { qos: 1 }, (err) => finish(err ? 'closed' : 'acked'));
  });
}

/** SUBSCRIBE one filter; resolves with the granted QoS (128 = refused), or 'closed'. */
export function subscribeOnce(
  client: MqttClient,
  filter: string,
  timeoutMs = 8000,
): Promise<number | 'closed'> {
  return new Promise((resolve) => {
    const t = setTimeout(() => resolve('closed'), timeoutMs);
    client.once('close', () => {
      clearTimeout(t);
      resolve('closed');
    });
    client.subscribe(filter, { qos: 1 }, (err, granted) => {
      clearTimeout(t);
      // MQTT.js reports a SUBACK failure code (0x80) as an error carrying the SUBACK packet.
      const code = (err as (Error & { packet?: { granted?: unknown[] } }) | undefined)?.packet?.granted?.[0];
      if (typeof code === 'number') return resolve(code);
      if (err) return resolve('closed');
      resolve(granted?.[0]?.qos ?? 128);
    });
  });
}

/** An envelope of the bundle's device, sealed with its own keys (or as overridden for attacks). */
export function sealFor(
  b: DeviceBundleFiles,
  channel: Channel,
  body: unknown,
  o: { seq: number; ts?: number; kid?: number; alg?: Alg; nonce?: Buffer; dev?: string },
): Envelope {
  const alg = o.alg ?? b.info.alg;
  return sealEnvelope({
    dev: o.dev ?? b.info.id,
    channel,
    seq: o.seq,
    ts: o.ts ?? Date.now(),
    kid: o.kid ?? b.info.kid,
    alg,
    nonce: o.nonce ?? randomBytes(NONCE_BYTES[alg]),
    body: typeof body === 'string' ? body : JSON.stringify(body),
    keys: deriveDeviceKeys(Buffer.from(b.info.secret, 'base64url'), o.dev ?? b.info.id),
  });
}

export function topicOf(b: DeviceBundleFiles, channel: Channel | 'state', id = b.info.id): string {
  return deviceTopic(b.info.topic_prefix, id, channel);
}

/** One vaccine-transport sample. */
export function truckSample(ts = Date.now(), temp = 4.6) {
  return { ts, temp_c: temp, rh_pct: 51.2, lat: 52.37, lon: 4.89, bat_pct: 88, power: 'mains' };
}

export { serializeEnvelope };

/** A raw TLS connection to `port` on 127.0.0.1 (for hand-made bytes); resolves once secure. */
export function rawTls(
  port: number,
  creds: Creds,
  extra: tls.ConnectionOptions = {},
): Promise<tls.TLSSocket> {
  return new Promise((resolve, reject) => {
    const s = tls.connect({ host: '127.0.0.1', port, servername: 'localhost', ...creds, ...extra });
    s.once('secureConnect', () => resolve(s));
    s.once('error', reject);
  });
}

/** Resolves true when `s` closes within `timeoutMs`. */
export function closesWithin(
  s: { once(e: 'close', f: () => void): unknown; destroyed?: boolean },
  timeoutMs: number,
): Promise<boolean> {
  if (s.destroyed) return Promise.resolve(true);
  return new Promise((resolve) => {
    const t = setTimeout(() => resolve(false), timeoutMs);
    s.once('close', () => {
      clearTimeout(t);
      resolve(true);
    });
  });
}
