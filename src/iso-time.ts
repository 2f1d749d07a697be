/**
 * Times as every JSON Vigil writes shows them (API answers, live-feed frames, `--json`, webhook
 * and sink payloads): ISO 8601 in UTC with milliseconds, `2026-12-06T19:34:09.123Z`, the form
 * `Date.prototype.toISOString` gives (ECMA-262 §21.4.1.32, a profile of RFC 3339 §5.6). Inside
 * Vigil (stores, rules, the protocol) a time stays a number of milliseconds since the Unix epoch;
 * it becomes a string only here, at the edge. A pure module: the dashboard reaches it through the
 * API's schemas.
 */
import { z } from 'zod';

/** A time in a JSON answer: ISO 8601 UTC with exactly three fraction digits and `Z`. */
export const isoTime = z.iso.datetime({ precision: 3 });

/** Milliseconds since the epoch as an ISO 8601 UTC string with milliseconds. */
export function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/** {@link iso}, with null (and undefined) passed through as null. */
export function isoOrNull(ms: number | null | undefined): string | null {
  return ms === null || ms === undefined ? null : iso(ms);
}

/**
 * A point in time in a query string or request body: an ISO 8601 date-time with an offset
 * (`2026-11-21T10:00:00Z`, `2026-11-21T11:00:00.250+01:00`), or, as before the API spoke ISO,
 * milliseconds since the epoch (digits only in a query string, an integer in a body). Parsed to
 * milliseconds.
 */
export const timeInput = z.union([
  z.iso.datetime({ offset: true }).transform((s) => Date.parse(s)),
  z
    .string()
    .regex(/^\d{1,15}$/, 'ISO 8601 date-time or epoch milliseconds')
    .transform((s) => Number(s)),
  z.number().int().nonnegative().max(8.64e15),
]);
