import { z } from 'zod';
import { DEVICE_ID_RE } from '../protocol/device-id.ts';

const httpsUrl = z
  .string()
  .max(2048)
  .refine((u) => {
    try {
      return new URL(u).protocol === 'https:';
    } catch {
      return false;
    }
  }, 'must be an https:// URL (sinks never send readings in clear)');

/** A reading field name as the protocol spells it (`temp_c`, `rh_pct`, ...). */
const fieldName = z.string().regex(/^[a-z][a-z0-9_]{0,63}$/, 'must be a reading field name such as temp_c');

/**
 * `sinks.influxdb`: InfluxDB 1.x over HTTPS with authentication. `ca` is a PEM file (relative to
 * the data directory) or the PEM text itself: the CA that signed InfluxDB's certificate.
 */
export const influxSinkSchema = z.strictObject({
  url: httpsUrl,
  database: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'must be an InfluxDB database name'),
  username: z.string().min(1).max(256),
  password: z.string().min(1).max(1024),
  ca: z.string().min(1),
  measurement: z
    .string()
    .regex(/^[A-Za-z][A-Za-z0-9_.-]{0,63}$/, 'letters, digits, _ . - (starting with a letter)')
    .default('readings'),
});

/** A generic webhook: NDJSON batches, signed with the shared `secret` (`X-Vigil-Signature`). */
const genericWebhookSchema = z.strictObject({
  preset: z.literal('generic').default('generic'),
  url: httpsUrl,
  secret: z.string().min(16, 'must be at least 16 characters (generate one: openssl rand -hex 32)').max(512),
  /** Reading fields to send (default: all of them). */
  fields: z.array(fieldName).min(1).max(64).optional(),
  /** Requests per second at most (default: no limit). */
  rateLimitPerSec: z.number().positive().max(1000).optional(),
  /** Only these devices' readings (default: every device). */
  devices: z.array(z.string().regex(DEVICE_ID_RE, 'must be a device id')).min(1).max(10_000).optional(),
  /** A PEM file (relative to the data directory) or PEM text trusted besides the system's roots. */
  ca: z.string().min(1).optional(),
});

/**
 * ThingSpeak's bulk-update API (`https://api.thingspeak.com/channels/<id>/bulk_update.json`):
 * one channel per device, `fields` mapped in order to field1..field8, the channel's Write API
 * Key, and one request per 15 s (the free tier's limit) unless set otherwise.
 */
const thingspeakWebhookSchema = z.strictObject({
  preset: z.literal('thingspeak'),
  url: httpsUrl,
  apiKey: z.string().min(1).max(256),
  fields: z.array(fieldName).min(1).max(8, 'ThingSpeak has field1..field8'),
  device: z.string().regex(DEVICE_ID_RE, 'must be a device id'),
  rateLimitPerSec: z
    .number()
    .positive()
    .max(1000)
    .default(1 / 15),
  ca: z.string().min(1).optional(),
});

export const webhookSinkSchema = z.union([genericWebhookSchema, thingspeakWebhookSchema]);

/** `sinks`: decrypted readings forwarded to other systems through a durable outbox. */
export const sinksSchema = z
  .strictObject({
    /** A sink failing for longer than this raises a system alarm. */
    alarmAfterMinutes: z.number().int().min(1).max(10_080).default(15),
    /** Readings a sink's outbox holds at most; past it the oldest are dropped and counted. */
    maxOutbox: z.number().int().min(1000).max(100_000_000).default(1_000_000),
    /** A delivery that has not completed by then counts as failed and is retried. */
    timeoutMs: z.number().int().min(1000).max(300_000).default(10_000),
    /** Retries back off exponentially (with jitter) from one second up to this. */
    retryMaxMs: z.number().int().min(1000).max(3_600_000).default(60_000),
    influxdb: influxSinkSchema.optional(),
    webhook: z.array(webhookSinkSchema).max(16).default([]),
  })
  .prefault({});

export type SinksConfig = z.infer<typeof sinksSchema>;
export type InfluxSinkConfig = z.infer<typeof influxSinkSchema>;
export type WebhookSinkConfig = z.infer<typeof webhookSinkSchema>;
