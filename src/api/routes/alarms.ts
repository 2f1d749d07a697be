import { z } from 'zod';
import {
  ACK_MEANING_REVIEW,
  ACK_REASON_MAX,
  type AlarmRecord,
  type AlarmStore,
} from '../../alarms/alarm-store.ts';
import { VigilError } from '../../errors.ts';
import type { Store } from '../../storage/store.ts';
import { actorOf } from '../access.ts';
import type { RoutePlugin } from '../api-deps.ts';
import { timeParam } from '../schemas.ts';
import { principalOf } from './auth.ts';

export const alarmSchema = z.object({
  id: z.string(),
  rule: z.string(),
  subject: z.string(),
  kind: z.enum(['rule', 'statistical']),
  state: z.enum(['open', 'acknowledged', 'resolved']),
  severity: z.enum(['info', 'warning', 'critical']),
  startedAt: z.number(),
  raisedAt: z.number(),
  detectedAt: z.number(),
  resolvedAt: z.number().nullable(),
  detectedLate: z.boolean(),
  message: z.string(),
  peak: z.number().nullable(),
  unit: z.string().nullable(),
  ack: z.object({ by: z.string(), at: z.number(), reason: z.string(), meaning: z.string() }).nullable(),
});

export type AlarmView = z.infer<typeof alarmSchema>;

/** An alarm as the API and the live feed show it (`detail` stays server-side). */
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
    ack: a.ack,
  };
}

/** An alarm id in a path (percent-encoded: ids contain `/`). */
const idParams = z.strictObject({ id: z.string().min(1).max(200) });

/** Printable text: no control characters but tab and newline. */
const PRINTABLE = /^[^\u0000-\u0008\u000b-\u001f\u007f]*$/;

/**
 * Alarms: list (any reader) and acknowledge (alarms.ack: operator, quality, admin; MFA). An
 * acknowledgement records who, when, why (a reason of 1-500 characters) and its meaning, is
 * audited as `alarm.ack`, and is final: a second one is refused with 409.
 */
export function alarmsRoutes(
  alarms: AlarmStore,
  audit: Pick<Store, 'appendAudit'>,
  clock: () => number,
): RoutePlugin {
  return async (app) => {
    app.get(
      '/api/v1/alarms',
      {
        config: { access: 'alarms.read' },
        schema: {
          summary: 'Alarms, newest raised first',
          description: '`state=active` means open or acknowledged (not yet resolved).',
          tags: ['alarms'],
          querystring: z.strictObject({
            state: z.enum(['open', 'acknowledged', 'resolved', 'active']).optional(),
            subject: z
              .string()
              .regex(/^[a-z0-9][a-z0-9._-]{0,99}$/)
              .optional(),
            since: timeParam.optional(),
            limit: z.coerce.number().int().min(1).max(1000).default(100),
          }),
          response: { 200: z.object({ alarms: z.array(alarmSchema) }) },
        },
      },
      async (req) => {
        const q = req.query;
        const list = await alarms.list({
          ...(q.state !== undefined ? { state: q.state } : {}),
          ...(q.subject !== undefined ? { subject: q.subject } : {}),
          ...(q.since !== undefined ? { since: q.since } : {}),
          limit: q.limit,
        });
        return { alarms: list.map(alarmView) };
      },
    );

    app.get(
      '/api/v1/alarms/:id',
      {
        config: { access: 'alarms.read' },
        schema: {
          summary: 'One alarm',
          tags: ['alarms'],
          params: idParams,
          response: { 200: z.object({ alarm: alarmSchema }) },
        },
      },
      async (req) => {
        const a = await alarms.get(req.params.id);
        if (!a) throw new VigilError('VIGIL_ERR_NOT_FOUND', 'alarm');
        return { alarm: alarmView(a) };
      },
    );

    app.post(
      '/api/v1/alarms/:id/ack',
      {
        config: { access: 'alarms.ack' },
        schema: {
          summary: 'Acknowledge an alarm with a reason (control action: MFA required, audited)',
          tags: ['alarms'],
          params: idParams,
          body: z.strictObject({
            reason: z.string().trim().min(1).max(ACK_REASON_MAX).regex(PRINTABLE),
          }),
          response: { 200: z.object({ alarm: alarmSchema }) },
        },
      },
      async (req) => {
        const actor = actorOf(principalOf(req));
        const at = clock();
        const a = await alarms.acknowledge(req.params.id, {
          by: actor,
          at,
          reason: req.body.reason,
          meaning: ACK_MEANING_REVIEW,
        });
        await audit.appendAudit({
          ts: at,
          actor,
          action: 'alarm.ack',
          object: a.id,
          detail: {
            rule: a.rule,
            subject: a.subject,
            reason: a.ack?.reason ?? '',
            meaning: ACK_MEANING_REVIEW,
          },
        });
        return { alarm: alarmView(a) };
      },
    );
  };
}
