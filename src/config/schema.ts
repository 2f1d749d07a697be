import { z } from 'zod';
import { DEFAULT_TOPIC_PREFIX } from '../protocol/topics.ts';

const port = z.number().int().min(0).max(65535);
const hostName = z.string().regex(/^[A-Za-z0-9.-]{1,253}$/, 'must be a DNS name');

/** `mqtt.external`: an external broker (Mosquitto, EMQX) fed to ingest through a shared subscription. */
const externalBrokerSchema = z.strictObject({
  url: z.string().regex(/^mqtts:\/\//, 'must be an mqtts:// URL'),
  group: z.string().default('vigil-ingest'),
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
  log: z
    .strictObject({
      level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    })
    .default({ level: 'info' }),
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
      /** Use an external broker (Mosquitto, EMQX) instead of the embedded one. */
      external: externalBrokerSchema.optional(),
      /**
       * The ordered broker list written into device bundles (`brokers` in device.json); devices
       * fail over down the list (docs/protocol.md §8). Empty: this host only.
       */
      advertisedBrokers: z.array(brokerUrl).max(8).default([]),
    })
    .prefault({}),
  http: z.strictObject({ host: z.string().default('::'), port: port.default(8443) }).prefault({}),
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
    })
    .prefault({}),
  ingest: z
    .strictObject({
      replayWindow: z.number().int().min(1024).max(65536).multipleOf(8).default(1024),
      maxFutureSkewMs: z.number().int().min(0).max(86_400_000).default(300_000),
      backfillAfterMs: z.number().int().min(1000).default(120_000),
    })
    .prefault({}),
  storage: z
    .strictObject({
      synchronous: z.enum(['FULL', 'NORMAL']).default('FULL'),
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
    externalGroup: externalBrokerSchema.parse({ url: 'mqtts://localhost' }).group,
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
