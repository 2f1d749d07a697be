import { z } from 'zod';
import { ALGS } from '../protocol/aead.ts';
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
