import { z } from 'zod';
import { DEFAULT_TOPIC_PREFIX } from '../protocol/topics.ts';

const port = z.number().int().min(0).max(65535);
const hostName = z.string().regex(/^[A-Za-z0-9.-]{1,253}$/, 'must be a DNS name');

/** `mqtt.external`: an external broker (Mosquitto, EMQX) fed to ingest through a shared subscription. */
const externalBrokerSchema = z.strictObject({
  url: z.string().regex(/^mqtts:\/\//, 'must be an mqtts:// URL'),
  group: z.string().default('vigil-ingest'),
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
  storage: z.strictObject({ synchronous: z.enum(['FULL', 'NORMAL']).default('FULL') }).prefault({}),
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
