import { z } from 'zod';
import { commandView } from '../../commands/command-view.ts';
import { VigilError } from '../../errors.ts';
import { actorOf } from '../access.ts';
import type { RoutePlugin } from '../api-deps.ts';
import type { CommandControl, DeviceReads } from '../ports.ts';
import { deviceIdParams } from '../schemas.ts';

const scalar = z.union([z.string(), z.number(), z.boolean(), z.null()]);

/** A command as the API returns it (src/commands/command-view.ts). */
export const commandSchema = z.object({
  id: z.string(),
  deviceId: z.string(),
  op: z.string(),
  args: z.record(z.string(), scalar),
  state: z.enum(['queued', 'sent', 'acked', 'expired']),
  outcome: z.enum(['ok', 'error']).nullable(),
  error: z.string().nullable(),
  result: z.record(z.string(), scalar).nullable(),
  createdBy: z.string(),
  reason: z.string().nullable(),
  createdAt: z.string().nullable(),
  expiresAt: z.string().nullable(),
  sentAt: z.string().nullable(),
  sendCount: z.number().int(),
  downlinkSeq: z.number().int().nullable(),
  ackedAt: z.string().nullable(),
});

/**
 * Device commands: send (operator or admin with MFA, audited with who, what and why) and list.
 * `POST /api/v1/devices/{id}/rotate-key` is the same as sending `rotate_key`.
 */
export function commandsRoutes(p: { commands: CommandControl; devices: DeviceReads }): RoutePlugin {
  const { commands, devices } = p;
  return async (app) => {
    app.post(
      '/api/v1/devices/:id/commands',
      {
        config: { access: 'devices.command' },
        schema: {
          summary: 'Send a signed command to a device (control action: MFA required, audited)',
          description:
            'Stored durably and delivered when the device is online, sent again after a reconnect until ' +
            'acked or expired. States: queued → sent → acked (outcome ok | error) | expired.',
          tags: ['devices'],
          params: deviceIdParams,
          body: z.strictObject({
            op: z.string().regex(/^[a-z_]{2,32}$/),
            args: z.record(z.string(), scalar).optional(),
            ttlSeconds: z
              .number()
              .int()
              .min(1)
              .max(30 * 86_400)
              .optional(),
            reason: z.string().trim().max(500).optional(),
          }),
          response: { 201: z.object({ command: commandSchema }) },
        },
      },
      async (req, reply) => {
        const principal = req.principal;
        if (!principal) throw new VigilError('VIGIL_ERR_AUTH');
        const b = req.body;
        const cmd = await commands.send({
          deviceId: req.params.id,
          op: b.op,
          args: b.args,
          ttlMs: b.ttlSeconds === undefined ? undefined : b.ttlSeconds * 1000,
          actor: actorOf(principal),
          reason: b.reason,
        });
        req.log.info(
          { device: cmd.deviceId, op: cmd.op, command: cmd.id, actor: actorOf(principal) },
          'command queued',
        );
        reply.code(201);
        return { command: commandView(cmd) };
      },
    );

    app.post(
      '/api/v1/devices/:id/rotate-key',
      {
        config: { access: 'devices.command' },
        schema: {
          summary: 'Rotate the device secret to the next kid by ECDH (control action: MFA required, audited)',
          tags: ['devices'],
          params: deviceIdParams,
          body: z.strictObject({ reason: z.string().trim().max(500).optional() }).optional(),
          response: { 201: z.object({ command: commandSchema }) },
        },
      },
      async (req, reply) => {
        const principal = req.principal;
        if (!principal) throw new VigilError('VIGIL_ERR_AUTH');
        const cmd = await commands.send({
          deviceId: req.params.id,
          op: 'rotate_key',
          actor: actorOf(principal),
          reason: req.body?.reason,
        });
        reply.code(201);
        return { command: commandView(cmd) };
      },
    );

    app.get(
      '/api/v1/devices/:id/commands',
      {
        config: { access: 'devices.read' },
        schema: {
          summary: "A device's commands, newest first",
          tags: ['devices'],
          params: deviceIdParams,
          querystring: z.strictObject({ limit: z.coerce.number().int().min(1).max(1000).default(100) }),
          response: { 200: z.object({ commands: z.array(commandSchema) }) },
        },
      },
      async (req) => {
        if (!(await devices.getDevice(req.params.id))) throw new VigilError('VIGIL_ERR_NOT_FOUND', 'device');
        return { commands: (await commands.list(req.params.id, req.query.limit)).map(commandView) };
      },
    );
  };
}
