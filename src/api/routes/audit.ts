import { z } from 'zod';
import { auditEntryView } from '../../audit/audit-entry-view.ts';
import { iso } from '../../iso-time.ts';
import { auditEntrySchema, auditVerificationSchema } from '../account-schemas.ts';
import type { RoutePlugin } from '../api-deps.ts';
import type { AuditReads } from '../ports.ts';
import { timeParam } from '../schemas.ts';

/** The hash-chained audit log (auditor, admin): entries, and the verification of the chain. */
export function auditRoutes(audit: AuditReads, clock: () => number): RoutePlugin {
  return async (app) => {
    app.get(
      '/api/v1/audit/verify',
      {
        config: { access: 'audit.read' },
        schema: {
          summary: 'Walk the whole audit hash chain (HMAC under the master key) and say where it breaks',
          description:
            'Every prevHash must equal the previous entry’s hash and every hash must recompute; `firstBroken` is ' +
            'the id of the first entry that fails. Entries removed from the end show only against a signed ' +
            'checkpoint (`vigil audit verify`).',
          tags: ['audit'],
          response: { 200: auditVerificationSchema },
        },
      },
      async () => ({ ...(await audit.verifyAudit()), checkedAt: iso(clock()) }),
    );

    app.get(
      '/api/v1/audit',
      {
        config: { access: 'audit.read' },
        schema: {
          summary: 'Audit log entries from `since` on, oldest first',
          description:
            'Page on with since = the last entry ts (inclusive; skip ids already seen) while `more` is true.',
          tags: ['audit'],
          querystring: z.strictObject({
            since: timeParam.optional(),
            limit: z.coerce.number().int().min(1).max(1000).default(100),
            action: z
              .string()
              .regex(/^[a-z0-9_.]{1,64}$/)
              .optional(),
          }),
          response: { 200: z.object({ entries: z.array(auditEntrySchema), more: z.boolean() }) },
        },
      },
      async (req) => {
        const { since, limit, action } = req.query;
        const entries = await audit.queryAudit({
          ...(since !== undefined ? { since } : {}),
          ...(action !== undefined ? { action } : {}),
          limit: limit + 1,
        });
        return { entries: entries.slice(0, limit).map(auditEntryView), more: entries.length > limit };
      },
    );
  };
}
