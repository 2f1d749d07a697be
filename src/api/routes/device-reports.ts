import { z } from 'zod';
import { VigilError } from '../../errors.ts';
import type { DeviceReports } from '../../ota/device-reports.ts';
import { PROFILE_OUTPUTS } from '../../protocol/device-outputs.ts';
import type { RoutePlugin } from '../api-deps.ts';
import type { DeviceReads } from '../ports.ts';
import { deviceIdParams } from '../schemas.ts';

const iso = (ms: number) => new Date(ms).toISOString();

const reportedSchema = z.object({
  deviceId: z.string(),
  firmware: z.object({ version: z.string(), ts: z.string(), receivedAt: z.string() }).nullable(),
  outputs: z.array(
    z.object({
      name: z.string(),
      kind: z.enum(['level', 'buzzer', 'relay']),
      label: z.string(),
      value: z.union([z.number(), z.boolean()]).nullable(),
      ts: z.string().nullable(),
      receivedAt: z.string().nullable(),
    }),
  ),
});

/**
 * `GET /api/v1/devices/{id}/reported`: what the device last reported about itself in its signed
 * events: the firmware version it runs (docs/protocol.md §7.5) and the state of each output its
 * profile declares (§7.4 `set_output`), each with the event's time and when it arrived.
 */
export function deviceReportsRoutes(p: { reports: DeviceReports; devices: DeviceReads }): RoutePlugin {
  return async (app) => {
    app.get(
      '/api/v1/devices/:id/reported',
      {
        config: { access: 'devices.read' },
        schema: {
          summary: "A device's reported running firmware version and output states",
          tags: ['devices'],
          params: deviceIdParams,
          response: { 200: reportedSchema },
        },
      },
      async (req) => {
        const device = await p.devices.getDevice(req.params.id);
        if (!device) throw new VigilError('VIGIL_ERR_NOT_FOUND', 'device');
        const decls = PROFILE_OUTPUTS[device.profile];
        const [fw] = await p.reports.firmware([device.id]);
        const reported = new Map(
          (
            await p.reports.outputs(
              device.id,
              decls.map((o) => o.name),
            )
          ).map((r) => [r.name, r]),
        );
        return {
          deviceId: device.id,
          firmware: fw ? { version: fw.version, ts: iso(fw.ts), receivedAt: iso(fw.receivedAt) } : null,
          outputs: decls.map((o) => {
            const r = reported.get(o.name);
            // A value of the wrong type for the output is not a state this output can be in.
            const fits =
              r && (o.kind === 'level' ? typeof r.value === 'number' : typeof r.value === 'boolean');
            return {
              name: o.name,
              kind: o.kind,
              label: o.label,
              value: fits ? r.value : null,
              ts: fits ? iso(r.ts) : null,
              receivedAt: fits ? iso(r.receivedAt) : null,
            };
          }),
        };
      },
    );
  };
}
