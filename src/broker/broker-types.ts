import type { Logger } from 'pino';
import type { ErrorCode } from '../errors.ts';
import type { IngestSink } from '../ingest/ingest-sink.ts';
import type { FdBudget } from '../net/fd-budget.ts';
import type { BrokerIdentity } from './acl.ts';
import type { BrokerLimits } from './broker-limits.ts';
import type { PacketGuard } from './packet-guard.ts';

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
  /**
   * TLS offload workers (`mqtt.listenerWorkers`, 0..16): TCP and TLS on that many worker threads
   * sharing the port (SO_REUSEPORT), MQTT and every broker rule on this thread. Default 0: all here.
   */
  listenerWorkers?: number;
  tls: BrokerTlsOptions;
  /** Default `vigil/v1`. */
  topicPrefix?: string;
  limits?: Partial<BrokerLimits>;
  /** The process's file-descriptor budget, shared with the HTTPS listener. */
  fdBudget?: FdBudget;
  /** Where device telemetry, events and acks go; PUBACK is sent only after it resolved. */
  sink: IngestSink;
  /**
   * Maps an authenticated certificate (CN, lowercase hex serial) to an identity, `'disabled'` for
   * a registered device that is disabled, or null when the identity is unknown (CONNECT is
   * refused in both cases, counted as `device_disabled` or `unknown_identity`). Its name must
   * equal the CN.
   */
  resolveIdentity(cn: string, certSerialHex: string): Promise<BrokerIdentity | 'disabled' | null>;
  /** Called for every refusal; the app counts and audits. Must not throw (errors are logged). */
  onSecurityEvent?: (ev: BrokerSecurityEvent) => void;
  /**
   * A claim (docs/protocol.md §14) from a claim certificate; PUBACK waits for it. The claim
   * service answers on `{p}/claims/{serial}/reply` through {@link EmbeddedBroker.publish}.
   * Without it, claim connections are refused.
   */
  onClaim?: (claim: BrokerClaim) => Promise<void>;
  /**
   * Called once a device's SUBACK granted its `commands` topic: the moment pending commands can
   * reach it (after every reconnect, as the device subscribes again). Must not throw.
   */
  onCommandSubscription?: (deviceId: string) => void;
  /** A gateway's status report or last will on `{p}/gateways/{id}/status` (docs/gateway.md). */
  onGatewayStatus?: (gatewayId: string, payload: Buffer) => Promise<void>;
  logger?: Logger;
  /** Clock (ms since epoch) for `receivedAt` and rate limiting. Default `Date.now`. */
  now?: () => number;
}

/** A claim as the broker hands it over: the batch's certificate CN, the serial it connected as. */
export interface BrokerClaim {
  batchCn: string;
  serial: string;
  payload: Buffer;
  address: string;
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
  /** accept() failures for lack of file descriptors (EMFILE/ENFILE) since start. */
  acceptErrors: number;
}

/** One TLS-authenticated connection. */
export interface BrokerConn {
  guard: PacketGuard;
  address: string;
  cn: string;
  /** Canonical hex serial of the client certificate. */
  serial: string;
  /**
   * The MQTT client id, set at CONNECT: the CN, except for a claim certificate (shared by a
   * batch), which connects as the device's serial.
   */
  clientId?: string;
  /** Set by a successful authenticate. */
  identity?: BrokerIdentity;
  /** The CONNECT's will, to tell the will apart from a client PUBLISH. */
  will?: unknown;
  keepalive?: number;
  ready: boolean;
  /** Serialises ingest per connection so PUBACKs keep PUBLISH order (MQTT 3.1.1 §4.6). */
  chain: Promise<void>;
}

/** The security event of one connection; `detail.clientId` (if any) becomes the event's clientId. */
export function connEvent(
  conn: BrokerConn,
  code: ErrorCode,
  reason: string,
  detail?: Record<string, unknown>,
): BrokerSecurityEvent {
  const ev: BrokerSecurityEvent = { code, reason, cn: conn.cn, address: conn.address };
  const clientId = detail?.clientId;
  if (typeof clientId === 'string') ev.clientId = clientId;
  else if (conn.identity) ev.clientId = conn.cn;
  if (detail) {
    const { clientId: _omit, ...rest } = detail;
    if (Object.keys(rest).length > 0) ev.detail = rest;
  }
  return ev;
}

/** Topics and client ids in events are the client's input: bounded. */
export function clipTopic(topic: unknown): string {
  return typeof topic === 'string' ? topic.slice(0, 200) : String(typeof topic);
}

/** See clipTopic. */
export function clipId(id: unknown): string {
  return typeof id === 'string' ? id.slice(0, 80) : '';
}

/** MQTT sessions established (CONNACK sent), then by kind (a claim certificate counts as a service). */
export function sessionCounts(
  conns: Iterable<BrokerConn>,
): Pick<BrokerStats, 'connected' | 'devices' | 'services'> {
  let devices = 0;
  let services = 0;
  for (const conn of conns) {
    if (!conn.ready || !conn.identity) continue;
    if (conn.identity.kind === 'device') devices++;
    else services++;
  }
  return { connected: devices + services, devices, services };
}
