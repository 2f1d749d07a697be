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
    })
    .prefault({}),
  ingest: z
    .strictObject({
      replayWindow: z.number().int().min(1024).max(65536).multipleOf(8).default(1024),
      maxFutureSkewMs: z.number().int().min(0).max(86_400_000).default(300_000),
      backfillAfterMs: z.number().int().min(1000).default(120_000),
    })
    .prefault({}),
  storage: z.strictObject({ synchronous: z.enum(['FULL', 'NORMAL']).default('FULL') }).prefault({}),
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
