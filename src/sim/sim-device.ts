import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { VigilError } from '../errors.ts';
import { NONCE_BYTES } from '../protocol/aead.ts';
import type { DeviceEventBody } from '../protocol/bodies.ts';
import { type Channel, sealEnvelope, serializeEnvelope } from '../protocol/envelope.ts';
import { type DeviceKeys, deriveDeviceKeys } from '../protocol/keys.ts';
import { deviceTopic } from '../protocol/topics.ts';
import { bundleBrokers, type DeviceBundleFiles, writeBundleFile } from './device-bundle.ts';
import { type OpsDevice, receiveCommand } from './device-ops.ts';
import { DeviceDownlink } from './downlink.ts';
import { Outbox, type SealedMessage } from './outbox.ts';
import { DEFAULT_RECONNECT, ReconnectPolicy } from './reconnect-policy.ts';
import { SeqStore } from './seq-store.ts';
import type { PublishResult, SimDeviceOptions, SimDeviceStats } from './sim-device-options.ts';
import { SimFirmware } from './sim-firmware.ts';

/** Samples per backlog envelope (a full batch; well under 16 KiB). */
const BACKFILL_CHUNK = 40;
/** Unacknowledged envelopes in flight at once. */
const MAX_INFLIGHT = 8;
/** Backlog envelopes per second at most, so a drain stays far below the broker's publish rate. */
const BACKLOG_PER_SEC = 10;
/** How long close() waits for in-flight PUBACKs before it drops the connection. */
const CLOSE_GRACE_MS = 5_000;
/** A `link` event at most this often while a backlog remains. */
const LINK_EVERY_MS = 30_000;

export type { PublishResult, SimDeviceOptions, SimDeviceStats } from './sim-device-options.ts';

/**
 * A simulated device doing what firmware must do (docs/protocol.md §8): mTLS with its own bundle,
 * client id = CN, retained `state` with a last will, envelopes with a persisted seq, QoS 1, a
 * bounded on-disk outbox whose records are deleted only after PUBACK, reconnection with
 * exponential backoff and full jitter down an ordered broker list and back to the primary after a
 * stable period, the backlog sent oldest first in full batches interleaved with live readings,
 * and the outbox depth reported in a `link` event. Downlink commands (§7.3) are checked against
 * the device's replay window, run at most once per id and acknowledged; the ops (§7.4) include
 * key rotation (two key generations held during it), certificate renewal and trust bundles.
 */
export class SimDevice implements OpsDevice {
  readonly id: string;
  readonly stats: SimDeviceStats = {
    recorded: 0,
    sent: 0,
    acked: 0,
    buffered: 0,
    errors: 0,
    connected: false,
    broker: null,
    failovers: 0,
    dropped: 0,
    commandsRun: 0,
    duplicates: 0,
    refused: {},
    commandLog: [],
    lastError: undefined,
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
  readonly #outbox: Outbox;
  readonly #policy: ReconnectPolicy;
  readonly #opts: SimDeviceOptions;
  #client: MqttClient | undefined;
  #inflight = new Set<number>();
  #linkUp = true;
  #closed = false;
  #connectedAt = 0;
  #lostAt: number | null = null;
  #timer: NodeJS.Timeout | undefined;
  #pump: NodeJS.Timeout | undefined;
  #lastLink = 0;
  #lastBacklogAt = 0;
  #firstConnect: { resolve: () => void; reject: (err: Error) => void } | undefined;
  #lastError: Error | undefined;
  /** Set by {@link restart}: reconnect to the same broker after this long, not by the policy. */
  #restartInMs: number | undefined;

  constructor(bundle: DeviceBundleFiles, opts: SimDeviceOptions = {}) {
    this.#b = bundle;
    this.#opts = opts;
    this.id = bundle.info.id;
    this.#kid = bundle.info.kid;
    this.#keys.set(this.#kid, deriveDeviceKeys(Buffer.from(bundle.info.secret, 'base64url'), this.id));
    this.#seq = new SeqStore(join(bundle.dir, 'seq.json'));
    this.#downlink = new DeviceDownlink(join(bundle.dir, 'downlink.json'), this.id, bundle.info.alg);
    mkdirSync(bundle.dir, { recursive: true });
    this.#outbox = new Outbox(join(bundle.dir, 'outbox.log'), opts.outboxMax);
    const brokers = opts.brokers ?? (opts.brokerUrl ? [opts.brokerUrl] : bundleBrokers(bundle.info));
    this.#policy = new ReconnectPolicy(brokers, { ...DEFAULT_RECONNECT, ...opts.reconnect });
    this.stats.buffered = this.#outbox.depth;
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

  /** Starts connecting (also after close()); resolves at the first connection (rejects after 15 s without one). */
  connect(): Promise<void> {
    this.#closed = false;
    const first = new Promise<void>((resolve, reject) => {
      // An unreachable broker is the environment's problem, not a bug: say which and why.
      const t = setTimeout(() => {
        const err = this.#lastError;
        reject(
          new VigilError(
            'VIGIL_ERR_UNAVAILABLE',
            `${this.id}: no connection to ${this.#policy.current} within 15 s${err ? ` (${err.message})` : ''}`,
            { cause: err },
          ),
        );
      }, 15_000);
      this.#firstConnect = {
        resolve: () => {
          clearTimeout(t);
          resolve();
        },
        reject: (err) => {
          clearTimeout(t);
          reject(err);
        },
      };
    });
    this.#attempt();
    return first;
  }

  #attempt(): void {
    if (this.#closed) return;
    const url = this.#policy.current;
    const commandsTopic = deviceTopic(this.#b.info.topic_prefix, this.id, 'commands');
    const stateTopic = deviceTopic(this.#b.info.topic_prefix, this.id, 'state');
    const client = mqtt.connect(url, {
      clientId: this.id,
      ca: this.#b.ca,
      cert: this.#b.cert,
      key: this.#b.key,
      protocolVersion: 4,
      clean: true,
      keepalive: 30,
      // Reconnection is this device's own (backoff, broker list), not MQTT.js's.
      reconnectPeriod: 0,
      connectTimeout: 10_000,
      will: { topic: stateTopic, payload: Buffer.from('offline'), qos: 1, retain: true },
    });
    this.#client = client;
    let up = false;
    client.on('connect', () => {
      up = true;
      this.#policy.connected();
      this.#connectedAt = Date.now();
      this.stats.connected = true;
      this.stats.broker = url;
      if (!this.#policy.onPrimary) this.stats.failovers++;
      this.#opts.onConnect?.(url, this.#lostAt === null ? null : Date.now() - this.#lostAt);
      this.#lostAt = null;
      // Protocol §1: clean session, so subscribe to commands again after every CONNACK.
      client.subscribe(commandsTopic, { qos: 1 });
      client.publish(stateTopic, 'online', { qos: 1, retain: true });
      // Unacknowledged envelopes first, unchanged (same seq and nonce).
      this.#inflight.clear();
      for (const m of this.#outbox.sealedUnacked()) this.#publishSealed(m);
      this.#link(true);
      this.#pump = setInterval(() => this.#drain(), 100);
      // §7.5: after a boot, a trial image is self-tested, and the running version is reported.
      this.firmware.onConnect();
      this.#firstConnect?.resolve();
      this.#firstConnect = undefined;
    });
    client.on('message', (topic, payload) => {
      if (topic === commandsTopic) void this.#onCommand(payload);
    });
    client.on('error', (err) => {
      this.stats.errors++;
      this.stats.lastError = err.message;
      this.#lastError = err;
      const first = this.#firstConnect;
      if (this.#opts.failFast && first) {
        // No retry: the caller wants this broker's first answer (a refused certificate, say).
        this.#firstConnect = undefined;
        this.#closed = true;
        first.reject(err);
      }
    });
    client.on('close', () => {
      if (this.#client !== client) return;
      clearInterval(this.#pump);
      this.stats.connected = false;
      client.removeAllListeners();
      client.on('error', () => {});
      client.end(true);
      this.#client = undefined;
      if (this.#closed) return;
      let delay: number;
      if (this.#restartInMs !== undefined) {
        // A reboot or a new certificate: the same broker again, after the given pause.
        delay = this.#restartInMs;
        this.#restartInMs = undefined;
      } else if (up) {
        this.#lostAt = Date.now();
        delay = this.#policy.lost(Math.random());
      } else delay = this.#policy.failed(Math.random());
      this.#timer = setTimeout(() => this.#attempt(), delay);
    });
  }

  #onCommand(payload: Buffer): Promise<void> {
    const r = this.#downlink.receive(payload, this.#keys, Date.now());
    return receiveCommand(this, r, this.stats, (body) => this.#ack(body));
  }

  /**
   * An ack goes out at once, outside the outbox: if it is lost, the server sends the command again
   * and the device answers it as a duplicate.
   */
  #ack(body: Record<string, unknown>): void {
    const client = this.#client;
    if (!client?.connected) return;
    const { envelope } = this.#envelope('acks', JSON.stringify(body));
    this.stats.sent++;
    client.publish(deviceTopic(this.#b.info.topic_prefix, this.id, 'acks'), envelope, { qos: 1 }, (err) => {
      if (err) this.stats.errors++;
      else this.stats.acked++;
    });
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
        writeBundleFile(this.#b.dir, 'device.json', `${JSON.stringify(info, null, 2)}\n`);
        this.#b.info = info;
        this.#kid = kid;
        // The old generation is kept for commands still sealed under it; the server retires it.
        for (const k of [...this.#keys.keys()]) if (k < kid - 1) this.#keys.delete(k);
      },
    };
  }

  /** An event through the outbox: sent now when connected, else when the link is back. */
  sendEvent(body: Record<string, unknown>): void {
    this.#outbox.add('event', body, false);
    this.stats.buffered = this.#outbox.depth;
    this.#drain();
  }

  setPendingKey(pem: string | null): void {
    this.pendingKey = pem;
    if (pem) writeBundleFile(this.#b.dir, 'device.key.next', pem);
  }

  installCertificate(certPem: string, keyPem: string): { activate: () => void } {
    return {
      activate: () => {
        writeBundleFile(this.#b.dir, 'device.key', keyPem);
        writeBundleFile(this.#b.dir, 'device.crt', certPem, 0o644);
        this.#b.cert = certPem;
        this.#b.key = keyPem;
        this.pendingKey = null;
        // Reconnect with the new certificate (the server revokes the old one once it sees it used).
        this.restart(200);
      },
    };
  }

  installTrustBundle(pem: string): void {
    writeBundleFile(this.#b.dir, 'ca.crt', pem, 0o644);
    this.#b.ca = pem;
  }

  /** Drops the connection (after the ack left) and connects to the same broker after `ms`. */
  restart(ms: number): void {
    const c = this.#client;
    if (!c) return;
    // From now on samples wait in the outbox for the next connection.
    this.stats.connected = false;
    this.#restartInMs = ms;
    this.firmware.rebooting();
    // Let the ack leave first: MQTT.js flushes queued publishes before an orderly end.
    setTimeout(() => c.end(false, {}, () => {}), 50);
  }

  /** Seals `body` under the current kid with the next persisted seq. */
  #envelope(channel: Channel, body: string): { seq: number; envelope: string } {
    const alg = this.#b.info.alg;
    const seq = this.#seq.next();
    const env = sealEnvelope({
      dev: this.id,
      channel,
      seq,
      ts: Date.now(),
      kid: this.#kid,
      alg,
      nonce: randomBytes(NONCE_BYTES[alg]),
      body,
      keys: this.#keys.get(this.#kid) as DeviceKeys,
    });
    return { seq, envelope: serializeEnvelope(env) };
  }

  #seal(channel: Channel, body: string, ids: number[]): SealedMessage {
    const { seq, envelope } = this.#envelope(channel, body);
    const m: SealedMessage = { seq, channel: channel as 'telemetry' | 'events', ids, envelope };
    this.#outbox.seal(m);
    return m;
  }

  #publishSealed(m: SealedMessage): void {
    const client = this.#client;
    if (!client?.connected) return;
    this.#inflight.add(m.seq);
    this.stats.sent++;
    const sentAt = performance.now();
    // QoS 1: the PUBACK comes only once Vigil has committed the reading (docs/protocol.md §6.4).
    client.publish(
      deviceTopic(this.#b.info.topic_prefix, this.id, m.channel),
      m.envelope,
      { qos: 1 },
      (err) => {
        this.#inflight.delete(m.seq);
        if (err) {
          this.stats.errors++;
          return;
        }
        this.#opts.onPublished?.({ channel: m.channel, seq: m.seq, sentAt, doneAt: performance.now() });
        this.stats.acked++;
        this.#outbox.ack(m.seq);
        this.stats.buffered = this.#outbox.depth;
      },
    );
  }

  /** Reports the link: broker and outbox depth (a generic event, docs/protocol.md §8). */
  #link(force: boolean): void {
    const now = Date.now();
    if (!force && now - this.#lastLink < LINK_EVERY_MS) return;
    this.#lastLink = now;
    const body = { type: 'link', ts: now, broker: this.stats.broker ?? '', buffered: this.#outbox.depth };
    const r = this.#outbox.add('event', body, false);
    this.#publishSealed(this.#seal('events', JSON.stringify(body), [r.id]));
  }

  /** Sends what the window allows: events, live samples alone, backlog in full batches. */
  #drain(): void {
    const client = this.#client;
    if (!client?.connected || !this.#linkUp) return;
    if (this.#policy.shouldReturn(Date.now() - this.#connectedAt) && this.#inflight.size === 0) {
      // Stable on a secondary for long enough: go back to the primary.
      this.#policy.returnToPrimary();
      this.#lostAt = Date.now();
      client.end(false, {}, () => {});
      return;
    }
    const unsent = this.#outbox.unsent();
    for (const r of unsent) {
      if (this.#inflight.size >= MAX_INFLIGHT) return;
      if (r.kind === 'event') this.#publishSealed(this.#seal('events', JSON.stringify(r.body), [r.id]));
      else if (!r.backlog)
        this.#publishSealed(this.#seal('telemetry', JSON.stringify({ samples: [r.body] }), [r.id]));
    }
    const backlog = unsent.filter((r) => r.kind === 'sample' && r.backlog);
    const now = Date.now();
    if (
      backlog.length > 0 &&
      this.#inflight.size < MAX_INFLIGHT &&
      now - this.#lastBacklogAt >= 1000 / BACKLOG_PER_SEC
    ) {
      this.#lastBacklogAt = now;
      const chunk = backlog.slice(0, BACKFILL_CHUNK);
      this.#publishSealed(
        this.#seal(
          'telemetry',
          JSON.stringify({ samples: chunk.map((r) => r.body) }),
          chunk.map((r) => r.id),
        ),
      );
      if (backlog.length === chunk.length) this.#link(true);
    } else if (backlog.length > 0) this.#link(false);
    this.stats.buffered = this.#outbox.depth;
  }

  /**
   * One step of the device: its model's sample and events. `linkUp=false` is a radio without
   * coverage: everything is kept in the outbox as backlog until the link returns.
   */
  record(sample: Record<string, unknown>, events: DeviceEventBody[], linkUp: boolean): void {
    this.#linkUp = linkUp;
    const live = linkUp && this.stats.connected;
    for (const ev of events) this.#outbox.add('event', ev, false);
    this.#outbox.add('sample', sample, !live);
    this.stats.recorded++;
    this.stats.dropped = this.#outbox.dropped;
    this.stats.buffered = this.#outbox.depth;
    if (live) this.#drain();
  }

  /** Sends everything pending now (tests and tools). */
  flush(): void {
    this.#drain();
  }

  /**
   * The radio has coverage again (after `record(..., false)`): the backlog leaves in full batches,
   * paced as after a real outage (tests and tools that buffer a backlog, then release it at once).
   */
  restoreLink(): void {
    this.#linkUp = true;
    this.#drain();
  }

  /**
   * Publishes a ready-made body on a channel through the outbox (tests and tools); returns the
   * envelope's seq (the `seq` of its {@link PublishResult}).
   */
  send(channel: Channel, body: Record<string, unknown>): number {
    const r = this.#outbox.add(channel === 'events' ? 'event' : 'sample', body, false);
    const m = this.#seal(channel, JSON.stringify(body), [r.id]);
    this.#publishSealed(m);
    return m.seq;
  }

  /** Disconnects; what is not acknowledged stays in the outbox for the next run. */
  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#timer);
    clearInterval(this.#pump);
    const c = this.#client;
    this.#client = undefined;
    this.stats.connected = false;
    if (!c) return;
    // A clean end waits for the PUBACKs of what is in flight; a broker that will not give them
    // (its disk is full, it is gone) must not hold the close: the outbox keeps those records.
    const deadline = Date.now() + CLOSE_GRACE_MS;
    while (Object.keys(c.outgoing).length > 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
    }
    const force = Object.keys(c.outgoing).length > 0;
    await new Promise<void>((r) => c.end(force, {}, () => r()));
  }
}
