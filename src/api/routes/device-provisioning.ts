import { z } from 'zod';
import { ALGS } from '../../protocol/aead.ts';
import { actorOf } from '../access.ts';
import type { RoutePlugin } from '../api-deps.ts';
import type { DeviceControl } from '../ports.ts';
import { deviceIdParams, deviceSummary } from '../schemas.ts';
import { principalOf } from './auth.ts';
import { summarize } from './devices.ts';

/** The files of a device bundle, by name (src/api/ports.ts `DeviceBundleFiles`). */
const bundleSchema = z.object({
  'ca.crt': z.string(),
  'device.crt': z.string(),
  'device.key': z.string(),
  'device.json': z.string(),
  'vigil_device_config.h': z.string(),
});

/**
 * Provisioning from the dashboard (admin, MFA, audited as `device.add`). The bundle holds the
 * device's private key and secret: the answer (no-store) is its only copy. Losing it means
 * provisioning the device again.
 */
export function deviceProvisioningRoutes(control: DeviceControl, clock: () => number): RoutePlugin {
  return async (app) => {
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
            // `none` (no payload encryption) is for lab devices provisioned from the CLI only.
            alg: z.enum(ALGS).exclude(['none']).optional(),
          }),
          response: { 201: z.object({ device: deviceSummary, bundle: bundleSchema }) },
        },
      },
      async (req, reply) => {
        const actor = actorOf(principalOf(req));
        const { device, bundle } = await control.provision({
          id: req.body.id,
          profile: req.body.profile,
          ...(req.body.alg ? { alg: req.body.alg } : {}),
          actor,
        });
        req.log.info({ device: device.id, actor }, 'device provisioned through the API');
        return reply
          .code(201)
          .header('cache-control', 'no-store')
          .send({ device: summarize(device, clock()), bundle });
      },
    );

    app.post(
      '/api/v1/devices/:id/revoke',
      {
        config: { access: 'devices.manage' },
        schema: {
          summary: 'Revoke a device: its certificates go on the CRL and it can never connect again (audited)',
          description: 'Final: a revoked device is provisioned again under a new id.',
          tags: ['devices'],
          params: deviceIdParams,
          response: { 200: z.object({ device: deviceSummary }) },
        },
      },
      async (req) => {
        const actor = actorOf(principalOf(req));
        const d = await control.revoke(req.params.id, actor);
        req.log.info({ device: d.id, actor }, 'device revoked through the API');
        return { device: summarize(d, clock()) };
      },
    );

    app.delete(
      '/api/v1/devices/:id',
      {
        config: { access: 'devices.manage' },
        schema: {
          summary: 'Delete a device that never connected (audited as device.delete)',
          description:
            'A device that has been seen, or has readings, events or a shipment, keeps its record: 409 ' +
            'VIGIL_ERR_DEVICE_IN_USE (revoke it instead).',
          tags: ['devices'],
          params: deviceIdParams,
          response: { 200: z.object({ deleted: z.string() }) },
        },
      },
      async (req) => {
        const actor = actorOf(principalOf(req));
        await control.remove(req.params.id, actor);
        req.log.info({ device: req.params.id, actor }, 'device deleted through the API');
        return { deleted: req.params.id };
      },
    );
  };
}
