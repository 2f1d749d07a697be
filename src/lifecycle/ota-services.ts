import type { CommandService } from '../commands/command-service.ts';
import type { VigilContext } from '../data-dir/context.ts';
import { CampaignService } from '../ota/campaign-service.ts';
import { FirmwareService } from '../ota/firmware-service.ts';
import { createLifecycleServices } from './lifecycle-services.ts';

export interface OtaServices {
  firmware: FirmwareService;
  campaigns: CampaignService;
}

/** Where devices download, as configured (the server passes its bound port instead). */
export function configuredDownloadBase(ctx: VigilContext, port = ctx.config.ota.port): string {
  const host = ctx.config.pki.hostNames[0] ?? 'localhost';
  return `https://${host.includes(':') ? `[${host}]` : host}:${port}`;
}

/** Firmware uploads and campaigns over one data directory; commands go through `commands`. */
export function createOtaServices(
  ctx: VigilContext,
  o: { commands?: CommandService; downloadBase?: () => string; onChange?: (campaignId: string) => void } = {},
): OtaServices {
  const { ota, images } = ctx.otaStores;
  const firmware = new FirmwareService({
    ota,
    store: ctx.store,
    images,
    trustedKeys: ctx.config.ota.trustedKeys,
    clock: ctx.clock,
  });
  const campaigns = new CampaignService({
    ota,
    store: ctx.store,
    commands: o.commands ?? createLifecycleServices(ctx).commands,
    clock: ctx.clock,
    logger: ctx.logger.child({ component: 'ota' }),
    downloadBase: o.downloadBase ?? (() => configuredDownloadBase(ctx)),
    deviceTimeoutMs: ctx.config.ota.deviceTimeoutSeconds * 1000,
    ...(o.onChange ? { onChange: o.onChange } : {}),
  });
  return { firmware, campaigns };
}
