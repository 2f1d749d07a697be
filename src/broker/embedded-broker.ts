import type net from 'node:net';
import type { Duplex } from 'node:stream';
import type { Worker } from 'node:worker_threads';
import { Aedes, type AedesPublishPacket, type Client, type PublishPacket, type Subscription } from 'aedes';
import { type Logger, pino } from 'pino';
import { CONFIG_DEFAULTS } from '../config/schema.ts';
import type { ErrorCode } from '../errors.ts';
import { ConnectionGate } from '../net/connection-gate.ts';
import { normalizeSerial } from '../pki/serial.ts';
import { assertValidTopicPrefix, DEFAULT_TOPIC_PREFIX, parseDeviceTopic } from '../protocol/topics.ts';
import { canReceive, canSubscribe } from './acl.ts';
import { watchAedes } from './aedes-events.ts';
import { type BrokerLimits, resolveBrokerLimits } from './broker-limits.ts';
import { BrokerListener } from './broker-listener.ts';
import {
  type BrokerConn,
  type BrokerSecurityEvent,
  type BrokerStats,
  clipId,
  clipTopic,
  connEvent,
  type EmbeddedBrokerOptions,
  sessionCounts,
} from './broker-types.ts';
import { checkConnect, RC_NOT_AUTHORIZED } from './connect-check.ts';
import { DEFAULT_TAKEOVER, DeviceLimiter } from './device-limiter.ts';
import { handOffClaim, handOffGatewayStatus, handOffToSink } from './ingest-handoff.ts';
import { PacketGuard, type PacketGuardViolation, violationEvent } from './packet-guard.ts';
import { publishRefusal } from './publish-policy.ts';
import { brokerSecureContext } from './server-tls.ts';

/** How often identities whose rate buckets have refilled are forgotten. */
const LIMITER_SWEEP_MS = 60_000;

type ConnackDone = (err: (Error & { returnCode: number }) | null, ok: boolean | null) => void;

/**
 * Vigil's embedded MQTT broker: Aedes behind a mutual-TLS listener (no plain TCP), with the
 * certificate CN as the only identity, the topic ACL of DESIGN §3, a fixed-header guard on every
 * socket, connection caps and a share of the descriptor budget, per-identity publish, connect and
 * takeover rates, and ingest-before-PUBACK.
 */
export class EmbeddedBroker {
  readonly limits: Readonly<BrokerLimits>;
  readonly topicPrefix: string;
  #opts: EmbeddedBrokerOptions;
  #log: Logger;
  #now: () => number;
  #aedes: Aedes;
  #listener: BrokerListener;
  #gate: ConnectionGate;
  #limiter: DeviceLimiter;
  #sweep: NodeJS.Timeout | undefined;
  #revoked = new Set<string>();
  /** Live TLS connections (removed on close). */
  #conns = new Set<BrokerConn>();
  /** Lookup from Aedes' `client.conn`; kept after close so a will can still be authorised. */
  #connByGuard = new WeakMap<PacketGuard, BrokerConn>();
  /** Payloads the sink rejected: acknowledged but never forwarded (aedes-packet keeps the Buffer). */
  #rejectedPayloads = new WeakSet<Buffer>();
  #listening: net.AddressInfo | undefined;
  #closing: Promise<void> | undefined;
  /** The CRL in force (kept so a certificate or trust change keeps revocation checking on). */
  #crl: string | undefined;

  constructor(opts: EmbeddedBrokerOptions) {
    this.#opts = opts;
    this.topicPrefix = opts.topicPrefix ?? DEFAULT_TOPIC_PREFIX;
    assertValidTopicPrefix(this.topicPrefix);
    this.limits = resolveBrokerLimits(opts.limits);
    this.#log = (opts.logger ?? pino({ level: 'silent' })).child({ component: 'broker' });
    this.#now = opts.now ?? Date.now;
    this.#crl = opts.tls.crl;
    this.#limiter = new DeviceLimiter({ ...this.limits, ...DEFAULT_TAKEOVER });
    this.#gate = new ConnectionGate({
      fdClass: 'mqtt',
      budget: opts.fdBudget,
      maxConnections: this.limits.maxConnections,
      maxConnectionsPerAddress: this.limits.maxConnectionsPerAddress,
      onRefuse: (reason, address) => this.#emit({ code: 'VIGIL_ERR_CONNECTION_LIMIT', reason, address }),
    });

    this.#aedes = new Aedes({
      connectTimeout: this.limits.connectTimeoutMs,
      // Keep-alive is checked in authenticate, to answer with a CONNACK and an event.
      keepaliveLimit: 0,
      // MQTT 3.1 (protocol level 3) caps client ids at 23; our ids go to 64.
      maxClientsIdLength: 64,
      // `$share/<g>/<prefix...>/devices/+/telemetry`: a few levels beyond the prefix.
      maxTopicLevels: Math.min(100, this.topicPrefix.split('/').length + 6),
      drainTimeout: 30_000,
      preConnect: (client, packet, cb) => {
        const conn = this.#connOf(client);
        if (!conn) return cb(new Error('unknown connection'), false);
        conn.will = packet.will;
        conn.keepalive = packet.keepalive;
        cb(null, true);
      },
      authenticate: (client, _username, _password, done) => this.#authenticate(client, done),
      authorizePublish: (client, packet, cb) => this.#authorizePublish(client, packet, cb),
      authorizeSubscribe: (client, sub, cb) => this.#authorizeSubscribe(client, sub, cb),
      authorizeForward: (client, packet) => this.#authorizeForward(client, packet),
    });
    watchAedes(this.#aedes, {
      log: this.#log,
      topicPrefix: this.topicPrefix,
      connOf: (client) => this.#connOf(client),
      onConnectionError: (client, err) => this.#onConnectionError(client, err),
      onCommandSubscription: opts.onCommandSubscription,
    });

    this.#listener = new BrokerListener({
      host: opts.host ?? CONFIG_DEFAULTS.mqtt.host,
      port: opts.port ?? CONFIG_DEFAULTS.mqtt.port,
      secure: brokerSecureContext(opts.tls, opts.tls.crl),
      handshakeTimeoutMs: this.limits.connectTimeoutMs,
      workers: opts.listenerWorkers ?? CONFIG_DEFAULTS.mqtt.listenerWorkers,
      gate: this.#gate,
      log: this.#log,
      emit: (ev) => this.#emit(ev),
      isRevoked: (serial) => this.#revoked.has(serial),
      isClosing: () => this.closing,
      onPeer: (socket, address, cn, serial) => this.#onPeer(socket, address, cn, serial),
    });
  }

  /** Starts listening; resolves with the bound port. */
  async start(): Promise<number> {
    if (this.#listening) return this.#listening.port;
    await this.#aedes.listen();
    this.#listening = await this.#listener.start();
    this.#sweep = setInterval(() => this.#limiter.sweep(this.#now()), LIMITER_SWEEP_MS);
    this.#sweep.unref();
    const { address, port } = this.#listening;
    this.#log.info({ address, port, listenerWorkers: this.#listener.workers().length }, 'mqtts listening');
    return this.#listening.port;
  }

  /**
   * Installs a new CRL for future handshakes (swaps the server's secure context) and drops every
   * live connection whose certificate serial is listed. Throws (and changes nothing) if the CRL
   * does not parse. Returns how many connections were dropped.
   */
  updateCrl(crlPem: string, revokedSerialsHex: string[]): number {
    // An empty CRL would silently turn revocation checking off.
    if (typeof crlPem !== 'string' || !crlPem.includes('-----BEGIN X509 CRL-----')) {
      throw new TypeError('updateCrl: a PEM CRL is required');
    }
    this.#listener.setSecureContext(brokerSecureContext(this.#opts.tls, crlPem));
    this.#crl = crlPem;
    this.#revoked = new Set(revokedSerialsHex.map(normalizeSerial).filter((s) => s !== ''));
    const gone = [...this.#conns].filter((conn) => this.#revoked.has(conn.serial));
    for (const conn of gone) {
      this.#securityEvent(conn, 'VIGIL_ERR_CERT_REVOKED', 'cert_revoked', { live: true });
      conn.guard.destroy();
    }
    if (gone.length > 0)
      this.#log.warn({ dropped: gone.length }, 'dropped connections of revoked certificates');
    return gone.length;
  }

  /**
   * Publishes a server message (a sealed command; a claim reply, retained) QoS 1. Aedes delivers
   * it to the subscribed device through the forward ACL; nobody but Vigil publishes this way.
   */
  publish(topic: string, payload: string | Buffer, retain = false): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#aedes.publish(
        { cmd: 'publish', topic, payload: Buffer.from(payload), qos: 1, retain, dup: false },
        (err) => (err ? reject(err) : resolve()),
      );
    });
  }

  /** New server certificate and key, or client CAs (CA rollover), for new handshakes only. */
  updateTls(change: { cert?: string; key?: string; ca?: string }): void {
    const next = { ...this.#opts.tls, ...change };
    this.#listener.setSecureContext(brokerSecureContext(next, this.#crl));
    this.#opts = { ...this.#opts, tls: next };
  }

  /** True when an MQTT session of this identity is established (CONNACK sent) now. */
  isConnected(identity: string): boolean {
    return [...this.#conns].some((conn) => conn.ready && conn.cn === identity);
  }

  /** Closes every connection of this identity (a disabled device, say). Returns how many. */
  disconnect(identity: string): number {
    const gone = [...this.#conns].filter((conn) => conn.cn === identity);
    for (const conn of gone) conn.guard.destroy();
    if (gone.length > 0) this.#log.info({ identity, connections: gone.length }, 'disconnected identity');
    return gone.length;
  }

  stats(): BrokerStats {
    return {
      address: this.#listening?.address,
      port: this.#listening?.port,
      tcpConnections: this.#gate.size,
      ...sessionCounts(this.#conns),
      acceptErrors: this.#listener.acceptErrors,
    };
  }

  /**
   * Stops the broker for shutdown: no new connection, CONNECT or PUBLISH is accepted from now on
   * (so no new PUBACK is promised), the ingests already handed to the sink finish and get their
   * PUBACKs, then every client is closed (wills are published) and Aedes stops.
   */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  /** Destroys every connection at once (the shutdown deadline); returns how many were open. */
  destroyAll(): number {
    for (const conn of this.#conns) conn.guard.destroy();
    return this.#gate.destroyAll();
  }

  get closing(): boolean {
    return this.#closing !== undefined;
  }

  async #close(): Promise<void> {
    this.#gate.close();
    if (this.#sweep) clearInterval(this.#sweep);
    this.#listener.stopAccepting();
    await Promise.allSettled([...this.#conns].map((c) => c.chain));
    await new Promise<void>((resolve) => this.#aedes.close(() => resolve()));
    for (const conn of this.#conns) conn.guard.destroy();
    this.#gate.destroyAll();
    await this.#listener.close();
    this.#listening = undefined;
    this.#log.info('mqtts closed');
  }

  /** TLS offload worker threads (none without `listenerWorkers`); for tests of a worker crash. */
  listenerWorkerThreads(): Worker[] {
    return this.#listener.workers();
  }

  /** An authorised, unrevoked TLS peer (broker-listener.ts): MQTT behind the packet guard. */
  #onPeer(socket: Duplex, address: string, cn: string, serial: string): void {
    const guard = new PacketGuard(socket, {
      maxPacketBytes: this.limits.maxPacketBytes,
      onViolation: (v) => this.#onGuardViolation(conn, v),
    });
    const conn: BrokerConn = { guard, address, cn, serial, ready: false, chain: Promise.resolve() };
    this.#conns.add(conn);
    this.#connByGuard.set(guard, conn);
    guard.once('close', () => this.#conns.delete(conn));
    this.#aedes.handle(guard);
  }

  #onGuardViolation(conn: BrokerConn, v: PacketGuardViolation): void {
    const { code, detail } = violationEvent(v, this.limits.maxPacketBytes);
    this.#securityEvent(conn, code, v.reason, detail);
  }

  #onConnectionError(client: Client, err: Error): void {
    const conn = this.#connOf(client);
    if (conn && err.message === 'connect did not arrive in time') {
      this.#securityEvent(conn, 'VIGIL_ERR_MQTT_PROTOCOL', 'connect_timeout', {
        timeoutMs: this.limits.connectTimeoutMs,
      });
      return;
    }
    this.#log.debug({ address: conn?.address, err: err.message }, 'mqtt connection error');
  }

  #connOf(client: Client | null | undefined): BrokerConn | undefined {
    return client ? this.#connByGuard.get(client.conn as PacketGuard) : undefined;
  }

  #authenticate(client: Client, done: ConnackDone): void {
    const conn = this.#connOf(client);
    const fail = (returnCode: number, reason: string) =>
      done(Object.assign(new Error(reason), { returnCode }), false);
    if (!conn) {
      fail(RC_NOT_AUTHORIZED, 'invalid_identity');
      return;
    }
    conn.clientId = client.id;
    checkConnect(conn, client.id, {
      limits: this.limits,
      topicPrefix: this.topicPrefix,
      revoked: this.#revoked,
      closing: this.closing,
      claims: this.#opts.onClaim !== undefined,
      limiter: this.#limiter,
      now: this.#now,
      resolveIdentity: this.#opts.resolveIdentity,
      hasLiveSession: (c) => this.#sessionHolder(c) !== undefined,
    }).then((v) => {
      if (!v.ok) {
        if (v.code) this.#securityEvent(conn, v.code, v.reason, { ...v.detail, clientId: clipId(client.id) });
        else if (v.reason === 'identity_lookup_failed')
          this.#log.error({ cn: conn.cn }, 'identity lookup failed');
        fail(v.returnCode, v.reason);
        return;
      }
      // Each kick is counted, and summarised in the audit log once a minute.
      if (v.takeover) this.#securityEvent(conn, 'VIGIL_ERR_CLIENT_ID', 'session_takeover');
      conn.identity = v.identity;
      done(null, true);
    });
  }

  /**
   * Another live, connected session of the same identity (Aedes closes it on CONNACK): same CN
   * and client id (the devices of a batch share a claim certificate, each with its own serial).
   */
  #sessionHolder(conn: BrokerConn): BrokerConn | undefined {
    for (const c of this.#conns)
      if (c !== conn && c.ready && c.cn === conn.cn && c.clientId === conn.clientId) return c;
    return undefined;
  }

  #authorizePublish(client: Client | null, packet: PublishPacket, cb: (err?: Error | null) => void): void {
    const conn = this.#connOf(client);
    const identity = conn?.identity;
    if (!conn || !identity) {
      // A will Aedes publishes for a client of another (dead) broker instance: we run no cluster.
      cb(new Error('not authorised'));
      return;
    }
    const isWill = packet === conn.will;
    // Shutting down: no new PUBACK is promised; the device keeps the message and redelivers it.
    if (this.#closing && !isWill) {
      cb(new Error('shutting down'));
      return;
    }
    const why = publishRefusal(identity, packet, this.topicPrefix);
    if (why) {
      const code: ErrorCode =
        why === 'acl_publish' || why === 'retain_not_allowed' ? 'VIGIL_ERR_ACL' : 'VIGIL_ERR_MQTT_PROTOCOL';
      this.#securityEvent(conn, code, why, { topic: clipTopic(packet.topic), qos: packet.qos });
      cb(new Error(why));
      return;
    }
    // The bucket belongs to the identity: a reconnect does not refill it. A gateway drains a
    // backlog for its devices: ten times their rate (docs/gateway.md).
    const scale = identity.kind === 'gateway' ? 10 * Math.max(1, identity.devices.size) : 1;
    if (!isWill && !this.#limiter.publish(conn.cn, this.#now(), scale)) {
      this.#securityEvent(conn, 'VIGIL_ERR_RATE_LIMIT', 'rate_limit', {
        publishRatePerSec: this.limits.publishRatePerSec,
        publishBurst: this.limits.publishBurst,
      });
      cb(new Error('rate_limit'));
      return;
    }
    if (identity.kind === 'claim' && this.#opts.onClaim) {
      const h = { onClaim: this.#opts.onClaim, log: this.#log, rejected: this.#rejectedPayloads };
      handOffClaim(conn, packet, identity.serial, h, cb);
      return;
    }
    if (identity.kind === 'gateway' && !parseDeviceTopic(this.topicPrefix, packet.topic)) {
      const h = { onStatus: this.#opts.onGatewayStatus, log: this.#log, rejected: this.#rejectedPayloads };
      handOffGatewayStatus(conn, packet, identity.name, h, cb);
      return;
    }
    // Accepted above, so it parses; the pipeline reuses this parse (InboundMessage.route).
    const route = parseDeviceTopic(this.topicPrefix, packet.topic)!;
    if (route.channel === 'state' || route.channel === 'commands') {
      cb(null);
      return;
    }
    // telemetry | events | acks: durable before PUBACK.
    handOffToSink(
      conn,
      packet,
      route,
      { sink: this.#opts.sink, log: this.#log, receivedAt: this.#now(), rejected: this.#rejectedPayloads },
      cb,
    );
  }

  #authorizeSubscribe(
    client: Client,
    sub: Subscription,
    cb: (err: Error | null, sub?: Subscription | null) => void,
  ): void {
    const conn = this.#connOf(client);
    if (conn?.identity && canSubscribe(conn.identity, sub.topic, this.topicPrefix)) {
      cb(null, sub);
      return;
    }
    // Aedes also calls this when restoring a persistent session's subscriptions, before CONNACK:
    // the ACL (or the identity's kind) may have changed since, so refused ones are also forgotten.
    const restoring = client.connecting && !client.connected;
    if (conn) {
      this.#securityEvent(conn, 'VIGIL_ERR_ACL', restoring ? 'acl_restored_subscription' : 'acl_subscribe', {
        topic: clipTopic(sub.topic),
      });
    }
    if (restoring && !client.clean) {
      const persistence = (this.#aedes as unknown as { persistence?: PersistenceLike }).persistence;
      persistence?.removeSubscriptions(client, [sub.topic]).catch((err: unknown) => {
        this.#log.error({ err }, 'could not remove a refused subscription');
      });
    }
    cb(null, null); // SUBACK 0x80 for this topic (MQTT 3.1.1 §3.9.3)
  }

  #authorizeForward(client: Client, packet: AedesPublishPacket): AedesPublishPacket | null {
    if (this.#rejectedPayloads.has(packet.payload as Buffer)) return null;
    const identity = this.#connOf(client)?.identity;
    // Second line of defence: whatever the subscription, deliver only what the ACL lets this
    // identity read (covers messages queued for offline sessions and retained messages).
    return identity && canReceive(identity, packet.topic, this.topicPrefix) ? packet : null;
  }

  #securityEvent(conn: BrokerConn, code: ErrorCode, reason: string, detail?: Record<string, unknown>): void {
    this.#emit(connEvent(conn, code, reason, detail));
  }

  #emit(ev: BrokerSecurityEvent): void {
    // The app counts, audits and logs it (summarised); this line is for debugging the broker alone.
    this.#log.debug(ev, 'broker security event');
    try {
      this.#opts.onSecurityEvent?.(ev);
    } catch (err) {
      this.#log.error({ err }, 'onSecurityEvent threw');
    }
  }
}

interface PersistenceLike {
  removeSubscriptions(client: Client, topics: string[]): Promise<void>;
}
