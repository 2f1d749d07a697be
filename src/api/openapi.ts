import type { Server as HttpsServer } from 'node:https';
import fastifySwagger from '@fastify/swagger';
import type { FastifyInstance, FastifySchema } from 'fastify';
import { jsonSchemaTransform } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { PERMISSIONS } from '../auth/rbac.ts';
import { SESSION_COOKIE } from '../auth/sessions.ts';
import type { RouteAccess } from './access.ts';
import type { RoutePlugin } from './api-deps.ts';

type SwaggerTransformArg = Parameters<typeof jsonSchemaTransform>[0];

/** Who may call a route, in words, appended to its OpenAPI description. */
function accessNote(access: RouteAccess | undefined): string {
  if (access === 'public') return 'Access: public.';
  if (access === 'signed-in') return 'Access: any signed-in user.';
  if (!access) return '';
  const p = PERMISSIONS[access];
  return `Access: permission \`${access}\` (roles: ${p.roles.join(', ')})${p.mfa ? '; requires completed MFA' : ''}.`;
}

/**
 * Registers @fastify/swagger so the OpenAPI 3.1 document is generated from the routes' zod
 * schemas (fastify-type-provider-zod's transform), each operation carrying its access rule. Must
 * be registered before the routes, which it collects through onRoute.
 */
export async function registerOpenApi(app: FastifyInstance<HttpsServer>, version: string): Promise<void> {
  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Vigil API',
        version,
        description:
          'Secure IoT monitoring for vaccine cold chains. Errors are `{"error":{"code":"VIGIL_ERR_...","message":"..."}}` ' +
          'with the status of the error catalogue. State-changing requests from a browser must carry an Origin ' +
          'equal to this server (CSRF); API tokens (`Authorization: Bearer`) are exempt.',
      },
      components: {
        securitySchemes: {
          session: { type: 'apiKey', in: 'cookie', name: SESSION_COOKIE },
          bearer: { type: 'http', scheme: 'bearer', description: 'API token' },
        },
      },
    },
    transform: (doc: SwaggerTransformArg) => {
      const out = jsonSchemaTransform(doc);
      const access = doc.route.config?.access;
      const schema: FastifySchema = { ...out.schema };
      const note = accessNote(access);
      schema.description = [schema.description, note].filter(Boolean).join('\n\n');
      // Machine-readable too: `vigil seclab` derives the route x role matrix of a running server from it.
      if (access) (schema as Record<string, unknown>)['x-vigil-access'] = access;
      if (access === 'public') schema.security = [];
      else if (doc.url === '/metrics') schema.security = [{ bearer: [] }];
      else schema.security = [{ session: [] }, { bearer: [] }];
      return { schema, url: out.url };
    },
  });
}

/** Serves the generated document to signed-in users. */
export const openApiRoutes: RoutePlugin = async (app) => {
  app.get(
    '/api/v1/openapi.json',
    {
      config: { access: 'openapi.read' },
      schema: { hide: true, response: { 200: z.record(z.string(), z.unknown()) } },
    },
    async () => app.swagger() as unknown as Record<string, unknown>,
  );
};
