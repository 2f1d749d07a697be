import { z } from 'zod';
import type { Principal } from '../../auth/principal.ts';
import { can } from '../../auth/rbac.ts';
import { VigilError } from '../../errors.ts';
import { iso, isoOrNull } from '../../iso-time.ts';
import {
  type DeviceLabels,
  deviceLabelsInput,
  LABEL_MAX,
  takesLabels,
} from '../../protocol/device-labels.ts';
import { learnedIntervalMs, onlineWindowMs } from '../../rules/device-cadence.ts';
import type { DeviceRecord, ReadingRecord } from '../../storage/store.ts';
import { actorOf } from '../access.ts';
import type { RoutePlugin } from '../api-deps.ts';
import type { AlarmList, DeviceControl, DeviceLabelAccess, DeviceReads, LoggerDisplays } from '../ports.ts';
import {
  type DeviceSummary,
  deviceDetail,
  deviceIdParams,
  deviceLabelsView,
  deviceListRow,
  deviceSummary,
  loggerDisplaySchema,
} from '../schemas.ts';
import { principalOf } from './auth.ts';

/**
 * A device that sent an accepted message within this window counts as online, where its reporting
 * interval is not known (the device list learns it: src/rules/device-cadence.ts).
 */
export const ONLINE_WINDOW_MS = 10 * 60_000;
/** Recent readings the device list learns a device's reporting interval from. */
const CADENCE_SAMPLES = 32;

export function summarize(d: DeviceRecord, now: number): DeviceSummary {
  return {
    id: d.id,
    profile: d.profile,
    status: d.status,
    alg: d.alg,
    currentKid: d.currentKid,
    online: d.status === 'enabled' && d.lastSeenAt !== null && now - d.lastSeenAt <= ONLINE_WINDOW_MS,
    lastSeenAt: isoOrNull(d.lastSeenAt),
    createdAt: iso(d.createdAt),
    updatedAt: iso(d.updatedAt),
    certNotAfter: isoOrNull(d.certNotAfter),
  };
}

function toReading(r: ReadingRecord) {
  const data: Record<string, number | string | boolean | null> = {};
  for (const [k, v] of Object.entries(r.data)) {
    if (v === null || typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean') data[k] = v;
  }
  return { ts: iso(r.ts), receivedAt: iso(r.receivedAt), backfill: r.backfill, seq: r.seq, data };
}

/** Whether the caller may see bed and ward labels (docs/permissions.md). */
const seesLabels = (principal: Principal | null | undefined) =>
  principal != null && can(principal, 'devices.labels.read') === 'ok';

/**
 * Devices: list, detail with the latest reading, enable and disable (control, MFA, audited), and
 * a patient monitor's bed and ward labels (shown to `devices.labels.read`, set with
 * `devices.labels.manage`, audited).
 */
export function devicesRoutes(p: {
  devices: DeviceReads;
  alarms: AlarmList;
  control: DeviceControl;
  displays: LoggerDisplays;
  labels: DeviceLabelAccess;
  clock: () => number;
}): RoutePlugin {
  const { devices: registry, alarms, control, clock, labels } = p;
  /** The labels a caller sees for one device: a patient monitor's, to a caller allowed to. */
  const labelsFor = (d: DeviceRecord, shown: Map<string, DeviceLabels> | null) =>
    shown && takesLabels(d.profile) ? { labels: shown.get(d.id) ?? { bed: null, ward: null } } : {};
  return async (app) => {
    app.get(
      '/api/v1/devices/:id/display',
      {
        config: { access: 'devices.control' },
        schema: {
          summary: "A simulated logger's display: its trip's batch id and delivery token (demo; operators)",
          description:
            "For the demo's simulated trucks, so that proof of delivery can be tried end to end. `display` is " +
            'null for any other device (a real logger shows its token on its own screen only). Not cached.',
          tags: ['devices'],
          params: deviceIdParams,
          response: { 200: loggerDisplaySchema },
        },
      },
      async (req, reply) => {
        if (!(await registry.getDevice(req.params.id))) throw new VigilError('VIGIL_ERR_NOT_FOUND', 'device');
        const d = await p.displays.display(req.params.id);
        reply.header('cache-control', 'no-store');
        return { display: d ? { simulated: true as const, ...d, dispatchedAt: iso(d.dispatchedAt) } : null };
      },
    );

    app.get(
      '/api/v1/devices',
      {
        config: { access: 'devices.read' },
        schema: {
          summary: 'List devices with status and last seen time',
          tags: ['devices'],
          response: {
            200: z.object({ devices: z.array(deviceListRow) }),
          },
        },
      },
      async (req) => {
        const now = clock();
        const devices = await registry.listDevices();
        const shown = seesLabels(req.principal) ? await labels.all() : null;
        const alarmed = new Set((await alarms.list({ state: 'active', limit: 1000 })).map((a) => a.subject));
        const rows = [];
        for (const d of devices) {
          const recent = await registry.queryReadings({
            deviceId: d.id,
            descending: true,
            limit: CADENCE_SAMPLES,
          });
          const latest = recent[0];
          const expectedIntervalMs = learnedIntervalMs(recent.map((r) => r.receivedAt));
          const window = onlineWindowMs(expectedIntervalMs, ONLINE_WINDOW_MS);
          rows.push({
            ...summarize(d, now),
            ...labelsFor(d, shown),
            online: d.status === 'enabled' && d.lastSeenAt !== null && now - d.lastSeenAt <= window,
            expectedIntervalMs,
            latest: latest ? toReading(latest) : null,
            alarm: alarmed.has(d.id) ? ('open' as const) : ('none' as const),
          });
        }
        return { devices: rows };
      },
    );

    app.get(
      '/api/v1/devices/:id',
      {
        config: { access: 'devices.read' },
        schema: {
          summary: 'One device with its latest reading',
          tags: ['devices'],
          params: deviceIdParams,
          response: { 200: deviceDetail },
        },
      },
      async (req) => {
        const d = await registry.getDevice(req.params.id);
        if (!d) throw new VigilError('VIGIL_ERR_NOT_FOUND', 'device');
        const [latest] = await registry.queryReadings({ deviceId: d.id, descending: true, limit: 1 });
        const shown =
          seesLabels(req.principal) && takesLabels(d.profile)
            ? new Map([[d.id, await labels.get(d.id)]])
            : null;
        return {
          device: { ...summarize(d, clock()), ...labelsFor(d, shown) },
          latest: latest ? toReading(latest) : null,
        };
      },
    );

    app.put(
      '/api/v1/devices/:id/labels',
      {
        config: { access: 'devices.labels.manage' },
        schema: {
          summary: "Set a patient monitor's bed and ward labels (audited as device.labels)",
          description:
            `Both fields; null or "" clears one. At most ${LABEL_MAX} characters each, no control characters. ` +
            'Only patient monitors (patient-vitals) carry labels: any other device is refused with 400 ' +
            'VIGIL_ERR_USAGE. Shown to callers with devices.labels.read only (docs/permissions.md).',
          tags: ['devices'],
          params: deviceIdParams,
          body: deviceLabelsInput,
          response: { 200: z.object({ labels: deviceLabelsView }) },
        },
      },
      async (req) => ({ labels: await labels.set(req.params.id, req.body, actorOf(principalOf(req))) }),
    );

    for (const action of ['disable', 'enable'] as const) {
      app.post(
        `/api/v1/devices/:id/${action}`,
        {
          config: { access: 'devices.control' },
          schema: {
            summary: `${action === 'disable' ? 'Disable' : 'Enable'} a device (control action: MFA required, audited)`,
            tags: ['devices'],
            params: deviceIdParams,
            response: { 200: z.object({ device: deviceSummary }) },
          },
        },
        async (req) => {
          const principal = req.principal;
          if (!principal) throw new VigilError('VIGIL_ERR_AUTH');
          const d = await control.setEnabled(req.params.id, action === 'enable', actorOf(principal));
          req.log.info({ device: d.id, action, actor: actorOf(principal) }, 'device status changed');
          return { device: summarize(d, clock()) };
        },
      );
    }
  };
}
