import type { EventEmitter } from 'node:events';
import net from 'node:net';
import tls from 'node:tls';
import { Aedes, type AedesPublishPacket, type Client, type PublishPacket, type Subscription } from 'aedes';
import { type Logger, pino } from 'pino';
import { CONFIG_DEFAULTS } from '../config/schema.ts';
import type { ErrorCode } from '../errors.ts';
import type { IngestSink } from '../ingest/ingest-sink.ts';
import { normalizeSerial } from '../pki/serial.ts';
import { TLS_SERVER_OPTIONS } from '../pki/tls-policy.ts';
import {
  assertValidTopicPrefix,
  DEFAULT_TOPIC_PREFIX,
  deviceTopic,
  parseDeviceTopic,
} from '../protocol/topics.ts';
import {
  type BrokerIdentity,
  CLAIM_CN_PREFIX,
  CLAIM_SERIAL_RE,
  canPublish,
  canReceive,
  canSubscribe,
  identityName,
  isValidIdentity,
  isValidIdentityName,
} from './acl.ts';
import { PacketGuard, type PacketGuardViolation } from './packet-guard.ts';
import { classifyTlsFailure } from './tls-failure.ts';
import { TokenBucket } from './token-bucket.ts';

/** Resource limits of the embedded broker. */
export interface BrokerLimits {
  /** Largest MQTT remaining length accepted (bytes; envelopes are <= 16 KiB). */
  maxPacketBytes: number;
  /** Time allowed for the TLS handshake and then again for the MQTT CONNECT (ms). */
  connectTimeoutMs: number;
  /** Largest keep-alive a client may ask for (s); 0 (no keep-alive) is refused too. */
  keepAliveMaxS: number;
  /** Sustained PUBLISH rate per client (per second). */
  publishRatePerSec: number;
  /** PUBLISH burst per client. */
  publishBurst: number;
  /** Concurrent TCP connections per remote address. */
  maxConnectionsPerAddress: number;
  /** Concurrent TCP connections in total. */
  maxConnections: number;
}

/** Defaults of {@link BrokerLimits}: the `mqtt.*` defaults of the config schema (the one source). */
export const DEFAULT_BROKER_LIMITS: Readonly<BrokerLimits> = Object.freeze({
  maxPacketBytes: CONFIG_DEFAULTS.mqtt.maxPacketBytes,
  connectTimeoutMs: CONFIG_DEFAULTS.mqtt.connectTimeoutMs,
  keepAliveMaxS: CONFIG_DEFAULTS.mqtt.keepAliveMaxS,
  publishRatePerSec: CONFIG_DEFAULTS.mqtt.publishRatePerSec,
  publishBurst: CONFIG_DEFAULTS.mqtt.publishBurst,
  maxConnectionsPerAddress: CONFIG_DEFAULTS.mqtt.maxConnectionsPerAddress,
  maxConnections: CONFIG_DEFAULTS.mqtt.maxConnections,
});

/** Server TLS material, all PEM. */
export interface BrokerTlsOptions {
  /** The Vigil CA: the only trust anchor for client certificates. */
  ca: string;
  /** The broker's certificate (chain) and key. */
  cert: string;
  key: string;
  /** The CA's current CRL; without it no revocation check happens at the TLS layer. */
  crl?: string;
}

/**
 * Something the operator should know about: a refused connection, subscription or publish.
 * `reason` is a short stable label for counters; `detail` holds no secret and no payload.
 */
export interface BrokerSecurityEvent {
  code: ErrorCode | string;
  reason: string;
  clientId?: string;
  cn?: string;
  address?: string;
  detail?: Record<string, unknown>;
}

/** Options of {@link EmbeddedBroker}. */
export interface EmbeddedBrokerOptions {
  /** Listen address. Default `::` (dual stack). */
  host?: string;
  /** Listen port; 0 picks a free one. Default 8883. */
  port?: number;
  tls: BrokerTlsOptions;
  /** Default `vigil/v1`. */
  topicPrefix?: string;
  limits?: Partial<BrokerLimits>;
  /** Where device telemetry, events and acks go; PUBACK is sent only after it resolved. */
  sink: IngestSink;
  /**
   * Maps an authenticated certificate (CN, lowercase hex serial) to an identity, or null when the
   * identity is unknown or disabled (CONNECT is then refused). Its name must equal the CN.
   */
  resolveIdentity(cn: string, certSerialHex: string): Promise<BrokerIdentity | null>;
  /** Called for every refusal; the app counts and audits. Must not throw (errors are logged). */
  onSecurityEvent?: (ev: BrokerSecurityEvent) => void;
  /**
   * A claim (docs/protocol.md §14) from a claim certificate; PUBACK waits for it. The claim
   * service answers on `{p}/claims/{serial}/reply` through {@link EmbeddedBroker.publish}.
   * Without it, claim connections are refused.
   */
  onClaim?: (claim: { batchCn: string; serial: string; payload: Buffer; address: string }) => Promise<void>;
  /**
   * Called once a device's SUBACK granted its `commands` topic: the moment pending commands can
   * reach it (after every reconnect, as the device subscribes again). Must not throw.
   */
  onCommandSubscription?: (deviceId: string) => void;
  logger?: Logger;
  /** Clock (ms since epoch) for `receivedAt` and rate limiting. Default `Date.now`. */
  now?: () => number;
}

/** A snapshot of {@link EmbeddedBroker.stats}. */
export interface BrokerStats {
  /** Listening address and port (undefined before start / after close). */
  address: string | undefined;
  port: number | undefined;
  /** Accepted TCP connections, in TLS handshake or later. */
  tcpConnections: number;
  /** MQTT sessions established (CONNACK sent), then by kind. */
  connected: number;
  devices: number;
  services: number;
}

/** One TLS-authenticated connection. */
interface Conn {
  guard: PacketGuard;
  address: string;
  cn: string;
  /** Canonical hex serial of the client certificate. */
  serial: string;
  /** Set by a successful authenticate. */
  identity?: BrokerIdentity;
  bucket?: TokenBucket;
  /** The CONNECT's will, to tell the will apart from a client PUBLISH. */
  will?: unknown;
  keepalive?: number;
  ready: boolean;
  /** Serialises ingest per connection so PUBACKs keep PUBLISH order (MQTT 3.1.1 §4.6). */
  chain: Promise<void>;
}

const STATE_PAYLOADS = new Set(['online', 'offline']);
const MAX_STATE_BYTES = 16;

/** CONNACK return codes (MQTT 3.1.1 §3.2.2.3). */
const RC_IDENTIFIER_REJECTED = 2;
const RC_SERVER_UNAVAILABLE = 3;
const RC_NOT_AUTHORIZED = 5;

/**
 * Vigil's embedded MQTT broker: Aedes behind a mutual-TLS listener (no plain TCP), with the
 * certificate CN as the only identity, the topic ACL of DESIGN §3, a fixed-header guard on every
 * socket, connection caps, per-client publish rate limits, and ingest-before-PUBACK.
 */
export class EmbeddedBroker {
  readonly limits: Readonly<BrokerLimits>;
  readonly topicPrefix: string;
  #opts: EmbeddedBrokerOptions;
  #log: Logger;
  #now: () => number;
  #aedes: Aedes;
  #tlsServer: tls.Server;
  #netServer: net.Server;
  #revoked = new Set<string>();
  /** Live TLS connections (removed on close). */
  #conns = new Set<Conn>();
  /** Lookup from Aedes' `client.conn`; kept after close so a will can still be authorised. */
  #connByGuard = new WeakMap<PacketGuard, Conn>();
  #rawSockets = new Set<net.Socket>();
  #rawAddress = new WeakMap<net.Socket, string>();
  #perAddress = new Map<string, number>();
  /** Payloads the sink rejected: acknowledged but never forwarded (aedes-packet keeps the Buffer). */
  #rejectedPayloads = new WeakSet<Buffer>();
  #listening: net.AddressInfo | undefined;
  #closing = false;
  /** The CRL in force (kept so a certificate or trust change keeps revocation checking on). */
  #crl: string | undefined;

  constructor(opts: EmbeddedBrokerOptions) {
    this.#opts = opts;
    this.topicPrefix = opts.topicPrefix ?? DEFAULT_TOPIC_PREFIX;
    assertValidTopicPrefix(this.topicPrefix);
    this.limits = Object.freeze({ ...DEFAULT_BROKER_LIMITS, ...stripUndefined(opts.limits ?? {}) });
    validateLimits(this.limits);
    this.#log = (opts.logger ?? pino({ level: 'silent' })).child({ component: 'broker' });
    this.#crl = opts.tls.crl;
    this.#now = opts.now ?? Date.now;

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
    this.#aedes.on('clientReady', (client) => {
      const conn = this.#connOf(client);
      if (conn) conn.ready = true;
      this.#log.info({ clientId: client.id, address: conn?.address }, 'mqtt client connected');
    });
    this.#aedes.on('clientDisconnect', (client) => {
      const conn = this.#connOf(client);
      if (conn) conn.ready = false;
      this.#log.info({ clientId: client.id }, 'mqtt client disconnected');
    });
    this.#aedes.on('subscribe', (subs, client) => {
      const identity = this.#connOf(client)?.identity;
      if (identity?.kind !== 'device' || !this.#opts.onCommandSubscription) return;
      const commands = deviceTopic(this.topicPrefix, identity.id, 'commands');
      if (subs.some((s) => s.topic === commands)) this.#opts.onCommandSubscription(identity.id);
    });
    this.#aedes.on('connectionError', (client, err) => this.#onConnectionError(client, err));
    this.#aedes.on('clientError', (client, err) => {
      this.#log.debug({ clientId: client.id, err: err.message }, 'mqtt client error');
    });
    this.#aedes.on('keepaliveTimeout', (client) => {
      this.#log.info({ clientId: client.id }, 'mqtt keep-alive timeout');
    });
    // Aedes emits 'error' on persistence failures; without a listener that would crash the process.
    (this.#aedes as EventEmitter).on('error', (err: Error) => this.#log.error({ err }, 'broker error'));

    this.#tlsServer = tls.createServer({
      ...this.#secureContextOptions(opts.tls.crl),
      requestCert: true,
      rejectUnauthorized: true,
      handshakeTimeout: this.limits.connectTimeoutMs,
    });
    this.#tlsServer.on('secureConnection', (socket) => this.#onSecureConnection(socket));
    this.#tlsServer.on('tlsClientError', (err, socket) => this.#onTlsClientError(err, socket));

    // Connections are accepted (and counted) here, then handed to the TLS server, which never
    // listens itself: there is no plain-TCP path to the broker.
    this.#netServer = net.createServer({ noDelay: true }, (raw) => this.#onTcpConnection(raw));
    this.#netServer.on('error', (err) => this.#log.error({ err }, 'listener error'));
  }

  /** Starts listening; resolves with the bound port. */
  async start(): Promise<number> {
    if (this.#listening) return this.#listening.port;
    await this.#aedes.listen();
    await new Promise<void>((resolve, reject) => {
      const onError = (err: Error) => reject(err);
      this.#netServer.once('error', onError);
      this.#netServer.listen(
        {
          host: this.#opts.host ?? CONFIG_DEFAULTS.mqtt.host,
          port: this.#opts.port ?? CONFIG_DEFAULTS.mqtt.port,
        },
        () => {
          this.#netServer.off('error', onError);
          resolve();
        },
      );
    });
    this.#listening = this.#netServer.address() as net.AddressInfo;
    this.#log.info({ address: this.#listening.address, port: this.#listening.port }, 'mqtts listening');
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
    this.#crl = crlPem;
    this.#tlsServer.setSecureContext(this.#secureContextOptions(crlPem));
    this.#revoked = new Set(revokedSerialsHex.map(normalizeSerial).filter((s) => s !== ''));
    let dropped = 0;
    for (const conn of [...this.#conns]) {
      if (!this.#revoked.has(conn.serial)) continue;
      this.#securityEvent(conn, 'VIGIL_ERR_CERT_REVOKED', 'cert_revoked', { live: true });
      this.#drop(conn);
      dropped++;
    }
    if (dropped > 0) this.#log.warn({ dropped }, 'dropped connections of revoked certificates');
    return dropped;
  }

  /**
   * Publishes a server message (a sealed command; a claim reply, retained) QoS 1. Aedes delivers it to the
   * subscribed device through the forward ACL; nobody but Vigil publishes this way.
   */
  publish(topic: string, payload: string | Buffer, retain = false): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#aedes.publish(
        { cmd: 'publish', topic, payload: Buffer.from(payload), qos: 1, retain, dup: false },
        (err) => (err ? reject(err) : resolve()),
      );
    });
  }

  /**
   * Swaps the server certificate and key, or the trusted client CAs (during a CA rollover), for
   * new handshakes without a restart (`setSecureContext`); live sessions are not touched.
   */
  updateTls(change: { cert?: string; key?: string; ca?: string }): void {
    const next = { ...this.#opts.tls, ...change };
    // Build first: a bad key or certificate throws here and changes nothing.
    tls.createSecureContext(this.#secureContextOptionsFor(next, this.#crl));
    this.#opts = { ...this.#opts, tls: next };
    this.#tlsServer.setSecureContext(this.#secureContextOptions(this.#crl));
  }

  /** Closes every connection of this identity (a disabled device, say). Returns how many. */
  disconnect(identity: string): number {
    let n = 0;
    for (const conn of [...this.#conns]) {
      if (conn.cn !== identity) continue;
      this.#drop(conn);
      n++;
    }
    if (n > 0) this.#log.info({ identity, connections: n }, 'disconnected identity');
    return n;
  }

  stats(): BrokerStats {
    let devices = 0;
    let services = 0;
    for (const conn of this.#conns) {
      if (!conn.ready || !conn.identity) continue;
      if (conn.identity.kind === 'device') devices++;
      else services++;
    }
    return {
      address: this.#listening?.address,
      port: this.#listening?.port,
      tcpConnections: this.#rawSockets.size,
      connected: devices + services,
      devices,
      services,
    };
  }

  /** Stops listening, closes every client (wills are published) and stops Aedes. */
  async close(): Promise<void> {
    if (this.#closing) return;
    this.#closing = true;
    const listenerClosed = this.#listening
      ? new Promise<void>((resolve) => this.#netServer.close(() => resolve()))
      : Promise.resolve();
    await new Promise<void>((resolve) => this.#aedes.close(() => resolve()));
    for (const conn of this.#conns) conn.guard.destroy();
    for (const raw of this.#rawSockets) raw.destroy();
    await listenerClosed;
    this.#listening = undefined;
    this.#log.info('mqtts closed');
  }

  // ---- connection accept and TLS -------------------------------------------------------------

  #secureContextOptions(crl: string | undefined): tls.SecureContextOptions {
    return this.#secureContextOptionsFor(this.#opts.tls, crl);
  }

  #secureContextOptionsFor(t: BrokerTlsOptions, crl: string | undefined): tls.SecureContextOptions {
    const { ca, cert, key } = t;
    return {
      ca,
      cert,
      key,
      // One CRL per root during a CA rollover: Node reads one CRL per array entry.
      ...(crl ? { crl: crl.match(/-----BEGIN X509 CRL-----[\s\S]*?-----END X509 CRL-----\n?/g) ?? crl } : {}),
      ...TLS_SERVER_OPTIONS,
    };
  }

  #onTcpConnection(raw: net.Socket): void {
    raw.on('error', () => {}); // the TLS layer reports handshake failures
    const address = normalizeAddress(raw.remoteAddress);
    if (this.#closing) {
      raw.destroy();
      return;
    }
    if (this.#rawSockets.size >= this.limits.maxConnections) {
      raw.destroy();
      this.#emit({ code: 'VIGIL_ERR_CONNECTION_LIMIT', reason: 'connection_limit', address });
      return;
    }
    const perAddress = this.#perAddress.get(address) ?? 0;
    if (perAddress >= this.limits.maxConnectionsPerAddress) {
      raw.destroy();
      this.#emit({ code: 'VIGIL_ERR_CONNECTION_LIMIT', reason: 'address_connection_limit', address });
      return;
    }
    this.#rawSockets.add(raw);
    this.#perAddress.set(address, perAddress + 1);
    this.#rawAddress.set(raw, address);
    raw.once('close', () => {
      this.#rawSockets.delete(raw);
      const left = (this.#perAddress.get(address) ?? 1) - 1;
      if (left > 0) this.#perAddress.set(address, left);
      else this.#perAddress.delete(address);
    });
    this.#tlsServer.emit('connection', raw);
  }

  #addressOf(socket: tls.TLSSocket): string {
    // Node keeps the wrapped TCP socket as `_parent`; after a failed handshake the TLS socket has
    // already lost its handle and its remoteAddress.
    const parent = (socket as unknown as { _parent?: net.Socket })._parent;
    return (parent && this.#rawAddress.get(parent)) ?? normalizeAddress(socket.remoteAddress);
  }

  #onTlsClientError(err: Error, socket: tls.TLSSocket): void {
    const f = classifyTlsFailure(err, socket.authorizationError);
    const detail: Record<string, unknown> = {};
    if (f.errorCode) detail.errorCode = f.errorCode;
    if (f.verifyError) detail.verifyError = f.verifyError;
    this.#emit({
      code: f.reason === 'cert_revoked' ? 'VIGIL_ERR_CERT_REVOKED' : 'VIGIL_ERR_TLS_AUTH',
      reason: f.reason,
      address: this.#addressOf(socket),
      detail,
    });
    socket.destroy();
  }

  #onSecureConnection(socket: tls.TLSSocket): void {
    const address = this.#addressOf(socket);
    socket.on('error', () => {}); // the guard / Aedes see errors through the guard
    if (this.#closing || !socket.authorized) {
      socket.destroy();
      return;
    }
    const cert = socket.getPeerCertificate();
    const cn = cert?.subject?.CN as unknown;
    const serial = normalizeSerial(cert?.serialNumber ?? '');
    // Exactly one CN, and a valid identity name (DESIGN §2); an array means several CNs.
    if (typeof cn !== 'string' || !isValidIdentityName(cn)) {
      this.#emit({
        code: 'VIGIL_ERR_IDENTITY',
        reason: 'invalid_identity',
        address,
        detail: { cn: typeof cn === 'string' ? cn.slice(0, 80) : typeof cn },
      });
      socket.destroy();
      return;
    }
    // A resumed TLS session skips chain verification, so the CRL may not have been consulted.
    if (this.#revoked.has(serial)) {
      this.#emit({ code: 'VIGIL_ERR_CERT_REVOKED', reason: 'cert_revoked', cn, address });
      socket.destroy();
      return;
    }
    const guard = new PacketGuard(socket, {
      maxPacketBytes: this.limits.maxPacketBytes,
      onViolation: (v) => this.#onGuardViolation(conn, v),
    });
    const conn: Conn = { guard, address, cn, serial, ready: false, chain: Promise.resolve() };
    this.#conns.add(conn);
    this.#connByGuard.set(guard, conn);
    guard.once('close', () => this.#conns.delete(conn));
    this.#aedes.handle(guard);
  }

  #onGuardViolation(conn: Conn, v: PacketGuardViolation): void {
    const detail: Record<string, unknown> = { packetType: v.packetType };
    if (v.remainingLength !== undefined) detail.remainingLength = v.remainingLength;
    if (v.reason === 'packet_too_large') detail.maxPacketBytes = this.limits.maxPacketBytes;
    const code: ErrorCode =
      v.reason === 'packet_too_large' ? 'VIGIL_ERR_PACKET_SIZE' : 'VIGIL_ERR_MQTT_PROTOCOL';
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

  #connOf(client: Client | null | undefined): Conn | undefined {
    return client ? this.#connByGuard.get(client.conn as PacketGuard) : undefined;
  }

  #drop(conn: Conn): void {
    conn.guard.destroy();
  }

  // ---- MQTT hooks ----------------------------------------------------------------------------

  #authenticate(
    client: Client,
    done: (err: (Error & { returnCode: number }) | null, ok: boolean | null) => void,
  ) {
    const conn = this.#connOf(client);
    const refuse = (
      returnCode: number,
      code: ErrorCode,
      reason: string,
      detail?: Record<string, unknown>,
    ) => {
      if (conn) this.#securityEvent(conn, code, reason, { ...detail, clientId: clipId(client.id) });
      done(Object.assign(new Error(reason), { returnCode }), false);
    };
    if (!conn) return refuse(RC_NOT_AUTHORIZED, 'VIGIL_ERR_IDENTITY', 'invalid_identity');
    // The certificate is the identity: username/password are ignored, the client id must be the CN
    // (a claim certificate, shared by a batch, connects with the device's serial instead).
    const claimClient =
      conn.cn.startsWith(CLAIM_CN_PREFIX) && CLAIM_SERIAL_RE.test(client.id) && !!this.#opts.onClaim;
    if (client.id !== conn.cn && !claimClient)
      return refuse(RC_IDENTIFIER_REJECTED, 'VIGIL_ERR_CLIENT_ID', 'client_id_mismatch');
    if (this.#revoked.has(conn.serial))
      return refuse(RC_NOT_AUTHORIZED, 'VIGIL_ERR_CERT_REVOKED', 'cert_revoked');
    const keepalive = conn.keepalive ?? 0;
    if (keepalive <= 0 || keepalive > this.limits.keepAliveMaxS) {
      return refuse(RC_NOT_AUTHORIZED, 'VIGIL_ERR_MQTT_PROTOCOL', 'keepalive_invalid', {
        keepalive,
        keepAliveMaxS: this.limits.keepAliveMaxS,
      });
    }
    this.#opts.resolveIdentity(conn.cn, conn.serial).then(
      (resolved) => {
        if (!resolved) return refuse(RC_NOT_AUTHORIZED, 'VIGIL_ERR_IDENTITY', 'unknown_identity');
        // A claim identity is bound to the serial it connected as; any other identity to its CN.
        if ((resolved.kind === 'claim') !== (client.id !== conn.cn))
          return refuse(RC_IDENTIFIER_REJECTED, 'VIGIL_ERR_CLIENT_ID', 'client_id_mismatch');
        const identity: BrokerIdentity =
          resolved.kind === 'claim' ? { ...resolved, serial: client.id } : resolved;
        if (!isValidIdentity(identity) || identityName(identity) !== conn.cn) {
          return refuse(RC_NOT_AUTHORIZED, 'VIGIL_ERR_IDENTITY', 'invalid_identity');
        }
        if (conn.will) {
          const will = conn.will as PublishPacket;
          const why = this.#publishRefusal(identity, will);
          if (why) return refuse(RC_NOT_AUTHORIZED, 'VIGIL_ERR_ACL', 'will_not_allowed', { will: why });
        }
        conn.identity = identity;
        conn.bucket = new TokenBucket(this.limits.publishRatePerSec, this.limits.publishBurst, this.#now());
        done(null, true);
      },
      (err: unknown) => {
        this.#log.error({ err, cn: conn.cn }, 'identity lookup failed');
        done(
          Object.assign(new Error('identity lookup failed'), { returnCode: RC_SERVER_UNAVAILABLE }),
          false,
        );
      },
    );
  }

  /** Static checks shared by PUBLISH and the will: ACL, retain only on state, state payloads. */
  #publishRefusal(identity: BrokerIdentity, packet: { topic: string; payload: unknown; retain?: boolean }) {
    if (typeof packet.topic !== 'string' || packet.topic.startsWith('$SYS')) return 'acl_publish';
    if (!canPublish(identity, packet.topic, this.topicPrefix)) return 'acl_publish';
    if (identity.kind === 'claim') return packet.retain ? 'retain_not_allowed' : null;
    const t = parseDeviceTopic(this.topicPrefix, packet.topic);
    if (!t) return 'acl_publish';
    if (packet.retain && t.channel !== 'state') return 'retain_not_allowed';
    if (t.channel === 'state' && !isStatePayload(packet.payload)) return 'state_payload';
    return null;
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
    const why = this.#publishRefusal(identity, packet);
    if (why) {
      const code: ErrorCode = why === 'state_payload' ? 'VIGIL_ERR_MQTT_PROTOCOL' : 'VIGIL_ERR_ACL';
      this.#securityEvent(conn, code, why, { topic: clipTopic(packet.topic) });
      cb(new Error(why));
      return;
    }
    if (!isWill && !conn.bucket!.take(this.#now())) {
      this.#securityEvent(conn, 'VIGIL_ERR_RATE_LIMIT', 'rate_limit', {
        publishRatePerSec: this.limits.publishRatePerSec,
        publishBurst: this.limits.publishBurst,
      });
      cb(new Error('rate_limit'));
      return;
    }
    if (identity.kind === 'claim') {
      // A claim goes to the claim service, never to ingest or to another subscriber.
      const payload = Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload);
      this.#rejectedPayloads.add(payload);
      const done = (this.#opts.onClaim ?? (async () => {}))({
        batchCn: conn.cn,
        serial: identity.serial,
        payload,
        address: conn.address,
      }).then(
        () => null,
        (err: unknown) => {
          this.#log.error({ err, clientId: identity.serial }, 'claim handling failed; not acknowledging');
          return err instanceof Error ? err : new Error('claim failed');
        },
      );
      conn.chain = conn.chain.then(async () => cb(await done));
      return;
    }
    const channel = parseDeviceTopic(this.topicPrefix, packet.topic)!.channel;
    if (channel === 'state' || channel === 'commands') {
      cb(null);
      return;
    }
    // telemetry | events | acks: durable before PUBACK (the callback releases it).
    const payload = Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload);
    const msg = {
      topic: packet.topic,
      payload,
      receivedAt: this.#now(),
      publisher: conn.cn,
      address: conn.address,
    };
    // Ingest starts at once, so one client's messages share a group commit; only the callbacks
    // are chained, so PUBACKs still leave in PUBLISH order (MQTT 3.1.1 §4.6).
    const outcome = this.#opts.sink.ingest(msg).then(
      (res) => {
        // Rejected by the pipeline (counted and audited there): acknowledge, never forward.
        if (!res.ok) this.#rejectedPayloads.add(payload);
        return null;
      },
      (err: unknown) => {
        // Storage failed: no PUBACK; Aedes closes the connection and the device redelivers.
        this.#log.error({ err, clientId: conn.cn }, 'ingest failed; not acknowledging');
        return err instanceof Error ? err : new Error('ingest failed');
      },
    );
    conn.chain = conn.chain.then(async () => cb(await outcome));
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
    if (!identity || !canReceive(identity, packet.topic, this.topicPrefix)) return null;
    return packet;
  }

  // ---- events --------------------------------------------------------------------------------

  #securityEvent(conn: Conn, code: ErrorCode, reason: string, detail?: Record<string, unknown>): void {
    const ev: BrokerSecurityEvent = { code, reason, cn: conn.cn, address: conn.address };
    const clientId = detail?.clientId;
    if (typeof clientId === 'string') ev.clientId = clientId;
    else if (conn.identity) ev.clientId = conn.cn;
    if (detail) {
      const { clientId: _omit, ...rest } = detail;
      if (Object.keys(rest).length > 0) ev.detail = rest;
    }
    this.#emit(ev);
  }

  #emit(ev: BrokerSecurityEvent): void {
    this.#log.warn(ev, 'broker security event');
    try {
      this.#opts.onSecurityEvent?.(ev);
    } catch (err) {
      this.#log.error({ err }, 'onSecurityEvent threw');
    }
  }
}

/** Creates and starts an {@link EmbeddedBroker}. */
export async function startEmbeddedBroker(opts: EmbeddedBrokerOptions): Promise<EmbeddedBroker> {
  const broker = new EmbeddedBroker(opts);
  try {
    await broker.start();
  } catch (err) {
    await broker.close().catch(() => {});
    throw err;
  }
  return broker;
}

interface PersistenceLike {
  removeSubscriptions(client: Client, topics: string[]): Promise<void>;
}

function isStatePayload(payload: unknown): boolean {
  const buf = Buffer.isBuffer(payload) ? payload : typeof payload === 'string' ? Buffer.from(payload) : null;
  return buf !== null && buf.length <= MAX_STATE_BYTES && STATE_PAYLOADS.has(buf.toString('latin1'));
}

function normalizeAddress(address: string | undefined): string {
  if (!address) return 'unknown';
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}

function clipTopic(topic: unknown): string {
  return typeof topic === 'string' ? topic.slice(0, 200) : String(typeof topic);
}

function clipId(id: unknown): string {
  return typeof id === 'string' ? id.slice(0, 80) : '';
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function validateLimits(l: BrokerLimits): void {
  for (const [k, v] of Object.entries(l)) {
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) {
      throw new RangeError(`broker limit ${k} must be a positive number`);
    }
  }
  if (l.publishBurst < 1) throw new RangeError('publishBurst must be >= 1');
}
