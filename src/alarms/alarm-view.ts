/**
 * The one mapping from a stored alarm to what users see of it: the API, the live feed,
 * `vigil alarms --json` and `vigil shipment show --json`. `detail` stays server-side.
 */
import { z } from 'zod';
import { iso, isoOrNull, isoTime } from '../iso-time.ts';
import { alarmTier } from '../rules/tier-rules.ts';
import { ALARM_SEVERITIES, ALARM_STATES, type AlarmRecord } from './alarm-store.ts';

/** The alarm as the API serialises it (the zod schema is the contract: response and OpenAPI). */
export const alarmSchema = z.object({
  id: z.string(),
  rule: z.string(),
  subject: z.string(),
  kind: z.enum(['rule', 'statistical']),
  state: z.enum(ALARM_STATES),
  severity: z.enum(ALARM_SEVERITIES),
  startedAt: isoTime,
  raisedAt: isoTime,
  detectedAt: isoTime,
  resolvedAt: isoTime.nullable(),
  detectedLate: z.boolean(),
  message: z.string(),
  peak: z.number().nullable(),
  unit: z.string().nullable(),
  ack: z
    .object({
      by: z.string(),
      at: isoTime,
      reason: z.string(),
      /** One of `ACK_MEANINGS`; acknowledgements older than e-signatures say `review`. */
      meaning: z.string(),
      /** The signer's printed name and role (null on acknowledgements made before e-signatures). */
      name: z.string().nullable(),
      role: z.string().nullable(),
    })
    .nullable(),
  /** Late data disproved the alarm: when that was found and what the data shows instead. */
  disproved: z.object({ at: isoTime, reason: z.string() }).nullable(),
  /** The tier of a temperature alarm (docs/alarms.md); null for other rules. */
  tier: z.enum(['warning', 'critical', 'regulatory']).nullable(),
});

export type AlarmView = z.infer<typeof alarmSchema>;

/** An alarm as the API, the live feed and `vigil alarms --json` show it: times ISO 8601 UTC. */
export function alarmView(a: AlarmRecord): AlarmView {
  return {
    id: a.id,
    rule: a.rule,
    subject: a.subject,
    kind: a.kind,
    state: a.state,
    severity: a.severity,
    startedAt: iso(a.startedAt),
    raisedAt: iso(a.raisedAt),
    detectedAt: iso(a.detectedAt),
    resolvedAt: isoOrNull(a.resolvedAt),
    detectedLate: a.detectedLate,
    message: a.message,
    peak: a.peak,
    unit: a.unit,
    ack: a.ack
      ? {
          by: a.ack.by,
          at: iso(a.ack.at),
          reason: a.ack.reason,
          meaning: a.ack.meaning,
          name: a.ack.name ?? null,
          role: a.ack.role ?? null,
        }
      : null,
    disproved: a.disproved ? { at: iso(a.disproved.at), reason: a.disproved.reason } : null,
    tier: alarmTier(a.rule),
  };
}
