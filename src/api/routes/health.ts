import { z } from 'zod';
import type { RoutePlugin } from '../api-deps.ts';

/** Liveness for load balancers and probes: public, and says nothing but "ok". */
export const healthRoutes: RoutePlugin = async (app) => {
  app.get(
    '/healthz',
    {
      config: { access: 'public' },
      schema: {
        summary: 'Liveness (no authentication, no details)',
        tags: ['system'],
        response: { 200: z.object({ status: z.literal('ok') }) },
      },
    },
    async () => ({ status: 'ok' as const }),
  );
};
