import { z } from 'zod';
import type { GatewayView } from '../../gateways/gateway-registry.ts';
import type { RoutePlugin } from '../api-deps.ts';

const n = z.number().int().optional();
const gatewaySchema = z.object({
  id: z.string(),
  devices: z.array(z.string()),
  revoked: z.boolean(),
  createdAt: z.string(),
  status: z
    .object({
      uplink: z.enum(['up', 'down']),
      queueDepth: n,
      queueBytes: n,
      maxQueueBytes: n,
      oldestQueuedAgeMs: n,
      queueFull: z.boolean().optional(),
      devicesOnline: n,
      devicesBound: n,
      forwarded: n,
      commandsQueued: n,
      receivedAt: z.string(),
    })
    .nullable(),
});

/** Gateways with their devices and last status (docs/gateway.md): the dashboard's gateways view. */
export function gatewaysRoutes(gateways: { views(): GatewayView[] }): RoutePlugin {
  return async (app) => {
    app.get(
      '/api/v1/gateways',
      {
        config: { access: 'devices.read' },
        schema: {
          summary: 'Gateways: bound devices, uplink state, queue depth and age, devices online',
          tags: ['devices'],
          response: { 200: z.object({ gateways: z.array(gatewaySchema) }) },
        },
      },
      async () => ({ gateways: gateways.views() }),
    );
  };
}
