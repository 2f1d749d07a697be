import { z } from 'zod';
import { VigilError } from '../../errors.ts';
import type { RoutePlugin } from '../api-deps.ts';
import type { DeviceLifecycleReads, StatusSources } from '../ports.ts';
import { deviceIdParams } from '../schemas.ts';

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
const ts = z.string().nullable();

/** Key and certificate lifecycle: per device (device page) and for the fleet (system page). */
export function lifecycleRoutes(p: { device: DeviceLifecycleReads; status: StatusSources }): RoutePlugin {
  return async (app) => {
    app.get(
      '/api/v1/devices/:id/lifecycle',
      {
        config: { access: 'devices.read' },
        schema: {
          summary: 'Current kid and its age, last rotation, certificate expiry, pending commands',
          tags: ['devices'],
          params: deviceIdParams,
          response: {
            200: z.object({
              kid: z.number().int(),
              kidCreatedAt: ts,
              lastRotation: z
                .object({
                  kid: z.number().int(),
                  state: z.enum(['pending', 'acked', 'completed', 'failed']),
                  startedAt: ts,
                  ackedAt: ts,
                  completedAt: ts,
                  error: z.string().nullable(),
                })
                .nullable(),
              certSerial: z.string().nullable(),
              certNotAfter: ts,
              pendingCommands: z.number().int(),
            }),
          },
        },
      },
      async (req) => {
        const l = await p.device(req.params.id);
        if (!l) throw new VigilError('VIGIL_ERR_NOT_FOUND', 'device');
        return {
          kid: l.kid,
          kidCreatedAt: iso(l.kidCreatedAt),
          lastRotation: l.lastRotation
            ? {
                ...l.lastRotation,
                startedAt: iso(l.lastRotation.startedAt),
                ackedAt: iso(l.lastRotation.ackedAt),
                completedAt: iso(l.lastRotation.completedAt),
              }
            : null,
          certSerial: l.certSerial,
          certNotAfter: iso(l.certNotAfter),
          pendingCommands: l.pendingCommands,
        };
      },
    );

    app.get(
      '/api/v1/system/lifecycle',
      {
        config: { access: 'system.read' },
        schema: {
          summary: "The fleet's key rotation and certificate expiry: due, overdue, failing",
          tags: ['system'],
          response: {
            200: z.object({
              rotation: z.object({
                due: z.number().int(),
                overdue: z.number().int(),
                failing: z.number().int(),
                inProgress: z.number().int(),
                periodDays: z.number().int(),
              }),
              certificates: z.object({
                due: z.number().int(),
                overdue: z.number().int(),
                failing: z.number().int(),
                soonestExpiry: z.object({ deviceId: z.string(), notAfter: z.string() }).nullable(),
                renewBeforeDays: z.number().int(),
              }),
              counters: z.record(z.string(), z.number()),
            }),
          },
        },
      },
      async () => {
        if (!p.status.lifecycle) throw new VigilError('VIGIL_ERR_UNAVAILABLE');
        const f = await p.status.lifecycle();
        const s = f.certificates.soonestExpiry;
        return {
          ...f,
          certificates: {
            ...f.certificates,
            soonestExpiry: s ? { deviceId: s.deviceId, notAfter: new Date(s.notAfter).toISOString() } : null,
          },
        };
      },
    );
  };
}
