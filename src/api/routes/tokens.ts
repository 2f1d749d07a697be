import { z } from 'zod';
import { tokenJson } from '../../auth/account-view.ts';
import { API_TOKEN_MAX_TTL_MS } from '../../auth/api-tokens.ts';
import type { AuthServices } from '../../auth/auth-services.ts';
import { ROLES } from '../../auth/principal.ts';
import { actorOf } from '../access.ts';
import { tokenSchema } from '../account-schemas.ts';
import type { RoutePlugin } from '../api-deps.ts';
import { principalOf } from './auth.ts';

const DAY = 86_400_000;

/** API tokens for machine clients (admin, MFA): created and shown once, listed, revoked; audited. */
export function tokensRoutes(auth: AuthServices): RoutePlugin {
  const { tokens } = auth;
  return async (app) => {
    app.get(
      '/api/v1/tokens',
      {
        config: { access: 'tokens.manage' },
        schema: {
          summary: 'Every API token (active, expired, revoked); never the secret',
          tags: ['tokens'],
          response: { 200: z.object({ tokens: z.array(tokenSchema) }) },
        },
      },
      async () => ({ tokens: (await tokens.list()).map(tokenJson) }),
    );

    app.post(
      '/api/v1/tokens',
      {
        config: { access: 'tokens.manage' },
        schema: {
          summary: 'Create a token for one role; the token is in this answer only (store it now)',
          description:
            'The token belongs to the caller: it stops working when the caller is disabled and never does more ' +
            "than the caller's current role allows. It never manages users or tokens and never signs. Longest " +
            'lifetime: admin 30 days, operator/quality/receiver 90, viewer/auditor 366 (default 90 or less).',
          tags: ['tokens'],
          body: z.strictObject({
            label: z.string().min(1).max(64),
            role: z.enum(ROLES),
            /** Lifetime in days; default 90. */
            ttlDays: z
              .number()
              .int()
              .min(1)
              .max(API_TOKEN_MAX_TTL_MS / DAY)
              .optional(),
          }),
          response: { 201: z.object({ token: z.string(), apiToken: tokenSchema }) },
        },
      },
      async (req, reply) => {
        const r = await tokens.create({
          label: req.body.label,
          role: req.body.role,
          ...(req.body.ttlDays !== undefined ? { ttlMs: req.body.ttlDays * DAY } : {}),
          owner: principalOf(req).name,
          actor: actorOf(principalOf(req)),
        });
        return reply.code(201).send({ token: r.token, apiToken: tokenJson(r.view) });
      },
    );

    app.delete(
      '/api/v1/tokens/:id',
      {
        config: { access: 'tokens.manage' },
        schema: {
          summary: 'Revoke a token (idempotent)',
          tags: ['tokens'],
          params: z.strictObject({ id: z.string().regex(/^[0-9a-f]{16}$/, 'must be a token id') }),
        },
      },
      async (req, reply) => {
        await tokens.revoke(req.params.id, actorOf(principalOf(req)));
        return reply.code(204).send();
      },
    );
  };
}
