import type { AlarmStore } from '../alarms/alarm-store.ts';
import { startApiServer } from '../api/api-server.ts';
import type { IngestMeter, LiveFrameData, StatusSources } from '../api/ports.ts';
import { type AuthServices, createAuthServices } from '../auth/auth-services.ts';
import type { VigilContext } from '../data-dir/context.ts';
import type { GatewayView } from '../gateways/gateway-registry.ts';
import type { RejectionRecorder } from '../ingest/rejection-recorder.ts';
import type { LifecycleServices } from '../lifecycle/lifecycle-services.ts';
import type { OtaServices } from '../lifecycle/ota-services.ts';
import type { LiveBus } from '../live/live-bus.ts';
import type { FdBudget } from '../net/fd-budget.ts';
import type { ShipmentService } from '../shipments/shipment-service.ts';
import { composeApiRoutes } from './api-routes.ts';
import type { Notifications } from './notifications-wiring.ts';
import type { ServerOptions } from './start-server.ts';

/** What the HTTPS API of a process needs besides the context. */
export interface ApiPartDeps {
  ctx: VigilContext;
  opts: ServerOptions;
  status: StatusSources;
  alarms: AlarmStore;
  shipments: ShipmentService;
  /** The notification configuration, senders and service the routes use. */
  notifications: Notifications;
  /** Commands and the key and certificate lifecycle (`vigil start` on SQLite); absent elsewhere. */
  lifecycle?: LifecycleServices | undefined;
  /** Firmware uploads and OTA campaigns (with the lifecycle only: `vigil start --role all`). */
  ota?: OtaServices | undefined;
  /** Gateways and their last status (`vigil start`); absent in role processes. */
  gateways?: { views(): GatewayView[] } | undefined;
  bus: LiveBus<LiveFrameData>;
  fdBudget: FdBudget;
  rejections: RejectionRecorder;
  /** This process's ingest figures (an API-only process has none). */
  ingest: IngestMeter;
  tls: { cert: string; key: string; ca: string; crl: string };
  onDeviceChanged: (id: string, enabled: boolean) => void;
  webRoot: string;
  /** Why the dashboard is read-only now (the data volume is full), or null. */
  readOnly?: () => string | null;
}

/**
 * The HTTPS API and dashboard of one process (`vigil start`, or `--role api`): auth services
 * created once (the authenticator and the sign-in routes share sessions, lockout state and
 * in-flight limits; sessions and failures live in the database, so API processes share them).
 */
export async function startApiPart(d: ApiPartDeps) {
  const { ctx, opts } = d;
  const { config, logger, clock } = ctx;
  const auth: AuthServices = createAuthServices({
    store: ctx.accountStore,
    audit: ctx.store,
    master: ctx.master,
    clock,
    logger,
    ...(opts.authOptions?.sessionTimeouts ? { sessionTimeouts: opts.authOptions.sessionTimeouts } : {}),
    ...(opts.authOptions?.lockout ? { lockout: opts.authOptions.lockout } : {}),
  });
  const composed = composeApiRoutes({
    ctx,
    auth,
    customAuthenticator: opts.authenticator,
    alarms: d.alarms,
    shipments: d.shipments,
    notifications: d.notifications,
    lifecycle: d.lifecycle,
    ota: d.ota,
    gateways: d.gateways,
    bus: d.bus,
    status: d.status,
    onDeviceChanged: d.onDeviceChanged,
    liveLimits: opts.live,
    webRoot: d.webRoot,
    extraRoutes: opts.apiRoutes ?? [],
  });
  const api = await startApiServer({
    listen: { host: config.http.host, port: config.http.port },
    limits: config.http,
    fdBudget: d.fdBudget,
    rejections: d.rejections,
    tls: d.tls,
    logger,
    clock,
    authenticator: opts.authenticator ?? auth.authenticator,
    ingest: d.ingest,
    routes: composed.routes,
    ...(d.readOnly ? { readOnly: d.readOnly } : {}),
    tileOrigin: config.dashboard.tiles.url ? new URL(config.dashboard.tiles.url).origin : undefined,
  });
  const httpPort = (api.server.address() as { port: number }).port;
  return { api, auth, composed, httpPort };
}
