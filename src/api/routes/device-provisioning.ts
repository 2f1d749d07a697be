import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { addDevice } from '../../devices/device-service.ts';
import { actorOf } from '../access.ts';
import type { RoutePlugin } from '../api-deps.ts';
import { deviceIdParams, deviceSummary } from '../schemas.ts';
import { principalOf } from './auth.ts';
import { summarize } from './devices.ts';

/** The files of a device bundle, by name (see src/app/device-service.ts addDevice). */
const bundleSchema = z.object({
  'ca.crt': z.string(),
  'device.crt': z.string(),
  'device.key': z.string(),
  'device.json': z.string(),
  'vigil_device_config.h': z.string(),
});

/**
 * Provisioning from the dashboard (admin, MFA, audited as `device.add`). The bundle holds the
 * device's private key and secret, so it is written to a private temporary directory inside the
 * data directory (mode 0700), read into the answer and deleted: the answer (no-store) is the only
 * copy. Losing it means provisioning the device again.
 */
export const deviceProvisioningRoutes: RoutePlugin = async (app, { deps }) => {
  const { ctx, keyring } = deps;

  app.post(
    '/api/v1/devices',
    {
      config: { access: 'devices.manage' },
      schema: {
        summary: 'Add a device; the answer carries its bundle (certificate, key, secret) once',
        tags: ['devices'],
        body: z.strictObject({
          id: deviceIdParams.shape.id,
          profile: deviceSummary.shape.profile,
          alg: z.enum(['A256GCM', 'ASCON128']).optional(),
        }),
        response: { 201: z.object({ device: deviceSummary, bundle: bundleSchema }) },
      },
    },
    async (req, reply) => {
      const actor = actorOf(principalOf(req));
      const tmpRoot = join(ctx.paths.dataDir, 'tmp');
      mkdirSync(tmpRoot, { recursive: true, mode: 0o700 });
      const dir = mkdtempSync(join(tmpRoot, 'bundle-'));
      try {
        const b = await addDevice(ctx, {
          id: req.body.id,
          profile: req.body.profile,
          ...(req.body.alg ? { alg: req.body.alg } : {}),
          outDir: join(dir, req.body.id),
          actor,
        });
        keyring.invalidate(b.device.id);
        const read = (f: string) => readFileSync(join(b.dir, f), 'utf8');
        const bundle = {
          'ca.crt': read('ca.crt'),
          'device.crt': read('device.crt'),
          'device.key': read('device.key'),
          'device.json': read('device.json'),
          'vigil_device_config.h': read('vigil_device_config.h'),
        };
        req.log.info({ device: b.device.id, actor }, 'device provisioned through the API');
        return reply
          .code(201)
          .header('cache-control', 'no-store')
          .send({ device: summarize(b.device, ctx.clock()), bundle });
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );
};
