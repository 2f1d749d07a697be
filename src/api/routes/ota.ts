import { z } from 'zod';
import { VigilError } from '../../errors.ts';
import type { CampaignService } from '../../ota/campaign-service.ts';
import { campaignDeviceView, campaignView } from '../../ota/campaign-view.ts';
import type { DeviceReports } from '../../ota/device-reports.ts';
import { runningVersions } from '../../ota/device-reports.ts';
import type { FirmwareService } from '../../ota/firmware-service.ts';
import { firmwareView } from '../../ota/firmware-view.ts';
import type { CampaignRecord, OtaStore } from '../../ota/ota-store.ts';
import { actorOf } from '../access.ts';
import type { RoutePlugin } from '../api-deps.ts';

/** Largest upload body: a 16 MiB image in base64 and its manifest. */
const UPLOAD_BODY_LIMIT = 23 * 1024 * 1024;

const firmwareSchema = z.object({
  version: z.string(),
  profile: z.string(),
  size: z.number().int(),
  sha256: z.string(),
  securityCounter: z.number().int(),
  minVersion: z.string().nullable(),
  keyId: z.string(),
  addedBy: z.string(),
  addedAt: z.string(),
});
const counts = z.object({
  pending: z.number().int(),
  sent: z.number().int(),
  downloading: z.number().int(),
  installing: z.number().int(),
  succeeded: z.number().int(),
  failed: z.number().int(),
  cancelled: z.number().int(),
});
const campaignSchema = z.object({
  id: z.string(),
  version: z.string(),
  target: z.union([z.object({ devices: z.array(z.string()) }), z.object({ profile: z.string() })]),
  state: z.enum(['running', 'paused', 'aborted', 'completed']),
  reason: z.string().nullable(),
  wavePct: z.number().int(),
  maxFailuresPct: z.number().int(),
  wavesReleased: z.number().int(),
  waves: z.number().int(),
  devices: z.number().int(),
  counts,
  createdBy: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
const campaignDeviceSchema = z.object({
  deviceId: z.string(),
  runningVersion: z.string().nullable(),
  wave: z.number().int(),
  state: z.string(),
  progressPct: z.number().int(),
  error: z.string().nullable(),
  commandId: z.string().nullable(),
  updatedAt: z.string(),
});
const idParams = z.strictObject({ id: z.uuid() });

/**
 * Firmware and OTA campaigns (docs/ota.md). Reading is `devices.read`; uploading, starting,
 * pausing, resuming and aborting are `devices.command`: interactive sessions with MFA only,
 * never API tokens, and audited like every command to devices.
 */
export function otaRoutes(p: {
  ota: OtaStore;
  reports: DeviceReports;
  firmware: FirmwareService;
  campaigns: CampaignService;
}): RoutePlugin {
  const view = async (c: CampaignRecord) => campaignView(c, await p.ota.campaignDevices(c.id));
  return async (app) => {
    app.get(
      '/api/v1/firmware',
      {
        config: { access: 'devices.read' },
        schema: {
          summary: 'Uploaded firmware, newest first',
          tags: ['ota'],
          response: {
            200: z.object({ firmware: z.array(firmwareSchema), trustedKeys: z.array(z.string()) }),
          },
        },
      },
      async () => ({
        firmware: (await p.ota.listFirmware()).map(firmwareView),
        trustedKeys: [...p.firmware.trustedKeys],
      }),
    );

    app.post(
      '/api/v1/firmware',
      {
        config: { access: 'devices.command' },
        bodyLimit: UPLOAD_BODY_LIMIT,
        schema: {
          summary:
            'Upload a signed image (MFA required, audited; refused unless it verifies against ota.trustedKeys)',
          tags: ['ota'],
          body: z.strictObject({
            image: z.string().regex(/^[A-Za-z0-9+/_=-]+$/),
            manifest: z.record(z.string(), z.unknown()),
          }),
          response: { 201: z.object({ firmware: firmwareSchema }) },
        },
      },
      async (req, reply) => {
        const principal = req.principal;
        if (!principal) throw new VigilError('VIGIL_ERR_AUTH');
        const image = Buffer.from(
          req.body.image,
          req.body.image.includes('-') || req.body.image.includes('_') ? 'base64url' : 'base64',
        );
        const rec = await p.firmware.add(image, JSON.stringify(req.body.manifest), actorOf(principal));
        reply.code(201);
        return { firmware: firmwareView(rec) };
      },
    );

    app.get(
      '/api/v1/ota/campaigns',
      {
        config: { access: 'devices.read' },
        schema: {
          summary: 'OTA campaigns, newest first, with counts per device state',
          tags: ['ota'],
          response: { 200: z.object({ campaigns: z.array(campaignSchema) }) },
        },
      },
      async () => ({ campaigns: await Promise.all((await p.ota.listCampaigns()).map(view)) }),
    );

    app.get(
      '/api/v1/ota/campaigns/:id',
      {
        config: { access: 'devices.read' },
        schema: {
          summary: 'One campaign and each of its devices',
          tags: ['ota'],
          params: idParams,
          response: { 200: z.object({ campaign: campaignSchema, devices: z.array(campaignDeviceSchema) }) },
        },
      },
      async (req) => {
        const c = await p.ota.getCampaign(req.params.id);
        if (!c) throw new VigilError('VIGIL_ERR_NOT_FOUND', 'campaign');
        const devices = await p.ota.campaignDevices(c.id);
        const running = await runningVersions(p.reports, devices);
        return {
          campaign: campaignView(c, devices),
          devices: devices.map((d) => campaignDeviceView(d, running.get(d.deviceId) ?? null)),
        };
      },
    );

    app.post(
      '/api/v1/ota/campaigns',
      {
        config: { access: 'devices.command' },
        schema: {
          summary: 'Start an OTA campaign in staged waves (MFA required, audited)',
          tags: ['ota'],
          body: z.strictObject({
            version: z.string().max(11),
            devices: z.array(z.string().max(64)).min(1).max(10_000).optional(),
            profile: z.string().max(64).optional(),
            wavePct: z.number().int().min(1).max(100).optional(),
            maxFailuresPct: z.number().int().min(0).max(100).optional(),
          }),
          response: { 201: z.object({ campaign: campaignSchema }) },
        },
      },
      async (req, reply) => {
        const principal = req.principal;
        if (!principal) throw new VigilError('VIGIL_ERR_AUTH');
        const c = await p.campaigns.start({ ...req.body, actor: actorOf(principal) });
        reply.code(201);
        return { campaign: await view(c) };
      },
    );

    for (const action of ['pause', 'resume', 'abort'] as const) {
      app.post(
        `/api/v1/ota/campaigns/:id/${action}`,
        {
          config: { access: 'devices.command' },
          schema: {
            summary: `${action[0]?.toUpperCase()}${action.slice(1)} a campaign (MFA required, audited)`,
            tags: ['ota'],
            params: idParams,
            response: { 200: z.object({ campaign: campaignSchema }) },
          },
        },
        async (req) => {
          const principal = req.principal;
          if (!principal) throw new VigilError('VIGIL_ERR_AUTH');
          const c = await p.campaigns[action](req.params.id, actorOf(principal));
          return { campaign: await view(c) };
        },
      );
    }
  };
}
