import { z } from 'zod';
import type { VigilConfig } from '../../config/schema.ts';
import type { RoutePlugin } from '../api-deps.ts';

const settingsSchema = z.object({
  /** The map's tile source; null: the bundled offline outline map. */
  tiles: z.object({ url: z.string(), attribution: z.string().nullable() }).nullable(),
});

/** What the dashboard needs from the configuration (`dashboard.*`), for any signed-in user. */
export function dashboardSettingsRoutes(dashboard: VigilConfig['dashboard']): RoutePlugin {
  const body: z.infer<typeof settingsSchema> = {
    tiles: dashboard.tiles.url
      ? { url: dashboard.tiles.url, attribution: dashboard.tiles.attribution ?? null }
      : null,
  };
  return async (app) => {
    app.get(
      '/api/v1/dashboard/settings',
      {
        config: { access: 'signed-in' },
        schema: {
          summary: "The dashboard's settings (map tile source)",
          tags: ['system'],
          response: { 200: settingsSchema },
        },
      },
      async () => body,
    );
  };
}
