import { connect, type IClientOptions, type IPublishPacket, type MqttClient } from 'mqtt';
import { type Logger, pino } from 'pino';
import { CONFIG_DEFAULTS } from '../config/schema.ts';
import type { IngestSink } from '../ingest/ingest-sink.ts';
import {
  assertValidTopicPrefix,
  DEFAULT_TOPIC_PREFIX,
  INGEST_CHANNELS,
  parseDeviceTopic,
  parseGatewayTopic,
} from '../protocol/topics.ts';
import { isValidIdentityName, parseClaimTopic } from './acl.ts';
import { DEFAULT_MAX_PACKET_BYTES } from './packet-guard.ts';

/** Channels the link can consume. */
export type LinkChannel = (typeof INGEST_CHANNELS)[number];

/** Options of {@link startMqttLink}. */
export interface MqttLinkOptions {
  /** `mqtts://host:8883`; only `mqtts:` is accepted. */
  url: string;
  /** The Vigil CA (trust anchor for the broker's certificate) and this service's certificate/key. */
  ca: string;
  cert: string;
  key: string;
  /** MQTT client id: must be the service certificate's CN. */
  clientId: string;
  /** Default `vigil/v1`. */
  topicPrefix?: string;
  /** Shared-subscription group (MQTT v5 §4.8.2). Default `vigil-ingest`. */
  group?: string;
  sink: IngestSink;
  logger?: Logger;
  /** 5 (default) or 4 for a broker without MQTT v5. */
  protocolVersion?: 4 | 5;
  /**
   * Subscribe as `$share/<group>/...` so several workers split the load. Default true with v5,
   * false with v4 (shared subscriptions are a v5 feature; some v3.1.1 brokers accept them too).
   */
  shared?: boolean;
  /** Default telemetry, events, acks. */
  channels?: LinkChannel[];
  /**
   * Session Expiry Interval (v5 §3.1.2.11.2), seconds. Default 7 days: the broker keeps this
   * link's session, and queues its messages, across an outage of Vigil that long.
   */
  sessionExpiryS?: number;
  /**
   * Receive Maximum (v5 §3.1.2.11.3): QoS 1 messages the broker may have in flight to this link.
   * They are ingested in parallel (the pipeline commits them in groups) and acknowledged in the
   * order they arrived. Default 1024.
   */
  receiveMaximum?: number;
  /**
   * Broker counters to follow (`$SYS/...`; Mosquitto's dropped-message counter by default); each
   * value reaches `onBrokerStat`. Empty: none.
   */
  brokerStats?: readonly string[];
  onBrokerStat?: (topic: string, value: number) => void;
  /** Keep-alive, seconds. Default 60. */
  keepaliveS?: number;
  /** Reconnect backoff: first delay, doubling up to the maximum (with ±20 % jitter). Default 1 s .. 30 s. */
  reconnectMinMs?: number;
  reconnectMaxMs?: number;
  /** Largest remaining length accepted; told to a v5 broker as Maximum Packet Size. Default 20480. */
  maxPacketBytes?: number;
  /** TLS server name to verify. Default: the URL host (IP addresses are verified against the SAN). */
  servername?: string;
  /** Clock for `receivedAt`. Default `Date.now`. */
  now?: () => number;
  /**
   * Told each device `state` (`online` / `offline`, retained): with it the link also subscribes to
   * `{p}/devices/+/state`, so pending commands go out when a device comes back.
   */
  onDeviceState?: (deviceId: string, state: 'online' | 'offline') => void;
  /**
   * Claims (docs/protocol.md §14) published on `{p}/claims/{serial}`: with it the link also
   * subscribes there; the broker's ACL admits only claim certificates to that topic.
   */
  onClaim?: (claim: { serial: string; payload: Buffer; address: string }) => Promise<void>;
  /**
   * Gateway status reports and last wills on `{p}/gateways/{id}/status` (docs/gateway.md): with it
   * the link also subscribes there; the broker's ACL lets each gateway write its own topic only.
   */
  onGatewayStatus?: (gatewayId: string, payload: Buffer) => Promise<void>;
}

/** Counters of a running link. */
export interface MqttLinkStats {
  connected: boolean;
  /** Messages handed to the sink. */
  received: number;
  /** Acknowledged after the sink accepted (`ok: true`). */
  accepted: number;
  /** Acknowledged and dropped after the sink refused (`ok: false`). */
  rejected: number;
  /** Not acknowledged because the sink threw; the broker redelivers after the reconnect. */
  failed: number;
  /** Ignored (topic not a device ingest topic); acknowledged. */
  ignored: number;
  reconnects: number;
  /** Messages being ingested now (at most the receive maximum). */
  inFlight: number;
  /** The largest number of messages in flight at once since start. */
  maxInFlight: number;
}

/** A running external-broker link. */
export interface MqttLink {
  stats(): MqttLinkStats;
  /** Resolves once the subscriptions are in place (at once if already); rejects after `timeoutMs`. */
  waitUntilSubscribed(timeoutMs?: number): Promise<void>;
  /** Publishes QoS 1 with this backend identity (sealed commands; claim replies, retained). */
  publish(topic: string, payload: string, retain?: boolean): Promise<void>;
  /** Disconnects cleanly (the broker keeps the session for `sessionExpiryS`). */
  close(): Promise<void>;
}

/**
 * Feeds the ingest pipeline from an external broker (Mosquitto, EMQX) over mutual TLS.
 *
 * Acknowledgement: a QoS 1 message is PUBACKed only after `sink.ingest` resolved. With MQTT v5 the
 * ack is given through MQTT.js `customHandleAcks`; MQTT.js ignores that option for v3.1.1 and for
 * QoS 0, so there `handleMessage`, which MQTT.js also awaits before it sends PUBACK, does the work.
 *
 * When the sink throws (storage down) the message is NOT acknowledged, and the link drops the
 * connection. It does not send PUBACK 0x80: in MQTT v5 (§4.3.2) any PUBACK, whatever its reason
 * code, completes the QoS 1 exchange, so the broker would discard the message. Without a PUBACK the
 * message stays in flight in our persistent session (clean start off, Session Expiry Interval set),
 * and after the reconnect the broker resends it with DUP set (MQTT 3.1.1 §4.4, v5 §4.4): Mosquitto
 * keeps in-flight messages of a shared subscription in the session of the client that had them;
 * EMQX (with its default shared-dispatch ack setting) may instead redispatch them to another member
 * of the group. If the session expires first, the broker discards the message.
 */
export async function startMqttLink(opts: MqttLinkOptions): Promise<MqttLink> {
  const log = (opts.logger ?? pino({ level: 'silent' })).child({ component: 'mqtt-link' });
  const url = new URL(opts.url);
  if (url.protocol !== 'mqtts:') throw new TypeError('mqtt link: only mqtts:// URLs are allowed');
  if (!isValidIdentityName(opts.clientId))
    throw new TypeError('mqtt link: clientId must be a valid identity');
  const prefix = opts.topicPrefix ?? DEFAULT_TOPIC_PREFIX;
  assertValidTopicPrefix(prefix);
  const group = opts.group ?? CONFIG_DEFAULTS.externalGroup;
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(group)) throw new TypeError('mqtt link: invalid group');
  const version = opts.protocolVersion ?? 5;
  const shared = opts.shared ?? version === 5;
  const channels = opts.channels ?? [...INGEST_CHANNELS];
  const filters = channels.map((c) => `${shared ? `$share/${group}/` : ''}${prefix}/devices/+/${c}`);
  // Presence is not shared: every worker may hold commands for a device that comes back.
  if (opts.onDeviceState) filters.push(`${prefix}/devices/+/state`);
  if (opts.onClaim) filters.push(`${shared ? `$share/${group}/` : ''}${prefix}/claims/+`);
  // Gateway state is not shared either: every process shows it (retained: the last one at once).
  if (opts.onGatewayStatus) filters.push(`${prefix}/gateways/+/status`);
  const minMs = opts.reconnectMinMs ?? 1000;
  const maxMs = Math.max(minMs, opts.reconnectMaxMs ?? 30_000);
  const maxPacketBytes = opts.maxPacketBytes ?? DEFAULT_MAX_PACKET_BYTES;
  const now = opts.now ?? Date.now;
  const counters: Omit<MqttLinkStats, 'connected'> = {
    received: 0,
    accepted: 0,
    rejected: 0,
    failed: 0,
    ignored: 0,
    reconnects: 0,
    inFlight: 0,
    maxInFlight: 0,
  };

  let subscribed = false;
  let closing = false;
  let attempts = 0;
  const subscribedWaiters = new Set<() => void>();

  /** Hands one message to the sink; true = acknowledge, false = withhold the ack. */
  async function deliver(packet: IPublishPacket): Promise<boolean> {
    const topic = packet.topic;
    const claimSerial = opts.onClaim ? parseClaimTopic(prefix, topic) : null;
    if (claimSerial && opts.onClaim) {
      const payload = Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload);
      try {
        await opts.onClaim({ serial: claimSerial, payload, address: 'external-broker' });
        return true;
      } catch (err) {
        log.error({ err }, 'claim handling failed; not acknowledged');
        return false;
      }
    }
    const g = opts.onGatewayStatus ? parseGatewayTopic(prefix, topic) : null;
    if (g?.channel === 'status' && opts.onGatewayStatus) {
      const payload = Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload);
      // A malformed report is logged and dropped by the registry: acknowledged either way.
      await opts
        .onGatewayStatus(g.gatewayId, payload)
        .catch((err: unknown) => log.error({ err, gateway: g.gatewayId }, 'gateway status handling failed'));
      return true;
    }
    const t = parseDeviceTopic(prefix, topic);
    if (t && t.channel === 'state' && opts.onDeviceState) {
      const state = Buffer.from(packet.payload).toString('latin1');
      if (state === 'online' || state === 'offline') opts.onDeviceState(t.deviceId, state);
      return true;
    }
    if (!t || !(INGEST_CHANNELS as readonly string[]).includes(t.channel)) {
      counters.ignored++;
      log.warn({ topic: topic.slice(0, 200) }, 'ignoring a message on an unexpected topic');
      return true;
    }
    const payload = Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload);
    counters.received++;
    try {
      const res = await opts.sink.ingest({ topic, payload, receivedAt: now() });
      if (res.ok) counters.accepted++;
      else counters.rejected++;
      return true;
    } catch (err) {
      counters.failed++;
      log.error({ err, topic }, 'ingest failed; message not acknowledged, reconnecting for redelivery');
      // Without a PUBACK the broker redelivers only on a new connection of this session.
      client.stream?.destroy();
      return false;
    }
  }

  /**
   * QoS 1 messages of the current connection, in arrival order, each with its outcome once
   * known. PUBACKs leave in that order (MQTT v5 §4.6: acknowledgements in the order the PUBLISH
   * packets were received), so one slow message holds back the acks behind it but not their
   * ingest. A new connection starts a new generation: the old one's pending acks are never sent
   * on it (the broker redelivers those messages itself).
   */
  interface Pending {
    gen: number;
    messageId: number;
    done: boolean;
    ack: boolean;
  }
  let generation = 0;
  let pending: Pending[] = [];

  function flushAcks(): void {
    while (pending.length > 0 && (pending[0] as Pending).done) {
      const p = pending.shift() as Pending;
      if (!p.ack) {
        // A failed store: nothing after it is acknowledged on this connection either.
        pending = [];
        return;
      }
      // MQTT.js has no public call to acknowledge later; `_sendPacket` is what its own
      // handlers use (handlers/publish.js).
      (client as unknown as { _sendPacket(p: object): void })._sendPacket({
        cmd: 'puback',
        messageId: p.messageId,
        reasonCode: 0,
      });
    }
  }

  function receive(packet: IPublishPacket): void {
    const entry: Pending = { gen: generation, messageId: packet.messageId ?? 0, done: false, ack: false };
    pending.push(entry);
    counters.inFlight++;
    counters.maxInFlight = Math.max(counters.maxInFlight, counters.inFlight);
    void deliver(packet).then((ack) => {
      counters.inFlight--;
      if (entry.gen !== generation || !client.connected) return;
      entry.done = true;
      entry.ack = ack;
      flushAcks();
    });
  }

  const mqttOpts: IClientOptions = {
    protocolVersion: version,
    clientId: opts.clientId,
    clean: false,
    keepalive: opts.keepaliveS ?? 60,
    reconnectPeriod: minMs,
    reconnectOnConnackError: true,
    connectTimeout: 30_000,
    resubscribe: false,
    ca: opts.ca,
    cert: opts.cert,
    key: opts.key,
    rejectUnauthorized: true,
    ...(opts.servername ? { servername: opts.servername } : {}),
    ...(version === 5
      ? {
          properties: {
            sessionExpiryInterval: opts.sessionExpiryS ?? 7 * 86_400,
            // v5 §3.1.2.11.4: the broker must not send us larger packets.
            maximumPacketSize: maxPacketBytes + 5,
            receiveMaximum: Math.min(65_535, Math.max(1, opts.receiveMaximum ?? 1024)),
          },
          // MQTT.js reads the next packet only once this callback ran; it is called at once with
          // a marker, so that MQTT.js neither acknowledges nor waits, and `receive` takes over
          // (ingest in parallel, PUBACK in order).
          customHandleAcks: (_topic: string, _message: Buffer, packet: IPublishPacket, done: AckCallback) => {
            receive(packet);
            done(DEFERRED);
          },
        }
      : {}),
  };
  // tls.connect options MQTT.js passes through.
  Object.assign(mqttOpts, { minVersion: 'TLSv1.2' });

  const client: MqttClient = connect(opts.url, mqttOpts);

  const defaultHandleMessage = client.handleMessage.bind(client);
  const statTopics = [...(opts.brokerStats ?? [])];
  client.handleMessage = (packet, callback) => {
    if (packet.topic.startsWith('$SYS/')) {
      // A broker counter (QoS 0, retained by the broker's $SYS updates).
      const value = Number(String(packet.payload).trim());
      if (Number.isFinite(value)) opts.onBrokerStat?.(packet.topic, value);
      callback();
      return;
    }
    // v5 QoS 1/2 went through customHandleAcks already.
    if (version === 5 && packet.qos > 0) return defaultHandleMessage(packet, callback);
    deliver(packet).then((ack) => (ack ? callback() : callback(new Error('ingest failed'))));
  };

  client.on('connect', (connack) => {
    attempts = 0;
    generation++;
    pending = [];
    client.options.reconnectPeriod = minMs;
    log.info({ sessionPresent: connack.sessionPresent, url: redactUrl(url) }, 'mqtt link connected');
    // Subscribe on every connection, even with a session present: Mosquitto 2.0 restores a
    // persistent session after a restart without its shared subscriptions (measured: nothing more
    // was delivered), and subscribing again to the same filter only replaces it (MQTT v5 §3.8.4).
    client.subscribe(filters, { qos: 1 }, (err, granted) => {
      if (err) {
        log.error({ err }, 'mqtt link subscribe failed');
        return;
      }
      const refused = (granted ?? []).filter((g) => g.qos >= 0x80).map((g) => g.topic);
      if (refused.length > 0) {
        log.error({ refused }, 'mqtt link subscriptions refused by the broker (ACL?)');
        return;
      }
      subscribed = true;
      log.info({ filters }, 'mqtt link subscribed');
      if (statTopics.length > 0) {
        client.subscribe(statTopics, { qos: 0 }, (e, g) => {
          const denied = (g ?? []).filter((x) => x.qos >= 0x80).map((x) => x.topic);
          if (e || denied.length > 0)
            log.warn({ denied, err: e?.message }, 'broker counters not readable (ACL?)');
        });
      }
      for (const w of subscribedWaiters) w();
      subscribedWaiters.clear();
    });
  });
  client.on('close', () => {
    // Acks still owed on the lost connection must never go out: MQTT.js would queue them and send
    // them on the next connection, where the same packet ids name other messages (acknowledging
    // messages never ingested). The broker redelivers the unacknowledged ones instead.
    generation++;
    pending = [];
    if (closing) return;
    attempts++;
    const base = Math.min(maxMs, minMs * 2 ** Math.min(attempts - 1, 20));
    client.options.reconnectPeriod = Math.round(base * (0.8 + Math.random() * 0.4));
    log.warn({ attempts, nextRetryMs: client.options.reconnectPeriod }, 'mqtt link connection closed');
  });
  client.on('reconnect', () => {
    counters.reconnects++;
    log.info({ attempts }, 'mqtt link reconnecting');
  });
  client.on('disconnect', (packet) => {
    log.warn({ reasonCode: packet.reasonCode }, 'mqtt link disconnected by the broker');
  });
  client.on('error', (err) => {
    if (err === DEFERRED) return;
    log.warn({ err: err.message, code: (err as { code?: unknown }).code }, 'mqtt link error');
  });

  return {
    stats: () => ({ connected: client.connected, ...counters }),
    waitUntilSubscribed(timeoutMs = 10_000) {
      if (subscribed && client.connected) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => {
          subscribedWaiters.delete(done);
          reject(new Error('mqtt link: not subscribed in time'));
        }, timeoutMs);
        const done = () => {
          clearTimeout(timer);
          resolve();
        };
        subscribedWaiters.add(done);
      });
    },
    publish(topic, payload, retain = false) {
      return new Promise<void>((resolve, reject) => {
        client.publish(topic, payload, { qos: 1, retain }, (err) => (err ? reject(err) : resolve()));
      });
    },
    async close() {
      if (closing) return;
      closing = true;
      await client.endAsync();
      log.info('mqtt link closed');
    },
  };
}

type AckCallback = (error: Error | number, code?: number) => void;

/** What `customHandleAcks` answers to say "not now": MQTT.js then sends no PUBACK (see `receive`). */
const DEFERRED = new Error('acknowledged later, in order');

function redactUrl(url: URL): string {
  return `${url.protocol}//${url.host}`;
}
