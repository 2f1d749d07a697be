/**
 * The one mapping from a stored alarm to what users see of it: the API and the live feed
 * (`alarmView`, epoch milliseconds), `vigil alarms --json` (`alarmViewIso`, ISO 8601 UTC) and
 * `vigil shipment show --json` (the ISO view). `detail` stays server-side.
 */
import { z } from 'zod';
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
  startedAt: z.number(),
  raisedAt: z.number(),
  detectedAt: z.number(),
  resolvedAt: z.number().nullable(),
  detectedLate: z.boolean(),
  message: z.string(),
  peak: z.number().nullable(),
  unit: z.string().nullable(),
  ack: z
    .object({
      by: z.string(),
      at: z.number(),
      reason: z.string(),
      /** One of `ACK_MEANINGS`; acknowledgements older than e-signatures say `review`. */
      meaning: z.string(),
      /** The signer's printed name and role (null on acknowledgements made before e-signatures). */
      name: z.string().nullable(),
      role: z.string().nullable(),
    })
    .nullable(),
  /** Late data disproved the alarm: when that was found and what the data shows instead. */
  disproved: z.object({ at: z.number(), reason: z.string() }).nullable(),
  /** The tier of a temperature alarm (docs/alarms.md); null for other rules. */
  tier: z.enum(['warning', 'critical', 'regulatory']).nullable(),
});

export type AlarmView = z.infer<typeof alarmSchema>;

/** An alarm as the API and the live feed show it. */
export function alarmView(a: AlarmRecord): AlarmView {
  return {
    id: a.id,
    rule: a.rule,
    subject: a.subject,
    kind: a.kind,
    state: a.state,
    severity: a.severity,
    startedAt: a.startedAt,
    raisedAt: a.raisedAt,
    detectedAt: a.detectedAt,
    resolvedAt: a.resolvedAt,
    detectedLate: a.detectedLate,
    message: a.message,
    peak: a.peak,
    unit: a.unit,
    ack: a.ack
      ? {
          by: a.ack.by,
          at: a.ack.at,
          reason: a.ack.reason,
          meaning: a.ack.meaning,
          name: a.ack.name ?? null,
          role: a.ack.role ?? null,
        }
      : null,
    disproved: a.disproved ? { at: a.disproved.at, reason: a.disproved.reason } : null,
    tier: alarmTier(a.rule),
  };
}

/** {@link AlarmView} with ISO 8601 UTC times, for the CLI's JSON output. */
export type AlarmViewIso = Omit<
  AlarmView,
  'startedAt' | 'raisedAt' | 'detectedAt' | 'resolvedAt' | 'ack' | 'disproved'
> & {
  startedAt: string;
  raisedAt: string;
  detectedAt: string;
  resolvedAt: string | null;
  ack: (Omit<NonNullable<AlarmView['ack']>, 'at'> & { at: string }) | null;
  disproved: { at: string; reason: string } | null;
};

const iso = (ms: number): string => new Date(ms).toISOString();

/** The same view with every time as ISO 8601 UTC (`vigil alarms --json`, `vigil shipment show --json`). */
export function alarmViewIso(a: AlarmRecord): AlarmViewIso {
  const v = alarmView(a);
  return {
    ...v,
    startedAt: iso(v.startedAt),
    raisedAt: iso(v.raisedAt),
    detectedAt: iso(v.detectedAt),
    resolvedAt: v.resolvedAt === null ? null : iso(v.resolvedAt),
    ack: v.ack ? { ...v.ack, at: iso(v.ack.at) } : null,
    disproved: v.disproved ? { ...v.disproved, at: iso(v.disproved.at) } : null,
  };
}
