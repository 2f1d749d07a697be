/**
 * The API's contract: the zod schemas its routes validate and serialise with (fastify's zod type
 * provider), and the OpenAPI document is built from them. The dashboard imports the types inferred
 * from these (src/api/contract.ts, type-only), so this module and what it imports stay free of I/O
 * and node built-ins.
 */
import { z } from 'zod';
import { ALGS } from '../protocol/alg.ts';
import { DEVICE_ID_RE } from '../protocol/device-id.ts';
import { DEVICE_PROFILES } from '../protocol/device-profile.ts';

/** `:id` of a device route (DESIGN.md §2). */
export const deviceIdParams = z.strictObject({
  id: z.string().regex(DEVICE_ID_RE, 'must be a device id'),
});

/**
 * A point in time in a query string: milliseconds since the epoch, or an ISO 8601 date-time with
 * an offset (`2026-11-21T10:00:00Z`).
 */
export const timeParam = z.union([
  z
    .string()
    .regex(/^\d{1,15}$/)
    .transform((s) => Number(s)),
  z.iso.datetime({ offset: true }).transform((s) => Date.parse(s)),
]);

export const deviceSummary = z.object({
  id: z.string(),
  profile: z.enum(DEVICE_PROFILES),
  /** Registry status. */
  status: z.enum(['enabled', 'disabled', 'revoked']),
  alg: z.enum(ALGS),
  currentKid: z.number().int(),
  /** Seen (any accepted message) within the online window. */
  online: z.boolean(),
  lastSeenAt: z.number().nullable(),
  createdAt: z.number(),
  updatedAt: z.number(),
  certNotAfter: z.number().nullable(),
});

export type DeviceSummary = z.infer<typeof deviceSummary>;

const scalar = z.union([z.number(), z.string(), z.boolean(), z.null()]);

export const readingSchema = z.object({
  ts: z.number(),
  receivedAt: z.number(),
  backfill: z.boolean(),
  seq: z.number().int(),
  data: z.record(z.string(), scalar),
});

export const seriesPointSchema = z.object({
  ts: z.number(),
  n: z.number().int(),
  backfill: z.boolean(),
  values: z.record(z.string(), scalar),
  min: z.record(z.string(), z.number()).optional(),
  max: z.record(z.string(), z.number()).optional(),
});

/** `GET /api/v1/devices`: a row of the list, with the latest reading and the alarm flag. */
export const deviceListRow = deviceSummary.extend({
  latest: readingSchema.nullable(),
  /**
   * How often the device reports, learned from when its recent readings arrived (src/rules/device-cadence.ts);
   * null until three have. `online` here means a message within 2.5 of these intervals.
   */
  expectedIntervalMs: z.number().nullable(),
  /** `open` while the device has an active (open or acknowledged) alarm. */
  alarm: z.enum(['none', 'open']),
});

/**
 * `GET /api/v1/devices/:id/display`: what a simulated logger's display shows (its trip's batch id
 * and delivery token); `display` is null for every other device (a real logger's token exists
 * only on the logger) and before a simulated truck's first dispatch.
 */
export const loggerDisplaySchema = z.object({
  display: z
    .object({
      simulated: z.literal(true),
      batch: z.string(),
      token: z.string(),
      dispatchedAt: z.number(),
      shipment: z.string().nullable(),
    })
    .nullable(),
});

/** `GET /api/v1/devices/:id`. */
export const deviceDetail = z.object({ device: deviceSummary, latest: readingSchema.nullable() });

/** `GET /api/v1/devices/:id/readings`. */
export const seriesSchema = z.object({
  deviceId: z.string(),
  from: z.number(),
  to: z.number(),
  maxPoints: z.number().int(),
  downsampled: z.boolean(),
  bucketMs: z.number().nullable(),
  count: z.number().int(),
  medianIntervalMs: z.number().nullable(),
  truncated: z.boolean(),
  points: z.array(seriesPointSchema),
  gaps: z.array(z.object({ from: z.number(), to: z.number() })),
  gapsOmitted: z.number().int(),
});

/** A reading as the live feed pushes it (`{"type":"reading","data":…}`, src/live/live-bus.ts). */
export const liveReadingSchema = z.object({
  deviceId: z.string(),
  seq: z.number().int(),
  idx: z.number().int(),
  ts: z.number(),
  receivedAt: z.number(),
  backfill: z.boolean(),
  data: z.record(z.string(), scalar),
});
