import type { Authenticator, Principal } from '../auth/principal.ts';
import { VigilError } from '../errors.ts';
import { checkAccess, isRouteAccess, type RouteAccess } from './access.ts';
import type { ApiServer } from './api-deps.ts';
import { isBearer } from './csrf-guard.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** What the route requires; every route must declare it (checked when routes are added). */
    access?: RouteAccess;
  }
  interface FastifyRequest {
    /** Who is calling, set by the auth guard; null when not signed in (or the route is public). */
    principal: Principal | null;
  }
}

/**
 * Authentication and authorisation for every route:
 * - at start-up, a route without a valid `config.access` is a programming error (fail closed);
 * - onRequest: the Authenticator resolves the principal from the Cookie / Authorization headers
 *   (a bearer request is judged by its token alone, never by a cookie that rides along), then
 *   the route's access rule is applied.
 *
 * The check runs in onRequest rather than preHandler so that an unauthenticated or forbidden
 * caller is refused before its body is read or its input is validated: it learns nothing about
 * the route's schema and cannot make the server parse 64 KiB of JSON.
 */
export function installAuthGuard(app: ApiServer, authenticator: Authenticator): void {
  app.decorateRequest('principal', null);
  app.addHook('onRoute', (route) => {
    if (!isRouteAccess(route.config?.access)) {
      throw new VigilError('VIGIL_ERR_CONFIG', `route ${route.method} ${route.url} declares no access rule`);
    }
  });
  app.addHook('onRequest', async (req) => {
    if (req.is404) return;
    const access = req.routeOptions.config.access;
    if (access === undefined) throw new VigilError('VIGIL_ERR_FORBIDDEN', 'route without access rule');
    if (access === 'public') return;
    const authorization = req.headers.authorization;
    const cookie = req.headers.cookie;
    req.principal = await authenticator.authenticate(
      isBearer(authorization) ? { authorization } : { cookie, authorization },
    );
    const refusal = checkAccess(req.principal, access);
    if (refusal) throw new VigilError(refusal, `${req.method} ${req.routeOptions.url ?? ''}`);
  });
}
