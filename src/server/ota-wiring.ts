import type { Logger } from 'pino';
import type { CommandService } from '../commands/command-service.ts';
import type { VigilContext } from '../data-dir/context.ts';
import { VigilError } from '../errors.ts';
import type { AcceptedMessage } from '../ingest/pipeline.ts';
import type { RejectionRecorder } from '../ingest/rejection-recorder.ts';
import { configuredDownloadBase, createOtaServices, type OtaServices } from '../lifecycle/ota-services.ts';
import type { LiveBus } from '../live/live-bus.ts';
import type { FdBudget } from '../net/fd-budget.ts';
import { FirmwareServer } from '../ota/firmware-server.ts';

/** A running server's OTA services, or VIGIL_ERR_CONFIG where it runs none (not `--role all`). */
export function otaOf(server: { ota: OtaServices | null }): OtaServices {
  if (!server.ota)
    throw new VigilError('VIGIL_ERR_CONFIG', 'OTA campaigns run in `vigil start --role all` only');
  return server.ota;
}

/** Firmware downloads and OTA campaigns, wired into a running server. */
export interface OtaWiring {
  services: OtaServices;
  /** The port devices download from. */
  port: number;
  /** Devices' `ota` events advance their campaign. */
  onAccepted(ev: AcceptedMessage): void;
  updateTls(tls: { cert?: string; key?: string; ca?: string; crl?: string }): void;
  stop(): Promise<void>;
}

export async function wireOta(p: {
  ctx: VigilContext;
  commands: CommandService;
  bus: LiveBus;
  tls: { cert: string; key: string; ca: string; crl: string };
  logger: Logger;
  /** The process's descriptor budget: firmware connections count in the HTTPS share. */
  fdBudget: FdBudget;
  rejections: RejectionRecorder;
}): Promise<OtaWiring> {
  const { ctx, logger } = p;
  let port = ctx.config.ota.port;
  const services = createOtaServices(ctx, {
    commands: p.commands,
    downloadBase: () => configuredDownloadBase(ctx, port),
    onChange: (id) => p.bus.publish('ota', { campaignId: id }),
  });
  const server = new FirmwareServer({
    tls: { ...p.tls },
    store: ctx.store,
    firmware: services.firmware,
    logger: logger.child({ component: 'firmware-download' }),
    host: ctx.config.http.host,
    port,
    limits: {
      maxConnections: ctx.config.ota.maxConnections,
      maxConnectionsPerAddress: ctx.config.ota.maxConnectionsPerAddress,
      budget: p.fdBudget,
    },
    onRefuse: (reason, address) =>
      p.rejections.record({
        code: reason,
        source: 'firmware',
        address,
        detail: { code: 'VIGIL_ERR_CONNECTION_LIMIT' },
      }),
  });
  port = await server.listen();
  const timer = setInterval(
    () => void services.campaigns.tick().catch((err) => logger.error({ err }, 'OTA campaign tick failed')),
    ctx.config.ota.tickMs,
  );
  timer.unref();
  return {
    services,
    port,
    onAccepted(ev) {
      if (ev.channel !== 'events') return;
      for (const m of ev.messages) {
        if (m.body.type === 'ota')
          void services.campaigns
            .onEvent(ev.deviceId, m.body)
            .catch((err) => logger.error({ err, device: ev.deviceId }, 'OTA event handling failed'));
      }
    },
    updateTls: (tls) => server.updateTls(tls),
    async stop() {
      clearInterval(timer);
      await services.campaigns.tick().catch(() => {});
      await server.close();
    },
  };
}
