import { z } from 'zod';
import { auditEntrySchema } from '../account-schemas.ts';
import type { RoutePlugin } from '../api-deps.ts';
import type { AuditReads } from '../ports.ts';
import { timeParam } from '../schemas.ts';

/** The hash-chained audit log (auditor, admin). */
export function auditRoutes(audit: AuditReads): RoutePlugin {
  return async (app) => {
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
        return { entries: entries.slice(0, limit), more: entries.length > limit };
      },
    );
  };
}
