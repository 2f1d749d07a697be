import { join } from 'node:path';
import type { AlarmStore } from '../alarms/alarm-store.ts';
import type { RoutePlugin } from '../api/api-deps.ts';
import type { BackfillTracker } from '../api/backfill-tracker.ts';
import { openApiRoutes } from '../api/openapi.ts';
import type {
  DeviceControl,
  DeviceLabelAccess,
  ExternalBrokerStatus,
  LiveFrameData,
  StatusSources,
} from '../api/ports.ts';
import { alarmsRoutes } from '../api/routes/alarms.ts';
import { auditRoutes } from '../api/routes/audit.ts';
import { authRoutes } from '../api/routes/auth.ts';
import { claimsRoutes } from '../api/routes/claims.ts';
import { commandsRoutes } from '../api/routes/commands.ts';
import { dashboardSettingsRoutes } from '../api/routes/dashboard-settings.ts';
import { deviceProvisioningRoutes } from '../api/routes/device-provisioning.ts';
import { deviceReportsRoutes } from '../api/routes/device-reports.ts';
import { devicesRoutes } from '../api/routes/devices.ts';
import { gatewaysRoutes } from '../api/routes/gateways.ts';
import { healthRoutes } from '../api/routes/health.ts';
import { lifecycleRoutes } from '../api/routes/lifecycle.ts';
import { type LiveCredentials, type LiveLimits, type LiveStats, liveRoutes } from '../api/routes/live.ts';
import { metricsRoutes } from '../api/routes/metrics.ts';
import { notificationStatusRoutes } from '../api/routes/notification-status.ts';
import { notificationAdminRoutes } from '../api/routes/notifications.ts';
import { otaRoutes } from '../api/routes/ota.ts';
import { readingsRoutes } from '../api/routes/readings.ts';
import { seclabRoutes } from '../api/routes/seclab.ts';
import { shipmentsRoutes } from '../api/routes/shipments.ts';
import { staticRoutes } from '../api/routes/static.ts';
import { systemRoutes } from '../api/routes/system.ts';
import { tokensRoutes } from '../api/routes/tokens.ts';
import { usersRoutes } from '../api/routes/users.ts';
import { checkpointLine } from '../audit/audit-checkpoint.ts';
import type { AuthServices } from '../auth/auth-services.ts';
import type { Authenticator, Principal } from '../auth/principal.ts';
import type { ContinuityService } from '../continuity/continuity-service.ts';
import type { LinkTracker } from '../continuity/link-tracker.ts';
import type { LifecycleStores, VigilContext } from '../data-dir/context.ts';
import { labelsOf, setDeviceLabels } from '../device-labels/device-label-service.ts';
import { deleteDevice, revokeDevice, setDeviceEnabled } from '../devices/device-service.ts';
import { provisionInMemory } from '../devices/provision-in-memory.ts';
import { VigilError } from '../errors.ts';
import type { GatewayView } from '../gateways/gateway-registry.ts';
import { deviceLifecycle, fleetLifecycle } from '../lifecycle/fleet-lifecycle.ts';
import { type LifecycleServices, lifecycleSources } from '../lifecycle/lifecycle-services.ts';
import type { OtaServices } from '../lifecycle/ota-services.ts';
import type { LiveBus } from '../live/live-bus.ts';
import { isDeviceId } from '../protocol/device-id.ts';
import { loadOrCreateReportSigner } from '../reports/index.ts';
import { SeclabRunner } from '../seclab/seclab-runs.ts';
import type { ShipmentService } from '../shipments/shipment-service.ts';
import { readLoggerDisplay } from '../sim/logger-display.ts';
import type { Notifications } from './notifications-wiring.ts';

/** What the API's routes are built from (src/server/start-server.ts). */
export interface ApiWiring {
  ctx: VigilContext;
  auth: AuthServices;
  /** Given by the caller (tests) instead of the sessions and tokens of `auth`. */
  customAuthenticator?: Authenticator | undefined;
  alarms: AlarmStore;
  shipments: ShipmentService;
  /** Commands and the key and certificate lifecycle; absent on PostgreSQL (not available there yet). */
  lifecycle?: LifecycleServices | undefined;
  /** Firmware uploads and OTA campaigns; absent where the lifecycle is (they send `ota` commands). */
  ota?: OtaServices | undefined;
  notifications: Notifications;
  bus: LiveBus<LiveFrameData>;
  /** What /api/v1/system, /metrics and the live feed report. */
  status: StatusSources;
  /** Gateways and their last status (docs/gateway.md); absent in role processes (start-role-server.ts), which list none. */
  gateways?: { views(): GatewayView[] } | undefined;
  /** Drops the device's cached status and, when it is disabled, its live MQTT session. */
  onDeviceChanged: (id: string, enabled: boolean) => void;
  liveLimits?: Partial<LiveLimits> | undefined;
  webRoot: string;
  /** More route modules, registered after the built-in ones and before the dashboard's files. */
  extraRoutes: RoutePlugin[];
}

/** Commands, a device's and the fleet's key and certificate state, and claims. */
function lifecycleApiRoutes(
  ctx: VigilContext,
  stores: LifecycleStores,
  lifecycle: LifecycleServices,
  status: StatusSources,
): RoutePlugin[] {
  return [
    commandsRoutes({
      commands: {
        send: (input) => lifecycle.commands.send(input),
        list: (deviceId, limit) => stores.commands.list({ deviceId, limit, newestFirst: true }),
      },
      devices: ctx.store,
    }),
    lifecycleRoutes({ device: (id) => deviceLifecycle(lifecycleSources(ctx), id), status }),
    claimsRoutes({
      list: async () => ({
        claims: await stores.claims.listClaims(),
        batches: await stores.claims.listBatches(),
        quarantine: await stores.claims.listQuarantine(),
      }),
      approve: (serial, deviceId, actor) => lifecycle.claims.approve(serial, deviceId, actor),
      reject: (serial, actor, reason) => lifecycle.claims.reject(serial, actor, reason),
    }),
  ];
}

/** Bed and ward labels over the label store of either engine. */
function deviceLabelAccess(ctx: VigilContext): DeviceLabelAccess {
  const labels = ctx.deviceLabels;
  const deps = { devices: ctx.store, labels, clock: ctx.clock };
  return {
    all: async () => new Map((await labels.listLabels()).map((r) => [r.deviceId, labelsOf(r)])),
    get: async (id) => labelsOf(await labels.getLabels(id)),
    set: (id, next, actor) => setDeviceLabels(deps, id, next, actor),
  };
}

/**
 * The API's route modules in registration order, each given only the ports it uses, and the live
 * feed's counters.
 */
export function composeApiRoutes(w: ApiWiring): {
  routes: RoutePlugin[];
  liveStats: LiveStats;
  seclab: SeclabRunner;
} {
  const { ctx, auth, alarms, status } = w;
  const { store, clock } = ctx;
  const authenticator = w.customAuthenticator ?? auth.authenticator;
  // The API's own commits are invisible to the store change watcher: apply them here at once.
  const control: DeviceControl = {
    setEnabled: async (id, enabled, actor) => {
      const d = await setDeviceEnabled(ctx, id, enabled, actor);
      w.onDeviceChanged(d.id, d.status === 'enabled');
      return d;
    },
    provision: async (input) => {
      const b = await provisionInMemory(ctx, input);
      w.onDeviceChanged(b.device.id, true);
      return b;
    },
    revoke: async (id, actor) => {
      await revokeDevice(ctx, id, actor);
      w.onDeviceChanged(id, false);
      const d = await store.getDevice(id);
      if (!d) throw new VigilError('VIGIL_ERR_NOT_FOUND', 'device');
      return d;
    },
    remove: async (id, actor) => {
      await deleteDevice(ctx, id, actor);
      w.onDeviceChanged(id, false);
    },
  };
  const custom = w.customAuthenticator;
  const live = liveRoutes({
    bus: w.bus,
    authenticator,
    devices: store,
    status,
    clock,
    revalidate: custom
      ? (_p, credentials) => custom.authenticate(credentials)
      : (p, credentials) => revalidate(ctx, auth, p, credentials),
    ...(w.liveLimits ? { limits: w.liveLimits } : {}),
    onDrop: () => void store.addCounters({ live_clients_dropped_slow: 1 }).catch(() => {}),
  });
  // Quick `vigil seclab` runs started from the system page, and the last report (docs/seclab.md).
  const seclab = new SeclabRunner({ dataDir: ctx.paths.dataDir, audit: store, logger: ctx.logger, clock });
  const routes: RoutePlugin[] = [
    healthRoutes,
    metricsRoutes(status),
    devicesRoutes({
      devices: store,
      alarms,
      control,
      // Only the simulator's devices have a display file (src/sim/logger-display.ts).
      displays: {
        display: async (id) => {
          if (!isDeviceId(id)) return null;
          const d = readLoggerDisplay(join(ctx.paths.simDir, id));
          return d && { batch: d.batch, token: d.token, dispatchedAt: d.dispatchedAt, shipment: d.shipment };
        },
      },
      labels: deviceLabelAccess(ctx),
      clock,
    }),
    deviceProvisioningRoutes(control, clock),
    gatewaysRoutes(w.gateways ?? { views: () => [] }),
    ...(w.lifecycle ? lifecycleApiRoutes(ctx, ctx.lifecycleStores, w.lifecycle, status) : []),
    // What devices report (firmware, outputs); OTA where this process runs it (`--role all`).
    deviceReportsRoutes({ reports: ctx.otaStores.reports, devices: ctx.store }),
    ...(w.ota
      ? [
          otaRoutes({
            ota: ctx.otaStores.ota,
            reports: ctx.otaStores.reports,
            firmware: w.ota.firmware,
            campaigns: w.ota.campaigns,
          }),
        ]
      : []),
    readingsRoutes(store, clock),
    auditRoutes(store, clock),
    systemRoutes(status),
    dashboardSettingsRoutes(ctx.config.dashboard),
    openApiRoutes,
    authRoutes(auth),
    usersRoutes(auth),
    tokensRoutes(auth),
    alarmsRoutes(alarms, store, clock, auth.accounts),
    shipmentsRoutes({
      service: w.shipments,
      signer: auth.accounts,
      readings: store,
      alarms,
      audit: store,
      reportSigner: () => loadOrCreateReportSigner(ctx.paths.pkiDir, ctx.master),
      auditCheckpoint: async () => {
        const cp = await store.latestAuditCheckpoint();
        return cp ? checkpointLine(cp) : null;
      },
      clock,
    }),
    notificationAdminRoutes({ config: w.notifications.config, test: w.notifications.test }),
    notificationStatusRoutes({
      service: w.notifications.service,
      store: ctx.notificationStore,
      config: w.notifications.config,
      clock,
    }),
    live.plugin,
    seclabRoutes(seclab),
    ...w.extraRoutes,
    // Last: its catch-all must not shadow anything.
    staticRoutes({ root: w.webRoot }),
  ];
  return { routes, liveStats: live.stats, seclab };
}

/** The sources of /api/v1/system and /metrics: this process's ingest, broker and data directory. */
export function statusSources(p: {
  ctx: VigilContext;
  ingest: StatusSources['ingest'];
  rejectionTotals: () => Record<string, number>;
  broker: StatusSources['broker'];
  backfill: BackfillTracker;
  /** The link to an external broker; undefined with the embedded broker. */
  externalLink: { stats(): { connected: boolean }; brokers?: () => ExternalBrokerStatus[] } | undefined;
  continuity: ContinuityService;
  links: LinkTracker;
  /** Gateway figures for /metrics; absent in role processes, which track no gateway. */
  gateways?: { metrics(): string } | undefined;
  /** The sinks' status; absent in processes that run no sinks (the PostgreSQL roles). */
  sinks?: StatusSources['sinks'];
}): StatusSources {
  return {
    clock: p.ctx.clock,
    store: p.ctx.store,
    ingest: p.ingest,
    rejectionTotals: p.rejectionTotals,
    broker: p.broker,
    externalBrokerUrl: p.ctx.config.mqtt.external?.url,
    // The link's own state; the embedded broker counts as reachable while it listens.
    brokerReachable: () =>
      p.externalLink
        ? p.externalLink.stats().connected
        : p.broker
          ? p.broker.stats().port !== undefined
          : null,
    lastBackfillAt: (id) => p.backfill.lastAt(id),
    externalBrokers: () => p.externalLink?.brokers?.() ?? [],
    dbPath: p.ctx.paths.db,
    caCertPem: p.ctx.ca.certPem,
    lifecycle: () => fleetLifecycle(lifecycleSources(p.ctx)),
    continuity: () => p.continuity.report(),
    link: (id) => p.links.get(id),
    ...(p.gateways ? { gatewayMetrics: p.gateways.metrics.bind(p.gateways) } : {}),
    ...(p.sinks ? { sinks: p.sinks } : {}),
  };
}

/**
 * A live-feed connection's principal as it stands now, read without touching the session (a
 * dashboard that only listens must not keep its session alive past the idle timeout). Null when
 * the session expired or ended, the user was disabled, or the token is no longer valid.
 */
async function revalidate(
  ctx: VigilContext,
  auth: AuthServices,
  p: Principal,
  credentials: LiveCredentials,
): Promise<Principal | null> {
  if (p.kind === 'token') {
    return credentials.authorization
      ? auth.authenticator.authenticate({ authorization: credentials.authorization })
      : null;
  }
  if (!p.sessionId) return null;
  const s = await ctx.accountStore.getSession(p.sessionId);
  if (!s || s.userName !== p.name || auth.sessions.expiry(s, ctx.clock()) !== null) return null;
  const user = await ctx.accountStore.getUser(s.userName);
  if (user?.status !== 'active') return null;
  return { kind: 'user', name: user.name, role: user.role, mfa: s.state === 'mfa_ok', sessionId: s.idHash };
}
