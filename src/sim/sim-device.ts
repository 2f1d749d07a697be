import { randomBytes } from 'node:crypto';
import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { VigilError } from '../errors.ts';
import { NONCE_BYTES } from '../protocol/aead.ts';
import type { DeviceEventBody } from '../protocol/bodies.ts';
import { type Channel, sealEnvelope, serializeEnvelope } from '../protocol/envelope.ts';
import { type DeviceKeys, deriveDeviceKeys } from '../protocol/keys.ts';
import { deviceTopic } from '../protocol/topics.ts';
import type { DeviceBundleFiles } from './device-bundle.ts';
import { type OpsDevice, runOp } from './device-ops.ts';
import { DeviceDownlink, type DownlinkRefusal } from './downlink.ts';
import { SeqStore } from './seq-store.ts';
import { SimFirmware } from './sim-firmware.ts';

function writeAtomic(path: string, data: string, mode = 0o600): void {
  const tmp = `${path}.tmp`;
  writeFileSync(tmp, data, { mode });
  renameSync(tmp, path);
}

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
  /** Commands run (each id once), repeats answered as duplicates, refused downlink messages by reason. */
  commandsRun: number;
  duplicates: number;
  refused: Partial<Record<DownlinkRefusal, number>>;
  /** Commands run, in order of arrival: `op` and `id`. */
  commandLog: { id: string; op: string; ok: boolean }[];
}

/**
 * A simulated device doing what firmware does: mTLS with its own bundle, client id = CN, retained
 * `state` with a last will, envelopes with a persisted seq, QoS 1, and a local buffer that is
 * flushed as backfill when its (simulated) link comes back.
 */
export class SimDevice implements OpsDevice {
  readonly id: string;
  readonly stats: SimDeviceStats = {
    sent: 0,
    acked: 0,
    buffered: 0,
    errors: 0,
    connected: false,
    commandsRun: 0,
    duplicates: 0,
    refused: {},
    commandLog: [],
  };
  /** Sampling interval (set by `set_interval`), limits (`set_limits`), `identify` blinks. */
  intervalMs = 60_000;
  limits: { minC: number; maxC: number } | null = null;
  identifyCount = 0;
  pendingKey: string | null = null;
  readonly firmware: SimFirmware;
  readonly profile: DeviceBundleFiles['info']['profile'];
  readonly outputs: Record<string, number | boolean> = {};
  readonly #b: DeviceBundleFiles;
  /** Every key generation this device holds (two during a rotation), and the one it sends with. */
  readonly #keys = new Map<number, DeviceKeys>();
  #kid: number;
  readonly #seq: SeqStore;
  readonly #downlink: DeviceDownlink;
  readonly #url: string;
  #client: MqttClient | undefined;
  #closed = false;
  /** Sealed envelopes whose publish failed (connection ended first): redelivered byte for byte. */
  #redeliver: { topic: string; payload: string }[] = [];
  #buffer: Record<string, unknown>[] = [];
  #pendingEvents: DeviceEventBody[] = [];
  #linkUp = true;

  constructor(bundle: DeviceBundleFiles, opts: { brokerUrl?: string } = {}) {
    this.#b = bundle;
    this.id = bundle.info.id;
    this.#kid = bundle.info.kid;
    this.#keys.set(this.#kid, deriveDeviceKeys(Buffer.from(bundle.info.secret, 'base64url'), this.id));
    this.#seq = new SeqStore(join(bundle.dir, 'seq.json'));
    this.#downlink = new DeviceDownlink(join(bundle.dir, 'downlink.json'), this.id, bundle.info.alg);
    this.#url = opts.brokerUrl ?? bundle.info.broker_url;
    this.profile = bundle.info.profile;
    this.firmware = new SimFirmware(bundle.dir, bundle.info.profile, bundle.info.firmware_keys, {
      event: (body) => this.sendEvent(body),
      reboot: () => this.restart(300),
      tls: () => ({ ca: this.#b.ca, cert: this.#b.cert, key: this.#b.key }),
    });
  }

  /** The key generation new messages are sealed under. */
  get kid(): number {
    return this.#kid;
  }

  /** The certificate the device connects with (PEM). */
  get certificatePem(): string {
    return this.#b.cert;
  }

  connect(): Promise<void> {
    this.#closed = false;
    const commandsTopic = deviceTopic(this.#b.info.topic_prefix, this.id, 'commands');
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
      // Protocol §1: clean session, so subscribe to commands again after every CONNACK.
      client.subscribe(commandsTopic, { qos: 1 });
      client.publish(stateTopic, 'online', { qos: 1, retain: true });
      // Protocol §6.4: unacknowledged envelopes go again, unchanged (same seq, nonce and MAC).
      for (const m of this.#redeliver.splice(0)) this.#send(client, m.topic, m.payload);
      // What was buffered while the link was down goes now, oldest first (§8).
      if (this.#linkUp) this.flush();
      // §7.5: a freshly installed image is self-tested (confirm or roll back); the running
      // version is reported after every boot.
      this.firmware.onBoot();
    });
    client.on('message', (topic, payload) => {
      if (topic === commandsTopic) void this.#onCommand(payload);
    });
    client.on('close', () => {
      this.stats.connected = false;
    });
    let lastError: Error | undefined;
    client.on('error', (err) => {
      this.stats.errors++;
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
    });
  }

  async #onCommand(payload: Buffer): Promise<void> {
    const r = this.#downlink.receive(payload, this.#keys, Date.now());
    if (!r.ok) {
      this.stats.refused[r.reason] = (this.stats.refused[r.reason] ?? 0) + 1;
      return;
    }
    const { id, op } = r.command;
    if (r.duplicate) {
      // Already run (a resend whose ack was lost): answer again, run nothing.
      this.stats.duplicates++;
      this.#publish('acks', JSON.stringify({ id, ok: true, result: { duplicate: true } }));
      return;
    }
    const out = await runOp(this, r.command);
    this.stats.commandsRun++;
    this.stats.commandLog.push({ id, op, ok: out.ok });
    this.#publish(
      'acks',
      JSON.stringify(
        out.ok
          ? { id, ok: true, ...(out.result ? { result: out.result } : {}) }
          : { id, ok: false, error: out.error },
      ),
    );
    if (out.ok) out.after?.();
  }

  // ---- OpsDevice: what the command ops change on the device ------------------------------

  certificateKeyPem(): string {
    return this.#b.key;
  }

  installKid(kid: number, secret: Buffer): { activate: () => void } {
    this.#keys.set(kid, deriveDeviceKeys(secret, this.id));
    return {
      activate: () => {
        // Persisted first (as flash): after a reboot the device continues under the new kid.
        const info = { ...this.#b.info, kid, secret: secret.toString('base64url') };
        writeAtomic(join(this.#b.dir, 'device.json'), `${JSON.stringify(info, null, 2)}\n`);
        this.#b.info = info;
        this.#kid = kid;
        // The old generation is kept for commands still sealed under it; the server retires it.
        for (const k of [...this.#keys.keys()]) if (k < kid - 1) this.#keys.delete(k);
      },
    };
  }

  sendEvent(body: Record<string, unknown>): void {
    if (this.stats.connected) this.#publish('events', JSON.stringify(body));
    else this.#pendingEvents.push(body as DeviceEventBody);
  }

  setPendingKey(pem: string | null): void {
    this.pendingKey = pem;
    const path = join(this.#b.dir, 'device.key.next');
    if (pem) writeAtomic(path, pem);
  }

  installCertificate(certPem: string, keyPem: string): { activate: () => void } {
    return {
      activate: () => {
        writeAtomic(join(this.#b.dir, 'device.key'), keyPem);
        writeAtomic(join(this.#b.dir, 'device.crt'), certPem, 0o644);
        this.#b.cert = certPem;
        this.#b.key = keyPem;
        this.pendingKey = null;
        // Reconnect with the new certificate (the server revokes the old one once it sees it used).
        this.restart(200);
      },
    };
  }

  installTrustBundle(pem: string): void {
    writeAtomic(join(this.#b.dir, 'ca.crt'), pem, 0o644);
    this.#b.ca = pem;
  }

  restart(ms: number): void {
    const c = this.#client;
    if (!c) return;
    // From now on samples are buffered for the next connection.
    this.stats.connected = false;
    // Let the ack leave first: MQTT.js flushes queued publishes before an orderly end.
    setTimeout(() => {
      c.end(false, {}, () => {
        if (this.#closed) return;
        setTimeout(() => {
          if (!this.#closed) this.connect().catch(() => this.stats.errors++);
        }, ms);
      });
    }, 50);
  }

  #publish(channel: Channel, body: string): void {
    const client = this.#client;
    if (!client) throw new Error('not connected');
    const alg = this.#b.info.alg;
    const env = sealEnvelope({
      dev: this.id,
      channel,
      seq: this.#seq.next(),
      ts: Date.now(),
      kid: this.#kid,
      alg,
      nonce: randomBytes(NONCE_BYTES[alg]),
      body,
      keys: this.#keys.get(this.#kid) as DeviceKeys,
    });
    this.stats.sent++;
    this.#send(client, deviceTopic(this.#b.info.topic_prefix, this.id, channel), serializeEnvelope(env));
  }

  #send(client: MqttClient, topic: string, payload: string): void {
    // QoS 1: MQTT.js keeps the message and resends it until the broker's PUBACK, which Vigil sends
    // only once the reading is durable. If the client ends first, the envelope waits for the next one.
    client.publish(topic, payload, { qos: 1 }, (err) => {
      if (!err) {
        this.stats.acked++;
        return;
      }
      this.stats.errors++;
      if (this.#client && this.#client !== client && this.#client.connected)
        this.#send(this.#client, topic, payload);
      else this.#redeliver.push({ topic, payload });
    });
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

  /** Publishes a ready-made body on a channel (tests and tools). */
  send(channel: Channel, body: unknown): void {
    this.#publish(channel, JSON.stringify(body));
  }

  async close(): Promise<void> {
    this.#closed = true;
    const c = this.#client;
    if (!c) return;
    await new Promise<void>((r) => c.end(false, {}, () => r()));
  }
}
