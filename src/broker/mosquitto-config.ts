/**
 * Configuration for running Vigil behind an external Eclipse Mosquitto 2.x broker (DESIGN §1-§3),
 * pure: no I/O, no clock. {@link mosquittoConf} writes `mosquitto.conf`, {@link mosquittoAcl} the
 * `acl_file` that enforces the topic rules of DESIGN §3 with Mosquitto's own ACL engine.
 *
 * Identity: with `require_certificate true` and `use_identity_as_username true` the username is
 * the client certificate's CN (mosquitto.conf(5), "use_identity_as_username"), so `%u` in a
 * `pattern` rule is the device id. `use_username_as_clientid true` replaces the client id with
 * that username, so a device cannot take over (disconnect) another client's session by using its
 * client id, and the MQTT client id always equals the CN as DESIGN §2 requires.
 */
import { MOSQUITTO_TLS12_CIPHERS } from '../pki/tls-policy.ts';
import {
  assertValidTopicPrefix,
  DEFAULT_TOPIC_PREFIX,
  DEVICE_UPLINK_CHANNELS,
  gatewayTopic,
  INGEST_CHANNELS,
} from '../protocol/topics.ts';
import { CLAIM_CN_PREFIX, isValidIdentityName } from './acl.ts';

/**
 * Largest MQTT fixed header: one type byte plus a remaining length of at most four bytes
 * (MQTT 3.1.1 §2.2.3, v5 §2.1.4). Mosquitto's `max_packet_size` counts the whole packet, while
 * `mqtt.maxPacketBytes` caps the remaining length, so the broker limit is the sum.
 */
export const MQTT_FIXED_HEADER_MAX_BYTES = 5;

/** The backend identity the ingest link connects as (certificate CN = MQTT username = client id). */
export const INGEST_SERVICE_NAME = 'vigil-ingest';

/** The identity of ingest worker `n` (`vigil start --role ingest`): `vigil-ingest-1`, `-2`, ... */
export function ingestWorkerName(n: number): string {
  return `${INGEST_SERVICE_NAME}-${n}`;
}

/**
 * Mosquitto's counters the backend identities follow (mosquitto(8), "$SYS topics"): the total of
 * PUBLISH messages the broker dropped because of its in-flight or queue limits (a lost reading
 * that a device saw acknowledged), and the messages and bytes it holds. The ACL grants the
 * services exactly these, nothing else under `$SYS`.
 */
export const BROKER_STAT_TOPICS = [
  '$SYS/broker/publish/messages/dropped',
  '$SYS/broker/store/messages/count',
  '$SYS/broker/store/messages/bytes',
] as const;

/**
 * Queue limits for the backend sessions: what a fleet publishing `ratePerSec` messages sends
 * during `maxOutageMinutes` without any ingest worker, plus 20 % headroom (never below 10,000
 * messages). Bytes at `avgMessageBytes` each (an envelope of a few samples is 300-700 bytes).
 * Mosquitto keeps queued messages in memory: budget about twice `maxBytes` of RAM for it.
 */
export function queueLimits(o: { ratePerSec: number; maxOutageMinutes: number; avgMessageBytes?: number }): {
  maxMessages: number;
  maxBytes: number;
} {
  const maxMessages = Math.max(10_000, Math.ceil(o.ratePerSec * o.maxOutageMinutes * 60 * 1.2));
  return { maxMessages, maxBytes: maxMessages * (o.avgMessageBytes ?? 1024) };
}

/** Absolute paths of the files Mosquitto reads (and the directory it writes its database into). */
export interface MosquittoFiles {
  /** The Vigil root CA (trust anchor for client certificates). */
  cafile: string;
  /** The Vigil server certificate and its unencrypted key. */
  certfile: string;
  keyfile: string;
  /** The Vigil CRL (PEM); Mosquitto refuses every client once its nextUpdate has passed. */
  crlfile: string;
  /** The ACL written by {@link mosquittoAcl}. */
  aclFile: string;
  /** Directory for `mosquitto.db`. */
  persistenceDir: string;
}

/** Options of {@link mosquittoConf}. */
export interface MosquittoConfOptions {
  /** TCP port of the only listener (1-65535). */
  port: number;
  /**
   * Address the listener binds to (an IP address or host name). `::` (Vigil's dual-stack default)
   * or undefined: every IPv4 and IPv6 address. Mosquitto binds `listener <port> ::` to IPv6 only,
   * so that form is not written; the host is left out, which binds both families.
   */
  host?: string | undefined;
  files: MosquittoFiles;
  /** `mqtt.maxPacketBytes`: the largest remaining length accepted. */
  maxPacketBytes: number;
  /** Queue limits per client session (see {@link queueLimits}); default for 1,000 msg/s over 60 min. */
  queue?: { maxMessages: number; maxBytes: number; ratePerSec?: number; maxOutageMinutes?: number };
  /** Seconds between saves of the in-memory store to `mosquitto.db` (default 10). */
  autosaveIntervalS?: number;
  /** How long the broker keeps an offline persistent session (default 7 days). */
  sessionExpiry?: string;
  /**
   * The user Mosquitto switches to when started as root (mosquitto.conf(5) "user"). It drops
   * privileges right after reading the configuration, before it opens the certificate, key, CRL,
   * ACL and database, so they must be readable (the database directory writable) by that user.
   * Omitted: Mosquitto's default (`mosquitto`, else `nobody`).
   */
  user?: string;
}

/** Options of {@link mosquittoAcl}. */
export interface MosquittoAclOptions {
  /** Default `vigil/v1`. */
  topicPrefix?: string;
  /** Backend identities (certificate CNs) that read device uplinks and write commands. Default `vigil-ingest`. */
  services?: readonly string[];
  /** Claim certificate CNs (`claim-<batch>`): may publish claims and read their replies only. */
  claimIdentities?: readonly string[];
  /**
   * Gateways (docs/gateway.md), revoked ones left out: each relays for exactly its bound devices
   * and reports on its own status topic.
   */
  gateways?: readonly { id: string; devices: readonly string[] }[];
}

/** Generates `mosquitto.conf`: one mTLS listener, certificate CN as identity, default-deny ACL file. */
export function mosquittoConf(opts: MosquittoConfOptions): string {
  const { port, host, files, maxPacketBytes, user } = opts;
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new TypeError(`mosquitto config: port must be 1-65535, got ${String(port)}`);
  }
  // One token on the `listener` line: an IP address or a host name, nothing that could end the line.
  if (host !== undefined && (typeof host !== 'string' || !/^[A-Za-z0-9.:-]{1,253}$/.test(host))) {
    throw new TypeError(`mosquitto config: invalid listener host ${JSON.stringify(host)}`);
  }
  const bind = host === undefined || host === '::' ? '' : ` ${host}`;
  if (!Number.isInteger(maxPacketBytes) || maxPacketBytes < 1024 || maxPacketBytes > 256 * 1024 * 1024) {
    throw new TypeError('mosquitto config: maxPacketBytes must be an integer from 1024');
  }
  if (user !== undefined && !/^[a-z_][a-z0-9_-]{0,31}$/.test(user)) {
    throw new TypeError(`mosquitto config: invalid user ${JSON.stringify(user)}`);
  }
  for (const [name, path] of Object.entries(files)) checkPath(name, path);
  const dir = files.persistenceDir.endsWith('/') ? files.persistenceDir : `${files.persistenceDir}/`;
  const queue = opts.queue ?? {
    ...queueLimits({ ratePerSec: 1000, maxOutageMinutes: 60 }),
    ratePerSec: 1000,
    maxOutageMinutes: 60,
  };
  if (
    !Number.isInteger(queue.maxMessages) ||
    queue.maxMessages < 1 ||
    !Number.isInteger(queue.maxBytes) ||
    queue.maxBytes < 1
  ) {
    throw new TypeError('mosquitto config: queue limits must be positive integers');
  }
  const queueWhy =
    queue.ratePerSec !== undefined && queue.maxOutageMinutes !== undefined
      ? `mqtt.external.maxOutageMinutes = ${queue.maxOutageMinutes} at ${queue.ratePerSec} msg/s (+20 %)`
      : 'the given limits';
  const autosave = opts.autosaveIntervalS ?? 10;
  if (!Number.isInteger(autosave) || autosave < 1 || autosave > 86_400) {
    throw new TypeError('mosquitto config: autosaveIntervalS must be 1-86400');
  }
  const expiry = opts.sessionExpiry ?? '7d';
  if (!/^\d{1,5}[hdwmy]$/.test(expiry)) throw new TypeError('mosquitto config: sessionExpiry like 7d');
  const lines = [
    '# Generated by `vigil mosquitto-config`. Re-run it to refresh the CRL and certificates, then',
    '# send SIGHUP to mosquitto (it re-reads certfile, keyfile and crlfile on reload).',
    '# Eclipse Mosquitto 2.x; see mosquitto.conf(5).',
    '',
    '# Authentication and access control are global (apply to the one listener below).',
    'per_listener_settings false',
    'allow_anonymous false',
    `acl_file ${files.aclFile}`,
    '',
    '# Largest whole MQTT packet: mqtt.maxPacketBytes of remaining length + the fixed header.',
    `max_packet_size ${maxPacketBytes + MQTT_FIXED_HEADER_MAX_BYTES}`,
    '',
    '# Sessions and queued QoS 1 messages survive a broker restart (the ingest link keeps a session).',
    '# Mosquitto writes its in-memory store to mosquitto.db every autosave_interval seconds and on a',
    '# clean stop; a crash (kill -9, power loss) loses what arrived since the last save.',
    'persistence true',
    `persistence_location ${dir}`,
    `autosave_interval ${autosave}`,
    '',
    '# Lossless for the backend identities: a persistent session (clean start off) outlives an outage',
    '# of every ingest worker, and its queue holds what the fleet sends meanwhile. Sized for',
    `# ${queueWhy}.`,
    "# Mosquitto's defaults (1000 queued, 20 in flight) dropped 97 % of a 100,000-message burst.",
    `persistent_client_expiration ${expiry}`,
    `max_queued_messages ${queue.maxMessages}`,
    `max_queued_bytes ${queue.maxBytes}`,
    '# In flight per client; an MQTT v5 client (the ingest link) caps it with its Receive Maximum.',
    'max_inflight_messages 1024',
    '# $SYS counters (dropped messages, store size) are published this often; Vigil follows them.',
    'sys_interval 10',
    ...(user !== undefined
      ? ['', '# Started as root, mosquitto switches to this user at once.', `user ${user}`]
      : []),
    '',
    '# The only listener: MQTT over mutual TLS. There is no plain-TCP listener (DESIGN §3).',
    `listener ${port}${bind}`,
    `cafile ${files.cafile}`,
    `certfile ${files.certfile}`,
    `keyfile ${files.keyfile}`,
    `crlfile ${files.crlfile}`,
    'require_certificate true',
    'use_identity_as_username true',
    'use_username_as_clientid true',
    '# Minimum version; TLS 1.3 stays enabled.',
    'tls_version tlsv1.2',
    `ciphers ${MOSQUITTO_TLS12_CIPHERS}`,
    '',
  ];
  return lines.join('\n');
}

/**
 * Generates the ACL file (DESIGN §3). Mosquitto denies whatever no rule grants, so `#` and
 * `$SYS/#` match nothing here.
 *
 * - every client (pattern, `%u` = certificate CN): write its own telemetry, events, acks, state;
 *   read its own commands.
 * - each service (`user <cn>`): read every device's uplinks, write every device's commands, and
 *   nothing under `<prefix>/devices/<cn>/` (which the patterns would otherwise grant it); read
 *   gateway status, write gateway config.
 * - each gateway (`user <gw>`): write the telemetry, events and acks of each device bound to it
 *   and read their commands; write its own status, read its own config; nothing under
 *   `<prefix>/devices/<gw>/` (the acl of the embedded broker, src/broker/acl.ts).
 *
 * Mosquitto applies read rules to SUBSCRIBE and again to each message it delivers, so a broad
 * filter only ever carries what the client may read.
 */
export function mosquittoAcl(opts: MosquittoAclOptions = {}): string {
  const prefix = opts.topicPrefix ?? DEFAULT_TOPIC_PREFIX;
  assertValidTopicPrefix(prefix);
  // On top of the topic rules: an ACL line ends at a newline, and `%` would start a substitution.
  if (/[\s%\u0000-\u001f\u007f]/.test(prefix)) {
    throw new TypeError(`mosquitto acl: topic prefix ${JSON.stringify(prefix)} has whitespace or %`);
  }
  const services = [...new Set(opts.services ?? [INGEST_SERVICE_NAME])];
  if (services.length === 0) throw new TypeError('mosquitto acl: at least one service identity is needed');
  for (const s of services) {
    if (!isValidIdentityName(s))
      throw new TypeError(`mosquitto acl: invalid service name ${JSON.stringify(s)}`);
  }
  const devices = `${prefix}/devices`;
  const claimCns = [...new Set(opts.claimIdentities ?? [])];
  for (const c of claimCns) {
    if (!isValidIdentityName(c) || !c.startsWith(CLAIM_CN_PREFIX))
      throw new TypeError(`mosquitto acl: invalid claim identity ${JSON.stringify(c)}`);
  }
  const gateways = opts.gateways ?? [];
  for (const g of gateways) {
    if (!isValidIdentityName(g.id))
      throw new TypeError(`mosquitto acl: invalid gateway id ${JSON.stringify(g.id)}`);
    for (const d of g.devices) {
      if (!isValidIdentityName(d))
        throw new TypeError(`mosquitto acl: invalid device id ${JSON.stringify(d)} of gateway ${g.id}`);
    }
  }
  const lines = [
    '# Generated by `vigil mosquitto-config` (DESIGN §3). Default deny: what is not granted is refused.',
    '# The username is the client certificate CN (use_identity_as_username).',
    '',
    '# Devices: publish only to their own uplink topics, subscribe only to their own commands.',
    '# (Pattern rules apply to every user; each service block below denies them back to the service.)',
    ...DEVICE_UPLINK_CHANNELS.map((c) => `pattern write ${devices}/%u/${c}`),
    `pattern read ${devices}/%u/commands`,
  ];
  for (const s of services) {
    lines.push(
      '',
      `# Backend service ${s}: reads every device's uplinks (also as $share/<group>/...), sends commands.`,
      `user ${s}`,
      // Deny rules are checked before any grant, the patterns above included (mosquitto.conf(5)).
      `topic deny ${devices}/${s}/+`,
      ...DEVICE_UPLINK_CHANNELS.map((c) => `topic read ${devices}/+/${c}`),
      `topic write ${devices}/+/commands`,
      '# The broker counters Vigil monitors (dropped messages, store size), and no other $SYS topic.',
      ...BROKER_STAT_TOPICS.map((t) => `topic read ${t}`),
      // Claims (docs/protocol.md §14): read the claims, answer on their reply topics.
      `topic read ${prefix}/claims/+`,
      `topic write ${prefix}/claims/+/reply`,
      // Gateways (docs/gateway.md): their reports in, their device sets and CRL out.
      `topic read ${prefix}/gateways/+/status`,
      `topic write ${prefix}/gateways/+/config`,
    );
  }
  for (const c of claimCns) {
    lines.push(
      '',
      `# Claim certificate ${c} (shared by a factory batch): only claims and their replies.`,
      `user ${c}`,
      `topic deny ${devices}/${c}/+`,
      `topic write ${prefix}/claims/+`,
      `topic read ${prefix}/claims/+/reply`,
    );
  }
  for (const g of gateways) {
    lines.push(
      '',
      `# Gateway ${g.id}: relays for its ${g.devices.length} bound device(s) only; re-run after bind/unbind.`,
      `user ${g.id}`,
      `topic deny ${devices}/${g.id}/+`,
      ...[...new Set(g.devices)].flatMap((d) => [
        ...INGEST_CHANNELS.map((c) => `topic write ${devices}/${d}/${c}`),
        `topic read ${devices}/${d}/commands`,
      ]),
      `topic write ${gatewayTopic(prefix, g.id, 'status')}`,
      `topic read ${gatewayTopic(prefix, g.id, 'config')}`,
    );
  }
  lines.push('');
  return lines.join('\n');
}

function checkPath(name: string, path: unknown): void {
  // Mosquitto resolves relative paths against its working directory and reads a value to the end
  // of the line: require absolute paths without control characters or surrounding blanks.
  if (
    typeof path !== 'string' ||
    !path.startsWith('/') ||
    path.length > 4096 ||
    /[\u0000-\u001f\u007f]/.test(path) ||
    path.trim() !== path
  ) {
    throw new TypeError(`mosquitto config: ${name} must be an absolute path without control characters`);
  }
}
