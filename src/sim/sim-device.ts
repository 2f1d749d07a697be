import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { VigilError } from '../errors.ts';
import { NONCE_BYTES } from '../protocol/aead.ts';
import type { DeviceEventBody } from '../protocol/bodies.ts';
import { type Channel, sealEnvelope, serializeEnvelope } from '../protocol/envelope.ts';
import { type DeviceKeys, deriveDeviceKeys } from '../protocol/keys.ts';
import { deviceTopic } from '../protocol/topics.ts';
import type { DeviceBundleFiles } from './device-bundle.ts';
import { SeqStore } from './seq-store.ts';

/** Samples per envelope when flushing a backlog (keeps envelopes well under 16 KiB). */
const BACKFILL_CHUNK = 40;
/** Most samples a device buffers while offline (an ESP32 logger's ring buffer). */
const MAX_BUFFER = 20_000;

export interface SimDeviceStats {
  sent: number;
  acked: number;
  buffered: number;
  errors: number;
  connected: boolean;
  /** The last connection or publish error (a TLS verification failure names the certificate problem). */
  lastError: string | undefined;
}

/** One PUBLISH of the device and its PUBACK (or error), for tools that measure the round trip. */
export interface PublishResult {
  channel: Channel;
  seq: number;
  /** `performance.now()` when published and when the PUBACK (or the error) arrived. */
  sentAt: number;
  doneAt: number;
  error: string | undefined;
}

export interface SimDeviceOptions {
  /** Broker URL override (default: the bundle's). */
  brokerUrl?: string | undefined;
  /** Called for every PUBLISH once its PUBACK (or an error) arrives. */
  onPublished?: (r: PublishResult) => void;
  /** connect() gives up at the first connection error instead of waiting for a retry. */
  failFast?: boolean;
}

/**
 * A simulated device doing what firmware does: mTLS with its own bundle, client id = CN, retained
 * `state` with a last will, envelopes with a persisted seq, QoS 1, and a local buffer that is
 * flushed as backfill when its (simulated) link comes back.
 */
export class SimDevice {
  readonly id: string;
  readonly stats: SimDeviceStats = {
    sent: 0,
    acked: 0,
    buffered: 0,
    errors: 0,
    connected: false,
    lastError: undefined,
  };
  readonly #b: DeviceBundleFiles;
  readonly #keys: DeviceKeys;
  readonly #seq: SeqStore;
  readonly #url: string;
  readonly #opts: SimDeviceOptions;
  #client: MqttClient | undefined;
  #buffer: Record<string, unknown>[] = [];
  #pendingEvents: DeviceEventBody[] = [];
  #linkUp = true;

  constructor(bundle: DeviceBundleFiles, opts: SimDeviceOptions = {}) {
    this.#opts = opts;
    this.#b = bundle;
    this.id = bundle.info.id;
    this.#keys = deriveDeviceKeys(Buffer.from(bundle.info.secret, 'base64url'), this.id);
    this.#seq = new SeqStore(join(bundle.dir, 'seq.json'));
    this.#url = opts.brokerUrl ?? bundle.info.broker_url;
  }

  connect(): Promise<void> {
    const stateTopic = deviceTopic(this.#b.info.topic_prefix, this.id, 'state');
    const client = mqtt.connect(this.#url, {
      clientId: this.id,
      ca: this.#b.ca,
      cert: this.#b.cert,
      key: this.#b.key,
      protocolVersion: 4,
      clean: true,
      keepalive: 30,
      reconnectPeriod: 2000,
      connectTimeout: 10_000,
      will: { topic: stateTopic, payload: Buffer.from('offline'), qos: 1, retain: true },
    });
    this.#client = client;
    client.on('connect', () => {
      this.stats.connected = true;
      client.publish(stateTopic, 'online', { qos: 1, retain: true });
    });
    client.on('close', () => {
      this.stats.connected = false;
    });
    let lastError: Error | undefined;
    client.on('error', (err) => {
      this.stats.errors++;
      this.stats.lastError = err.message;
      lastError = err;
    });
    return new Promise((resolve, reject) => {
      // An unreachable broker is the environment's problem, not a bug: say which and why.
      const t = setTimeout(
        () =>
          reject(
            new VigilError(
              'VIGIL_ERR_UNAVAILABLE',
              `${this.id}: no connection to ${this.#url} within 15 s${lastError ? ` (${lastError.message})` : ''}`,
              { cause: lastError },
            ),
          ),
        15_000,
      );
      client.once('connect', () => {
        clearTimeout(t);
        resolve();
      });
      if (this.#opts.failFast) {
        client.once('error', (err) => {
          clearTimeout(t);
          client.end(true);
          reject(err);
        });
      }
    });
  }

  #publish(channel: Channel, body: string): number {
    const client = this.#client;
    if (!client) throw new Error('not connected');
    const alg = this.#b.info.alg;
    const env = sealEnvelope({
      dev: this.id,
      channel,
      seq: this.#seq.next(),
      ts: Date.now(),
      kid: this.#b.info.kid,
      alg,
      nonce: randomBytes(NONCE_BYTES[alg]),
      body,
      keys: this.#keys,
    });
    this.stats.sent++;
    const sentAt = performance.now();
    // QoS 1: MQTT.js keeps the message and resends it until the broker's PUBACK, which Vigil sends
    // only once the reading is durable.
    client.publish(
      deviceTopic(this.#b.info.topic_prefix, this.id, channel),
      serializeEnvelope(env),
      { qos: 1 },
      (err) => {
        if (err) this.stats.errors++;
        else this.stats.acked++;
        this.#opts.onPublished?.({
          channel,
          seq: env.seq,
          sentAt,
          doneAt: performance.now(),
          error: err?.message,
        });
      },
    );
    return env.seq;
  }

  /**
   * One step of the device: its model's sample and events. `linkUp=false` simulates lost
   * connectivity: samples are buffered and flushed, oldest first, when the link returns.
   */
  record(sample: Record<string, unknown>, events: DeviceEventBody[], linkUp: boolean): void {
    this.#linkUp = linkUp;
    if (this.#buffer.length >= MAX_BUFFER) this.#buffer.shift();
    this.#buffer.push(sample);
    this.#pendingEvents.push(...events);
    if (this.#linkUp && this.stats.connected) this.flush();
    this.stats.buffered = this.#buffer.length;
  }

  flush(): void {
    for (const ev of this.#pendingEvents.splice(0)) this.#publish('events', JSON.stringify(ev));
    while (this.#buffer.length > 0) {
      const chunk = this.#buffer.splice(0, BACKFILL_CHUNK);
      this.#publish('telemetry', JSON.stringify({ samples: chunk }));
    }
    this.stats.buffered = 0;
  }

  /** Publishes a ready-made body on a channel (tests and tools); returns the envelope's seq. */
  send(channel: Channel, body: unknown): number {
    return this.#publish(channel, JSON.stringify(body));
  }

  async close(): Promise<void> {
    const c = this.#client;
    if (!c) return;
    await new Promise<void>((r) => c.end(false, {}, () => r()));
  }
}
