import { fileURLToPath } from 'node:url';
import { type AlarmService, createAlarmService } from '../alarms/alarm-service.ts';
import type { AlarmStore } from '../alarms/alarm-store.ts';
import { alarmView } from '../alarms/alarm-view.ts';
import { observeAlarmStore } from '../alarms/observed-alarm-store.ts';
import type { RouteInfo, RoutePlugin } from '../api/api-deps.ts';
import { apiRuntimeOf, httpsGuardOf, startApiServer } from '../api/api-server.ts';
import { BackfillTracker } from '../api/backfill-tracker.ts';
import type { LiveLimits, LiveStats } from '../api/routes/live.ts';
import { AuditCheckpoints } from '../audit/audit-checkpoints.ts';
import { type AuthServices, createAuthServices } from '../auth/auth-services.ts';
import type { LockoutPolicy } from '../auth/lockout.ts';
import type { Authenticator } from '../auth/principal.ts';
import type { SessionTimeouts } from '../auth/sessions.ts';
import { EmbeddedBroker } from '../broker/embedded-broker.ts';
import { INGEST_SERVICE_NAME } from '../broker/mosquitto-config.ts';
import { type MqttLink, startMqttLink } from '../broker/mqtt-link.ts';
import { trustBundlePem } from '../data-dir/ca-files.ts';
import { rebuildCrl, serverTlsMaterial, type VigilContext } from '../data-dir/context.ts';
import { takeServerLock } from '../data-dir/server-lock.ts';
import { ensureServiceCert } from '../data-dir/service-cert.ts';
import { DeviceKeyring } from '../ingest/device-keyring.ts';
import { type AcceptedMessage, IngestPipeline } from '../ingest/pipeline.ts';
import { RejectionRecorder } from '../ingest/rejection-recorder.ts';
import type { LifecycleServices } from '../lifecycle/lifecycle-services.ts';
import type { OtaServices } from '../lifecycle/ota-services.ts';
import type { ServerCertRenewal } from '../lifecycle/server-cert-renewal.ts';
import { LiveBus } from '../live/live-bus.ts';
import { TLS_SERVER_OPTIONS } from '../pki/tls-policy.ts';
import { createProcessFdBudget } from '../process/process-fd-budget.ts';
import { runShutdown, type ShutdownOutcome } from '../process/shutdown.ts';
import { loadOrCreateReportSigner } from '../reports/signing.ts';
import { ShipmentService } from '../shipments/shipment-service.ts';
import { tripRulesConfig } from '../shipments/trip.ts';
import { watchStoreChanges } from '../storage/change-watcher.ts';
import { composeApiRoutes, statusSources } from './api-routes.ts';
import { coalesce } from './coalesce.ts';
import { type LifecycleWiring, wireLifecycle } from './lifecycle-wiring.ts';
import { createNotifications, type Notifications } from './notifications-wiring.ts';
import { type OtaWiring, wireOta } from './ota-wiring.ts';

/** The dashboard build (`npm run build:web`), served at `/`. */
export const DEFAULT_WEB_ROOT = fileURLToPath(new URL('../../web/dist', import.meta.url));

export interface RunningServer {
  mqttPort: number;
  httpPort: number;
  pipeline: IngestPipeline;
  rejections: RejectionRecorder;
  broker: EmbeddedBroker | undefined;
  /** Accounts, sessions and API tokens (the instance the API uses). */
  auth: AuthServices;
  /** Alarms; changes made through this instance reach the live feed (the rules write here). */
  alarms: AlarmStore;
  /** The rules on live data: per-device rule sets (`configureSubject`), alarms persisted to `alarms`. */
  alarmService: AlarmService;
  /** Shipments and chain of custody; fed the devices' dispatch and delivery events. */
  shipments: ShipmentService;
  /** Alarm notifications: the service (routing, escalation, outbox), configuration, senders. */
  notifications: Notifications;
  /** The live feed: its bus (publish here) and counters. */
  live: { bus: LiveBus; stats: LiveStats };
  /** Every API route with its access rule. */
  routes: readonly RouteInfo[];
  /** Commands to devices and the key and certificate lifecycle. */
  lifecycle: LifecycleServices;
  /** Firmware uploads and OTA campaigns, and the port devices download from. */
  ota: OtaServices;
  otaPort: number;
  /** Server certificate renewal with hot swap on both listeners. */
  serverCert: ServerCertRenewal;
  /** Stops within `shutdownTimeoutMs` (src/process/shutdown.ts); says whether the drain was clean. */
  stop(): Promise<ShutdownOutcome>;
}

export interface ServerOptions {
  onAccepted?: (ev: AcceptedMessage) => void;
  /** Resolves API callers; default: sessions and API tokens of src/auth over the context's store. */
  authenticator?: Authenticator;
  /** Session timeouts and lockout policy of the auth services (tests shorten them). */
  authOptions?: { sessionTimeouts?: Partial<SessionTimeouts>; lockout?: Partial<LockoutPolicy> };
  /** Live-feed bounds and periods (tests shorten them). */
  live?: Partial<LiveLimits>;
  /** Directory of the built dashboard; default web/dist of this checkout. */
  webRoot?: string;
  /** More API route modules (registered after the built-in ones). */
  apiRoutes?: RoutePlugin[];
  /** Alarm service settings (tests shorten the tick or turn the anomaly monitors off). */
  alarmService?: { tickMs?: number; anomaly?: boolean };
  /** Channel senders instead of the real ones (tests). */
  notificationSenders?: Notifications['senders'];
}

/**
 * Runs Vigil in one process: embedded broker (or a link to an external one), ingest pipeline,
 * encrypted store, and the HTTPS listener. Picks up changes made by other `vigil` commands
 * (device disable, revoke) within `pki.crlPollMs`.
 */
export async function startServer(ctx: VigilContext, opts: ServerOptions = {}): Promise<RunningServer> {
  const { config, store, logger, clock } = ctx;
  const releaseLock = takeServerLock(ctx.paths.lock);
  const rejections = new RejectionRecorder({ store, logger, clock });
  rejections.start();
  // The new kid of a key rotation in progress is accepted before the device's ack is processed.
  let lifecycle: LifecycleWiring | undefined;
  const keyring = new DeviceKeyring(store, ctx.master, (id) => lifecycle?.services.rotation.nextKid(id));
  // One bus for the live feed: fed by ingest (below), by alarm changes and by the API's samplers.
  const bus = new LiveBus();
  // Devices delivering buffered samples (continuity indicators of /api/v1/system).
  const backfill = new BackfillTracker();
  // Alarms: every write reaches the live feed and the notifications; the rules write through the
  // same instance. The notification service only queues here: it never holds up the writer.
  let notifications: Notifications | undefined;
  const alarms = observeAlarmStore(ctx.alarmStore, (a) => {
    bus.publish('alarm', alarmView(a));
    notifications?.service.onAlarmChange(a);
  });
  const alarmService = createAlarmService({
    store,
    alarms,
    logger,
    clock,
    ...(opts.alarmService?.tickMs !== undefined ? { tickMs: opts.alarmService.tickMs } : {}),
    ...(opts.alarmService?.anomaly !== undefined ? { anomaly: opts.alarmService.anomaly } : {}),
  });
  // Shipments: a dispatch event binds batch id and token hash and starts the trip; the device's
  // rules then follow the shipment's profile (and, after a restart, ask for it).
  const shipments = new ShipmentService({
    shipments: ctx.shipmentStore,
    store,
    master: ctx.master,
    clock,
    logger,
    onInTransit: (s, profile) => alarmService.configureSubject(s.deviceId, tripRulesConfig(s, profile)),
  });
  alarmService.setSubjectSource((deviceId) => shipments.rulesConfig(deviceId));
  let httpPort = config.http.port;
  notifications = createNotifications({
    ctx,
    alarms,
    shipments,
    httpPort: () => httpPort,
    ...(opts.notificationSenders ? { senders: opts.notificationSenders } : {}),
  });
  // Commands to devices (durable, signed) and the key and certificate lifecycle built on them.
  const wired = wireLifecycle({
    ctx,
    bus,
    keyring,
    logger,
    // A renewal revoked a superseded certificate: a new CRL for the broker (coalesced), without
    // dropping every cached key as a full refresh would.
    onRevoked: () => crlUpdates.request(),
  });
  lifecycle = wired;
  const commands = wired.services.commands;
  let ota: OtaWiring | undefined;
  const onAccepted = (ev: AcceptedMessage) => {
    wired.onAccepted(ev);
    ota?.onAccepted(ev);
    bus.publishAccepted(ev);
    alarmService.onAccepted(ev);
    if (ev.messages.length > 0) shipments.onMessages(ev.messages);
    backfill.observe(ev);
    opts.onAccepted?.(ev);
  };
  const pipeline = new IngestPipeline({
    store,
    keyring,
    master: ctx.master,
    rejections,
    logger,
    clock,
    topicPrefix: config.mqtt.topicPrefix,
    replayWindow: config.ingest.replayWindow,
    maxFutureSkewMs: config.ingest.maxFutureSkewMs,
    backfillAfterMs: config.ingest.backfillAfterMs,
    onAccepted,
  });
  const crlUpdates = coalesce(() => updateCrlOnly());
  let crl = await rebuildCrl({ paths: ctx.paths, store, ca: ctx.ca, previousCa: ctx.previousCa, clock });
  const tls = serverTlsMaterial(ctx);
  // Firmware downloads (mutual TLS) and OTA campaigns, before devices can connect.
  ota = await wireOta({ ctx, commands, bus, tls: { ...tls, crl: crl.pem }, logger });
  // Before devices can connect: stored alarms restored, recent readings re-judged.
  await alarmService.start();

  // One descriptor budget for both listeners, so a flood on one port cannot starve the other.
  const fdBudget = createProcessFdBudget(config, logger);
  let broker: EmbeddedBroker | undefined;
  let link: MqttLink | undefined;
  let mqttPort = 0;
  if (config.mqtt.external) {
    // External broker (Mosquitto, EMQX): no embedded broker; the pipeline is fed through an MQTT v5
    // shared subscription ($share/<group>/...) as the vigil-ingest service (DESIGN §1).
    const external = config.mqtt.external;
    const service = await ensureServiceCert(ctx, INGEST_SERVICE_NAME);
    link = await startMqttLink({
      url: external.url,
      ca: trustBundlePem(ctx.ca, ctx.previousCa),
      cert: service.certPem,
      key: service.keyPem,
      clientId: INGEST_SERVICE_NAME,
      topicPrefix: config.mqtt.topicPrefix,
      group: external.group,
      maxPacketBytes: config.mqtt.maxPacketBytes,
      sink: pipeline,
      logger,
      // A device that comes back online gets its pending commands again.
      onDeviceState: (id, state) => {
        if (state === 'online') void commands.dispatch(id, true);
      },
      onClaim: (c) => wired.services.claims.onClaim(c),
    });
    const l = link;
    wired.setTransport((topic, payload, retain) => l.publish(topic, payload, retain));
    // The link reconnects on its own; waiting a bounded time only makes a healthy start deterministic.
    await link
      .waitUntilSubscribed(config.mqtt.connectTimeoutMs)
      .catch(() =>
        logger.warn(
          { timeoutMs: config.mqtt.connectTimeoutMs },
          'external broker not subscribed yet; retrying',
        ),
      );
    mqttPort = Number(new URL(external.url).port || 8883);
  } else {
    broker = new EmbeddedBroker({
      host: config.mqtt.host,
      port: config.mqtt.port,
      tls: { ca: tls.ca, cert: tls.cert, key: tls.key, crl: crl.pem },
      topicPrefix: config.mqtt.topicPrefix,
      fdBudget,
      limits: {
        maxPacketBytes: config.mqtt.maxPacketBytes,
        connectTimeoutMs: config.mqtt.connectTimeoutMs,
        keepAliveMaxS: config.mqtt.keepAliveMaxS,
        publishRatePerSec: config.mqtt.publishRatePerSec,
        publishBurst: config.mqtt.publishBurst,
        connectRatePerMinute: config.mqtt.connectRatePerMinute,
        maxConnectionsPerAddress: config.mqtt.maxConnectionsPerAddress,
        maxConnections: config.mqtt.maxConnections,
      },
      sink: pipeline,
      logger,
      // The device subscribed to its commands again (after every reconnect): send what is pending.
      onCommandSubscription: (id) => void commands.dispatch(id, true),
      onClaim: (c) => wired.services.claims.onClaim(c),
      resolveIdentity: (cn, serialHex) => wired.resolveIdentity(cn, serialHex),
      onSecurityEvent: (ev) =>
        rejections.record({
          // Counted by the broker's short reason (unknown_ca, cert_revoked, acl_publish, ...).
          code: ev.reason,
          source: 'broker',
          deviceId: ev.cn ?? ev.clientId,
          address: ev.address,
          detail: { code: ev.code, ...(ev.detail ?? {}) },
        }),
    });
    mqttPort = await broker.start();
    const b = broker;
    wired.setTransport((topic, payload, retain) => b.publish(topic, payload, retain));
  }

  // Another process changed the store: drop caches, rebuild the CRL, kick disabled devices.
  async function updateCrlOnly(): Promise<void> {
    const next = await rebuildCrl({ paths: ctx.paths, store, ca: ctx.ca, previousCa: ctx.previousCa, clock });
    crl = next;
    broker?.updateCrl(next.pem, next.serials);
    ota?.updateTls({ crl: next.pem });
  }
  async function refresh(): Promise<void> {
    keyring.invalidate();
    const next = await rebuildCrl({ paths: ctx.paths, store, ca: ctx.ca, previousCa: ctx.previousCa, clock });
    const added = next.serials.filter((s) => !crl.serials.includes(s));
    crl = next;
    broker?.updateCrl(next.pem, next.serials);
    ota?.updateTls({ crl: next.pem });
    for (const d of await store.listDevices()) {
      if (d.status !== 'enabled') broker?.disconnect(d.id);
    }
    if (added.length > 0) logger.info({ serials: added }, 'CRL updated; revoked sessions dropped');
  }
  const watcher = await watchStoreChanges({
    store,
    intervalMs: config.pki.crlPollMs,
    logger,
    onChange: refresh,
  });
  // The CRL is valid for 24 h: re-sign it well before, or every client would be refused.
  const crlTimer = setInterval(
    () => void refresh().catch((err) => logger.error({ err }, 'CRL refresh failed')),
    6 * 3_600_000,
  );
  crlTimer.unref();

  // Created once: the authenticator and the sign-in routes share sessions, lockout state and
  // in-flight limits.
  const auth = createAuthServices({
    store: ctx.accountStore,
    audit: store,
    master: ctx.master,
    clock,
    logger,
    ...(opts.authOptions?.sessionTimeouts ? { sessionTimeouts: opts.authOptions.sessionTimeouts } : {}),
    ...(opts.authOptions?.lockout ? { lockout: opts.authOptions.lockout } : {}),
  });
  const status = statusSources({
    ctx,
    ingest: pipeline,
    rejectionTotals: () => rejections.totals(),
    broker,
    backfill,
    externalLink: link,
  });
  const composed = composeApiRoutes({
    ctx,
    auth,
    customAuthenticator: opts.authenticator,
    alarms,
    shipments,
    notifications,
    commands,
    lifecycle: wired.services,
    ota: ota.services,
    bus,
    status,
    onDeviceChanged: (id, enabled) => {
      keyring.invalidate(id);
      // A disabled device cannot reconnect (the broker asks the keyring); drop its live session.
      if (!enabled) broker?.disconnect(id);
    },
    liveLimits: opts.live,
    webRoot: opts.webRoot ?? DEFAULT_WEB_ROOT,
    extraRoutes: opts.apiRoutes ?? [],
  });
  const api = await startApiServer({
    listen: { host: config.http.host, port: config.http.port },
    limits: config.http,
    fdBudget,
    rejections,
    tls,
    logger,
    clock,
    authenticator: opts.authenticator ?? auth.authenticator,
    ingest: pipeline,
    routes: composed.routes,
  });
  httpPort = (api.server.address() as { port: number }).port;
  const serverCert = wired.start(
    [
      ...(broker
        ? [{ updateServerCert: (cert: string, key: string) => broker?.updateTls({ cert, key }) }]
        : []),
      { updateServerCert: (cert: string, key: string) => ota?.updateTls({ cert, key }) },
      {
        updateServerCert: (cert, key) => {
          api.server.setSecureContext({ cert, key, ...TLS_SERVER_OPTIONS });
          const runtime = apiRuntimeOf(api);
          if (runtime) runtime.serverCertPem = cert;
        },
      },
    ],
    async () => {
      broker?.updateTls({ ca: trustBundlePem(ctx.ca, ctx.previousCa) });
      ota?.updateTls({ ca: trustBundlePem(ctx.ca, ctx.previousCa) });
      await refresh();
    },
  );
  // After the listener: links in notifications name its port.
  await notifications.service.start();
  // Signed checkpoints of the audit chain (src/audit), so that a truncated or rewritten log is
  // noticed against a copy the database does not hold.
  const checkpoints = new AuditCheckpoints({
    store,
    signer: loadOrCreateReportSigner(ctx.paths.pkiDir, ctx.master),
    file: ctx.paths.auditCheckpoint,
    clock,
  });
  const checkpoint = () =>
    checkpoints.createIfAdvanced().catch((err) => logger.error({ err }, 'audit checkpoint failed'));
  const checkpointTimer = setInterval(() => void checkpoint(), config.audit.checkpointIntervalMs);
  checkpointTimer.unref();
  await store.appendAudit({
    ts: clock(),
    actor: 'system',
    action: 'system.start',
    object: null,
    detail: { mqtt_port: mqttPort, http_port: httpPort, pid: process.pid },
  });

  let stopping: Promise<ShutdownOutcome> | undefined;
  return {
    mqttPort,
    httpPort,
    pipeline,
    rejections,
    broker,
    auth,
    alarms,
    alarmService,
    shipments,
    notifications,
    live: { bus, stats: composed.liveStats },
    routes: apiRuntimeOf(api)?.routes ?? [],
    lifecycle: wired.services,
    ota: ota.services,
    otaPort: ota.port,
    serverCert,
    stop: () =>
      (stopping ??= runShutdown(
        {
          // The broker (after the command sender) first: no new PUBACK is promised; then HTTPS,
          // then the ingest drain.
          drain: [
            // Commands and lifecycle timers stop; a dispatch in flight finishes while the broker
            // can still carry it.
            { name: 'lifecycle', run: () => wired.stop() },
            { name: 'ota', run: async () => ota?.stop() },
            { name: 'mqtt-link', run: async () => link?.close() },
            { name: 'broker', run: async () => broker?.close() },
            { name: 'https-idle', run: () => void httpsGuardOf(api)?.closeIdle() },
            { name: 'https', run: () => api.close() },
            { name: 'ingest', run: () => pipeline.close() },
            { name: 'shipments', run: () => shipments.idle() },
          ],
          force: () => ({ mqtt: broker?.destroyAll() ?? 0, https: httpsGuardOf(api)?.destroyAll() ?? 0 }),
          finish: [
            { name: 'watcher', run: () => watcher.stop() },
            { name: 'crl-timer', run: () => clearInterval(crlTimer) },
            { name: 'checkpoint-timer', run: () => clearInterval(checkpointTimer) },
            { name: 'alarms', run: () => alarmService.stop() },
            { name: 'notifications', run: () => notifications?.service.stop() },
            { name: 'rejections', run: () => rejections.stop() },
            {
              name: 'audit',
              run: () =>
                store.appendAudit({
                  ts: clock(),
                  actor: 'system',
                  action: 'system.stop',
                  object: null,
                  detail: {},
                }),
            },
            // After system.stop, so the last checkpoint covers the whole chain.
            {
              name: 'audit-checkpoint',
              run: async () => {
                await checkpoint();
              },
            },
            { name: 'lock', run: releaseLock },
          ],
        },
        { timeoutMs: config.shutdownTimeoutMs, logger },
      )),
  };
}
