import { z } from 'zod';
import { DEFAULT_TOPIC_PREFIX } from '../protocol/topics.ts';
import { sinksSchema } from './sinks-schema.ts';

const port = z.number().int().min(0).max(65535);
const hostName = z.string().regex(/^[A-Za-z0-9.-]{1,253}$/, 'must be a DNS name');

/** `mqtt.external`: an external broker (Mosquitto, EMQX) fed to ingest through a shared subscription. */
const externalBrokerSchema = z.strictObject({
  /** Setting it selects the external broker; the other keys also size `vigil mosquitto-config`. */
  url: z
    .string()
    .regex(/^mqtts:\/\//, 'must be an mqtts:// URL')
    .optional(),
  /** More brokers of the same fleet (redundant, independent): every ingest worker subscribes on each. */
  urls: z
    .array(z.string().regex(/^mqtts:\/\//, 'must be an mqtts:// URL'))
    .max(16)
    .default([]),
  group: z.string().default('vigil-ingest'),
  /** How long every ingest worker may be down without the broker dropping a message (sizes its queues). */
  maxOutageMinutes: z
    .number()
    .int()
    .min(1)
    .max(7 * 24 * 60)
    .default(60),
  /** The fleet's message rate for that sizing; default: registered devices at one message a minute. */
  fleetRatePerSec: z.number().min(0.01).max(10_000_000).optional(),
  /** QoS 1 messages a worker takes in parallel (MQTT v5 Receive Maximum). */
  receiveMaximum: z.number().int().min(1).max(65_535).default(1024),
  /** Ingest worker identities (`vigil-ingest-1` .. `-N`) the generated ACL lists. */
  ingestWorkers: z.number().int().min(1).max(256).default(4),
});

/** An age X25519 recipient (the public half of an identity; age-encryption.org/v1). */
export const AGE_RECIPIENT_RE = /^age1[02-9ac-hj-np-z]{58}$/;

/** A broker a device may connect to: `mqtts://host:port` (host name, IPv4 or [IPv6]). */
const brokerUrl = z
  .string()
  .regex(/^mqtts:\/\/([A-Za-z0-9.-]{1,253}|\[[0-9a-fA-F:.]+\])(:\d{1,5})?$/, 'must be mqtts://host:port');

/** `power.nut`: the host's UPS through Network UPS Tools' upsd (TCP line protocol, RFC 9271). */
const nutSchema = z.strictObject({
  host: z.string().min(1),
  port: port.default(3493),
  ups: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'must be the UPS name as upsd knows it'),
  username: z.string().min(1).optional(),
  password: z.string().min(1).optional(),
});

/** The whole configuration with its defaults (DESIGN.md §6). Every limit has a safe default. */
export const configSchema = z.strictObject({
  dataDir: z.string().min(1),
  /** How long a stop (SIGTERM, Ctrl-C) may take before open connections are destroyed. */
  shutdownTimeoutMs: z.number().int().min(1000).max(300_000).default(10_000),
  log: z
    .strictObject({
      level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
      /** Write JSON lines to this file (rotated by size) instead of stderr; relative to the data directory. */
      file: z.string().min(1).optional(),
      /** Rotate `file` when it would grow past this many bytes. */
      maxFileBytes: z
        .number()
        .int()
        .min(64 * 1024)
        .max(1024 * 1024 * 1024)
        .default(10 * 1024 * 1024),
      /** Rotated files kept besides the current one (`file.1` is the newest). */
      maxFiles: z.number().int().min(1).max(100).default(5),
      /** One summary per (event, source) per interval replaces the repeats. */
      summaryIntervalMs: z.number().int().min(1000).max(3_600_000).default(60_000),
      /** Lines of one (event, source) written per interval before they are only counted. */
      summaryBurst: z.number().int().min(1).max(1000).default(5),
      /** Distinct (event, source) pairs per interval; past it every line is only counted. */
      summaryMaxKeys: z.number().int().min(10).max(100_000).default(100),
      /** A longer line is cut to its event, level and time. */
      maxLineBytes: z
        .number()
        .int()
        .min(512)
        .max(1024 * 1024)
        .default(4096),
      /** How often `vigil start` prints its status line (only when stdout is a terminal). */
      statusIntervalMs: z.number().int().min(100).max(86_400_000).default(15_000),
    })
    .prefault({}),
  mqtt: z
    .strictObject({
      host: z.string().default('::'),
      port: port.default(8883),
      topicPrefix: z
        .string()
        .regex(/^[a-z0-9][a-z0-9_-]*(\/[a-z0-9][a-z0-9_-]*)*$/, 'lowercase topic levels without wildcards')
        .default(DEFAULT_TOPIC_PREFIX),
      maxPacketBytes: z
        .number()
        .int()
        .min(1024)
        .max(1024 * 1024)
        .default(20 * 1024),
      connectTimeoutMs: z.number().int().min(500).max(120_000).default(10_000),
      keepAliveMaxS: z.number().int().min(10).max(3600).default(300),
      publishRatePerSec: z.number().min(1).max(100_000).default(100),
      publishBurst: z.number().int().min(1).max(1_000_000).default(200),
      maxConnectionsPerAddress: z.number().int().min(1).max(100_000).default(50),
      maxConnections: z.number().int().min(1).max(1_000_000).default(10_000),
      /** CONNECTs per device id (certificate CN) per minute; more get CONNACK 3 (server unavailable). */
      connectRatePerMinute: z.number().int().min(1).max(100_000).default(30),
      /**
       * TLS offload workers of the embedded broker: TCP and TLS on that many worker threads sharing
       * the port (SO_REUSEPORT, Linux), MQTT and every broker rule on the main thread. 0: none.
       */
      listenerWorkers: z.number().int().min(0).max(16).default(0),
      /** Use an external broker (Mosquitto, EMQX) instead of the embedded one. */
      external: externalBrokerSchema.prefault({}),
      /**
       * The ordered broker list written into device bundles (`brokers` in device.json); devices
       * fail over down the list (docs/protocol.md §8). Empty: this host only.
       */
      advertisedBrokers: z.array(brokerUrl).max(8).default([]),
    })
    .prefault({}),
  http: z
    .strictObject({
      host: z.string().default('::'),
      port: port.default(8443),
      /** A connection that has not completed its TLS handshake by then is closed. */
      handshakeTimeoutMs: z.number().int().min(500).max(120_000).default(10_000),
      /** Request headers (of the first request, or of the next one) must be complete by then. */
      headersTimeoutMs: z.number().int().min(500).max(120_000).default(10_000),
      /** A whole request (headers and body) must be received by then. */
      requestTimeoutMs: z.number().int().min(1000).max(600_000).default(30_000),
      /** An idle keep-alive connection is closed after this long. */
      keepAliveTimeoutMs: z.number().int().min(100).max(600_000).default(5_000),
      maxConnectionsPerAddress: z.number().int().min(1).max(100_000).default(64),
      maxConnections: z.number().int().min(1).max(1_000_000).default(4096),
    })
    .refine((h) => h.headersTimeoutMs <= h.requestTimeoutMs, {
      message: 'headersTimeoutMs must not exceed requestTimeoutMs',
      path: ['headersTimeoutMs'],
    })
    .prefault({}),
  pki: z
    .strictObject({
      /** Extra DNS names / IPs for the server certificate (localhost, 127.0.0.1 and ::1 are always in it). */
      hostNames: z.array(hostName).default([]),
      ips: z.array(z.union([z.ipv4(), z.ipv6()])).default([]),
      caValidityDays: z.number().int().min(30).max(36500).default(3650),
      serverValidityDays: z.number().int().min(1).max(825).default(397),
      deviceValidityDays: z.number().int().min(1).max(3650).default(825),
      /** How often the running server re-reads revocations and rebuilds the CRL. */
      crlPollMs: z.number().int().min(200).max(60_000).default(1000),
      /** A device certificate with fewer days left is renewed from a device-generated key (CSR). */
      renewBeforeDays: z.number().int().min(1).max(3650).default(30),
      /** The replaced device certificate is revoked once the new one was used, or after this. */
      renewGraceDays: z.number().int().min(0).max(365).default(7),
      /** The server certificate is renewed (and hot-swapped) when fewer days than this remain. */
      serverRenewBeforeDays: z.number().int().min(1).max(825).default(30),
    })
    .prefault({}),
  ingest: z
    .strictObject({
      replayWindow: z.number().int().min(1024).max(65536).multipleOf(8).default(1024),
      maxFutureSkewMs: z.number().int().min(0).max(86_400_000).default(300_000),
      backfillAfterMs: z.number().int().min(1000).default(120_000),
    })
    .prefault({}),
  keys: z
    .strictObject({
      /** After a device acknowledged a new kid, the old one is still accepted this long (minutes). */
      rotationOverlapMinutes: z
        .number()
        .int()
        .min(0)
        .max(7 * 24 * 60)
        .default(60),
      /** Device secrets older than this are rotated automatically, spread over time; 0 turns it off. */
      rotateDeviceSecretsDays: z.number().int().min(0).max(3650).default(90),
    })
    .prefault({}),
  claims: z
    .strictObject({
      /**
       * Serials approved without an admin (docs/protocol.md §14): exact serials, or prefixes ending
       * in `*`. The device id is the serial in lowercase, other characters turned into `-`.
       */
      autoApprove: z.array(z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}\*?$/)).default([]),
    })
    .prefault({}),
  ota: z
    .strictObject({
      /**
       * Firmware signing keys the server and every device trust (docs/ota.md), each
       * `ed25519:<base64url>` as `vigil firmware keygen` prints it. The private keys stay offline.
       */
      trustedKeys: z
        .array(z.string().regex(/^ed25519:[A-Za-z0-9_-]{43}$/))
        .max(8)
        .default([]),
      /** HTTPS port devices download images from (mutual TLS with their client certificate). */
      port: port.default(8444),
      /** How often campaigns advance (waves, failure threshold), in milliseconds. */
      tickMs: z.number().int().min(100).max(60_000).default(2000),
      /** Connections the firmware listener holds at once (raw TCP, before TLS); more are closed. */
      maxConnections: z.number().int().min(1).max(100_000).default(512),
      /** Of those, from one address (a site's NAT may put many devices behind one). */
      maxConnectionsPerAddress: z.number().int().min(1).max(100_000).default(64),
      /** How long a device has to report the result of an `ota` command (seconds). */
      deviceTimeoutSeconds: z
        .number()
        .int()
        .min(10)
        .max(7 * 86_400)
        .default(3600),
    })
    .prefault({}),
  commands: z
    .strictObject({
      /** Lifetime of a command without an explicit TTL (seconds). */
      defaultTtlSeconds: z
        .number()
        .int()
        .min(1)
        .max(30 * 86_400)
        .default(86_400),
      /** A sent command without an ack is sent again (same id, new downlink seq) after this. */
      resendAfterSeconds: z.number().int().min(1).max(86_400).default(30),
    })
    .prefault({}),
  gateway: z
    .strictObject({
      /** Most bytes of envelopes `vigil gateway` holds for the uplink; when full it stops acknowledging devices. */
      maxQueueBytes: z
        .number()
        .int()
        .min(65_536)
        .max(64 * 1024 ** 3)
        .default(256 * 1024 ** 2),
      /** Envelopes in flight upstream (sent, not yet acknowledged by PUBACK). */
      window: z.number().int().min(1).max(10_000).default(64),
      /** How often the gateway reports its state upstream. */
      statusIntervalMs: z.number().int().min(1_000).max(3_600_000).default(10_000),
    })
    .prefault({}),
  storage: z
    .strictObject({
      /** SQLite durability (FULL survives power loss). */
      synchronous: z.enum(['FULL', 'NORMAL']).default('FULL'),
      /**
       * `postgres://user:password@host[:port][,host2[:port]]/db?sslmode=verify-full&sslrootcert=...`:
       * store in PostgreSQL instead of the SQLite file (src/storage/adapters/postgres-url.ts).
       */
      url: z
        .string()
        .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL')
        .max(4096)
        .optional(),
      /** Accept `sslmode=disable` (no TLS) for `url`; warned about loudly at every start. */
      allowInsecure: z.boolean().default(false),
      /** PostgreSQL: drop reading partitions (months) older than this; unset keeps everything. */
      retentionDays: z.number().int().min(31).max(36500).optional(),
      /** PostgreSQL: a trip's readings outlive `retentionDays` until this long after the trip ended. */
      shipmentRetentionDays: z.number().int().min(1).max(36500).default(1825),
      /** PostgreSQL: connections per process. */
      poolSize: z.number().int().min(2).max(200).default(10),
      /** PostgreSQL: how long a write is retried on transient failures (failover) before it fails. */
      retryForMs: z.number().int().min(0).max(600_000).default(30_000),
      /** Alarm when the data volume will be full in fewer days than this at the current ingest rate. */
      minFreeDays: z.number().min(0).max(3650).default(14),
    })
    .prefault({}),
  backup: z
    .strictObject({
      /** age X25519 recipients (public keys); backups are encrypted to all of them. Empty: not initialised. */
      recipients: z
        .array(z.string().regex(AGE_RECIPIENT_RE, 'must be an age X25519 recipient (age1...)'))
        .default([]),
      /** Minutes between scheduled backups (once recipients are set). */
      intervalMinutes: z
        .number()
        .int()
        .min(1)
        .max(7 * 24 * 60)
        .default(60),
      /** Where backups are written; default `<data-dir>/backups`. */
      dir: z.string().min(1).optional(),
      /** Retention: the newest backup of each of the last N hours, days and months is kept. */
      keep: z
        .strictObject({
          hourly: z.number().int().min(0).max(10_000).default(48),
          daily: z.number().int().min(0).max(10_000).default(30),
          monthly: z.number().int().min(0).max(10_000).default(12),
        })
        .prefault({}),
      /** Run after each backup with the file as `$1` (off-site copy: rclone, restic, ...). */
      command: z.string().min(1).optional(),
      commandTimeoutMs: z.number().int().min(1000).max(86_400_000).default(3_600_000),
    })
    .prefault({}),
  power: z
    .strictObject({
      nut: nutSchema.optional(),
      /** How often the UPS is polled. */
      pollMs: z.number().int().min(200).max(60_000).default(5000),
      /** Shut down gracefully when the UPS reports low battery (LB). */
      shutdownOnLowBattery: z.boolean().default(true),
    })
    .prefault({}),
  audit: z
    .strictObject({
      /** How often a running server signs a checkpoint of the audit chain (when it grew). */
      checkpointIntervalMs: z.number().int().min(60_000).max(86_400_000).default(3_600_000),
    })
    .prefault({}),
  reports: z
    .strictObject({
      /**
       * The report-signing key `vigil report verify` trusts without `--key`: its fingerprint
       * (`SHA256:...`, as `vigil report key` prints it), pinned where the key file cannot change it.
       */
      pinnedKeyFingerprint: z
        .string()
        .regex(/^SHA256:[A-Za-z0-9+/]{43}$/, 'must be SHA256: and 43 base64 characters (vigil report key)')
        .optional(),
    })
    .prefault({}),
  /** The web dashboard (docs/dashboard.md). */
  dashboard: z
    .strictObject({
      /**
       * Map tiles from a tile server (OpenStreetMap, a self-hosted server) for sites with internet;
       * unset: the bundled offline outline map. The CSP's img-src allows this URL's origin only.
       */
      tiles: z
        .strictObject({
          url: z
            .string()
            .max(2048)
            .regex(
              /^https:\/\/[A-Za-z0-9.-]{1,253}(:\d{1,5})?\/[^\s"'<>\\]*$/,
              'must be an https:// URL template with a host name',
            )
            .refine((u) => ['{z}', '{x}', '{y}'].every((p) => u.includes(p)), 'must contain {z}, {x} and {y}')
            .optional(),
          /** Shown on the map when tiles are used (tile servers such as OpenStreetMap require it). */
          attribution: z.string().min(1).max(300).optional(),
        })
        .prefault({}),
    })
    .prefault({}),
  /** Alarm notifications (docs/alarms.md, "Notifications"); channels and routing live in the database. */
  notifications: z
    .strictObject({
      /** Patient-vitals values and alarm texts in notification bodies (off: device, rule, level and link only). */
      includePatientFields: z.boolean().default(false),
      /** Base of the links in notifications; default `https://localhost:<http.port>`. */
      dashboardUrl: z
        .string()
        .regex(/^https:\/\/[^\s/]+(\/[^\s]*)?$/, 'must be an https:// URL')
        .optional(),
      /** Attempts per notification before it is given up (recorded as failed). */
      maxAttempts: z.number().int().min(1).max(50).default(8),
      /** First retry delay; doubled per attempt up to `retryMaxMs`. */
      retryBaseMs: z.number().int().min(100).max(3_600_000).default(30_000),
      retryMaxMs: z.number().int().min(100).max(86_400_000).default(1_800_000),
      /** A provider that has not answered within this is a failed attempt. */
      sendTimeoutMs: z.number().int().min(500).max(120_000).default(20_000),
      /** Consecutive failed attempts of one channel that raise the system alarm `notify-channel:<channel>`. */
      channelFailureThreshold: z.number().int().min(1).max(100).default(3),
      /** How often the outbox and the escalations are looked at. */
      tickMs: z.number().int().min(50).max(60_000).default(2000),
    })
    .prefault({}),
  /** Decrypted readings to InfluxDB and webhooks (src/sinks). */
  sinks: sinksSchema,
});

export type VigilConfig = z.infer<typeof configSchema>;
export type ConfigInput = z.input<typeof configSchema>;

/**
 * Every default of the schema, as parsed from an empty configuration: the one source of the
 * defaults. A component that has defaults of its own for a setting (the broker's limits, the
 * certificate validities, the database's durability) takes them from here.
 */
export const CONFIG_DEFAULTS: Readonly<Omit<VigilConfig, 'dataDir'> & { externalGroup: string }> = (() => {
  const { dataDir: _, ...rest } = configSchema.parse({ dataDir: '.' });
  return deepFreeze({
    ...rest,
    externalGroup: externalBrokerSchema.parse({}).group,
  });
})();

/** Freezes `o` and everything it holds (a configuration is read-only once validated). */
export function deepFreeze<T>(o: T): T {
  if (o && typeof o === 'object') {
    for (const v of Object.values(o)) deepFreeze(v);
    Object.freeze(o);
  }
  return o;
}
