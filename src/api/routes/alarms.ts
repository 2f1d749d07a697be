import { z } from 'zod';
import { ACK_MEANINGS, ACK_REASON_MAX, type AlarmRecord, type AlarmStore } from '../../alarms/alarm-store.ts';
import type { AccountService } from '../../auth/accounts.ts';
import { VigilError } from '../../errors.ts';
import { alarmTier } from '../../rules/tier-rules.ts';
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
  ack: z
    .object({
      by: z.string(),
      at: z.number(),
      reason: z.string(),
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
    disproved: a.disproved,
    tier: alarmTier(a.rule),
  };
}

/** An alarm id in a path (percent-encoded: ids contain `/`). */
const idParams = z.strictObject({ id: z.string().min(1).max(200) });

/** Printable text: no control characters but tab and newline. */
const PRINTABLE = /^[^\u0000-\u0008\u000b-\u001f\u007f]*$/;

/**
 * Alarms: list (any reader) and acknowledge (alarms.ack: operator, quality, admin; MFA). An
 * acknowledgement is an electronic signature in the sense of 21 CFR Part 11: the signed-in user
 * re-enters password and a fresh TOTP code (11.200(a)(1)), and the record shows the signer's
 * printed name, role, the date and time, the meaning (11.50) and the reason (1-500 characters).
 * It is audited as `alarm.ack` (never with the password or code), and is final: a second one is
 * refused with 409.
 */
export function alarmsRoutes(
  alarms: AlarmStore,
  audit: Pick<Store, 'appendAudit'>,
  clock: () => number,
  signer: Pick<AccountService, 'verifySignature'>,
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
          summary:
            'Acknowledge an alarm with an electronic signature: reason, meaning, password and TOTP (MFA session, audited)',
          description:
            'Wrong password: 401 VIGIL_ERR_AUTH; wrong or reused TOTP code: 401 VIGIL_ERR_TOTP; both count ' +
            'towards the sign-in lockout (429 VIGIL_ERR_LOCKED). API tokens cannot sign (403).',
          tags: ['alarms'],
          params: idParams,
          body: z.strictObject({
            reason: z.string().trim().min(1).max(ACK_REASON_MAX).regex(PRINTABLE),
            meaning: z.enum(ACK_MEANINGS),
            password: z.string().min(1).max(1024),
            totp: z.string().min(1).max(16),
          }),
          response: { 200: z.object({ alarm: alarmSchema }) },
        },
      },
      async (req) => {
        const principal = principalOf(req);
        const actor = actorOf(principal);
        // Refuse what cannot succeed before spending the signer's TOTP code on it.
        const current = await alarms.get(req.params.id);
        if (!current) throw new VigilError('VIGIL_ERR_NOT_FOUND', 'alarm');
        if (current.ack) throw new VigilError('VIGIL_ERR_ALREADY_ACKNOWLEDGED', current.id.slice(0, 200));
        const who = await signer.verifySignature(
          principal,
          { password: req.body.password, totp: req.body.totp },
          { address: req.ip },
        );
        const at = clock();
        const a = await alarms.acknowledge(current.id, {
          by: actor,
          at,
          reason: req.body.reason,
          meaning: req.body.meaning,
          name: who.name,
          role: who.role,
        });
        await audit.appendAudit({
          ts: at,
          actor,
          action: 'alarm.ack',
          object: a.id,
          detail: {
            rule: a.rule,
            subject: a.subject,
            reason: req.body.reason,
            meaning: req.body.meaning,
            signer: who.name,
            role: who.role,
            signed_at: new Date(at).toISOString(),
            signature: 'password+totp',
          },
        });
        return { alarm: alarmView(a) };
      },
    );
  };
}
