/**
 * The API's contract: the zod schemas its routes validate and serialise with (fastify's zod type
 * provider), and the OpenAPI document is built from them. The dashboard imports the types inferred
 * from these (src/api/contract.ts, type-only), so this module and what it imports stay free of I/O
 * and node built-ins.
 */
import { z } from 'zod';
import { isoTime, timeInput } from '../iso-time.ts';
import { ALGS } from '../protocol/alg.ts';
import { DEVICE_ID_RE } from '../protocol/device-id.ts';
import { DEVICE_PROFILES } from '../protocol/device-profile.ts';

/** `:id` of a device route (DESIGN.md §2). */
export const deviceIdParams = z.strictObject({
  id: z.string().regex(DEVICE_ID_RE, 'must be a device id'),
});

/** A point in time in a query string: ISO 8601 with an offset, or epoch milliseconds (src/iso-time.ts). */
export const timeParam = timeInput;

export const deviceSummary = z.object({
  id: z.string(),
  profile: z.enum(DEVICE_PROFILES),
  /** Registry status. */
  status: z.enum(['enabled', 'disabled', 'revoked']),
  alg: z.enum(ALGS),
  currentKid: z.number().int(),
  /** Seen (any accepted message) within the online window. */
  online: z.boolean(),
  lastSeenAt: isoTime.nullable(),
  createdAt: isoTime,
  updatedAt: isoTime,
  certNotAfter: isoTime.nullable(),
});

export type DeviceSummary = z.infer<typeof deviceSummary>;

/** A patient monitor's bed and ward (src/protocol/device-labels.ts); null: not set. */
export const deviceLabelsView = z.object({ bed: z.string().nullable(), ward: z.string().nullable() });

/**
 * `labels` beside a device in the list and the detail: only for patient monitors, and only for
 * callers with `devices.labels.read` (docs/permissions.md); absent otherwise.
 */
const withLabels = { labels: deviceLabelsView.optional() };

const scalar = z.union([z.number(), z.string(), z.boolean(), z.null()]);

export const readingSchema = z.object({
  ts: isoTime,
  receivedAt: isoTime,
  backfill: z.boolean(),
  seq: z.number().int(),
  data: z.record(z.string(), scalar),
});

export const seriesPointSchema = z.object({
  ts: isoTime,
  n: z.number().int(),
  backfill: z.boolean(),
  values: z.record(z.string(), scalar),
  min: z.record(z.string(), z.number()).optional(),
  max: z.record(z.string(), z.number()).optional(),
});

/** `GET /api/v1/devices`: a row of the list, with the latest reading and the alarm flag. */
export const deviceListRow = deviceSummary.extend({
  ...withLabels,
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
      dispatchedAt: isoTime,
      shipment: z.string().nullable(),
    })
    .nullable(),
});

/** `GET /api/v1/devices/:id`. */
export const deviceDetail = z.object({
  device: deviceSummary.extend(withLabels),
  latest: readingSchema.nullable(),
});

/** `GET /api/v1/devices/:id/readings`. */
export const seriesSchema = z.object({
  deviceId: z.string(),
  from: isoTime,
  to: isoTime,
  maxPoints: z.number().int(),
  downsampled: z.boolean(),
  bucketMs: z.number().nullable(),
  count: z.number().int(),
  medianIntervalMs: z.number().nullable(),
  truncated: z.boolean(),
  points: z.array(seriesPointSchema),
  gaps: z.array(z.object({ from: isoTime, to: isoTime })),
  gapsOmitted: z.number().int(),
});

/** A reading as the live feed pushes it (`{"type":"reading","data":…}`, src/live/live-bus.ts). */
export const liveReadingSchema = z.object({
  deviceId: z.string(),
  seq: z.number().int(),
  idx: z.number().int(),
  ts: isoTime,
  receivedAt: isoTime,
  backfill: z.boolean(),
  data: z.record(z.string(), scalar),
});

export type LiveReadingView = z.infer<typeof liveReadingSchema>;
