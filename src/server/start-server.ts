import { fileURLToPath } from 'node:url';
import { createAlarmService } from '../alarms/alarm-service.ts';
import { alarmView } from '../alarms/alarm-view.ts';
import { observeAlarmStore } from '../alarms/observed-alarm-store.ts';
import { apiRuntimeOf, httpsGuardOf } from '../api/api-server.ts';
import { BackfillTracker } from '../api/backfill-tracker.ts';
import type { LiveFrameData } from '../api/ports.ts';
import { storageFiles } from '../api/system-status.ts';
import { AuditCheckpoints } from '../audit/audit-checkpoints.ts';
import { EmbeddedBroker } from '../broker/embedded-broker.ts';
import { INGEST_SERVICE_NAME } from '../broker/mosquitto-config.ts';
import { type BrokerLinks, startBrokerLinks } from '../cluster/broker-links.ts';
import { type ContinuityService, startContinuity } from '../continuity/continuity-service.ts';
import { LinkTracker } from '../continuity/link-tracker.ts';
import { trustBundlePem } from '../data-dir/ca-files.ts';
import { rebuildCrlOf, serverTlsMaterial, type VigilContext } from '../data-dir/context.ts';
import { takeServerLock } from '../data-dir/server-lock.ts';
import { ensureServiceCert } from '../data-dir/service-cert.ts';
import { DeviceKeyring } from '../ingest/device-keyring.ts';
import { type AcceptedMessage, IngestPipeline } from '../ingest/pipeline.ts';
import { RejectionRecorder } from '../ingest/rejection-recorder.ts';
import { LiveBus } from '../live/live-bus.ts';
import { TLS_SERVER_OPTIONS } from '../pki/tls-policy.ts';
import { createProcessFdBudget } from '../process/process-fd-budget.ts';
import { runShutdown, type ShutdownOutcome } from '../process/shutdown.ts';
import { loadOrCreateReportSigner } from '../reports/signing.ts';
import { ShipmentService } from '../shipments/shipment-service.ts';
import { tripRulesConfig } from '../shipments/trip.ts';
import { buildSinks } from '../sinks/build-sinks.ts';
import { startSinkService } from '../sinks/sink-service.ts';
import { watchStoreChanges } from '../storage/change-watcher.ts';
import { statusSources } from './api-routes.ts';
import { brokerIdentityResolver } from './broker-identity.ts';
import { coalesce } from './coalesce.ts';
import { gatewayBrokerHooks, wireGateways } from './gateway-wiring.ts';
import { type LifecycleWiring, wireLifecycle } from './lifecycle-wiring.ts';
import { createNotifications, type Notifications } from './notifications-wiring.ts';
import { type OtaWiring, wireOta } from './ota-wiring.ts';
import type { RunningServer, ServerOptions } from './running-server.ts';
import { startApiPart } from './start-api.ts';

export type { RunningServer, ServerOptions };

/** The dashboard build (`npm run build:web`), served at `/`. */
export const DEFAULT_WEB_ROOT = fileURLToPath(new URL('../../web/dist', import.meta.url));

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
  let wired: LifecycleWiring | undefined;
  const keyring = new DeviceKeyring(store, ctx.master, (id) => wired?.services.rotation.nextKid(id));
  // One bus for the live feed: fed by ingest (below), by alarm changes and by the API's samplers.
  const bus = new LiveBus<LiveFrameData>();
  // Devices delivering buffered samples (continuity indicators of /api/v1/system).
  const backfill = new BackfillTracker();
  // Devices' latest link events: broker and outbox depth (docs/protocol.md §8).
  const links = new LinkTracker();
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
  // Sinks: the store queues every reading for each sink in the ingest transaction; the runners
  // deliver from there on their own timers, so no sink can hold up ingest.
  const sinks = await startSinkService({
    sinks: buildSinks(config.sinks, config.dataDir),
    config: config.sinks,
    outbox: ctx.sinkOutbox,
    alarms,
    logger,
    clock,
  });
  // Commands to devices (durable, signed) and the key and certificate lifecycle built on them.
  wired = wireLifecycle({
    ctx,
    bus,
    keyring,
    logger,
    // A renewal revoked a superseded certificate: a new CRL for the broker (coalesced), without
    // dropping every cached key as a full refresh would.
    onRevoked: () => crlUpdates.request(),
  });
  const lifecycle = wired;
  const commands = lifecycle?.services.commands;
  // Gateways (docs/gateway.md): identities, device sets, status; in the lifecycle's store.
  const gateways = await wireGateways(ctx, ctx.lifecycleStores.gateways, logger);
  let ota: OtaWiring | undefined;
  // Commits off the event loop: SQLCipher page encryption and the fsync run on the ingest thread.
  await ctx.startIngestThread();
  const onAccepted = (ev: AcceptedMessage) => {
    lifecycle?.onAccepted(ev);
    ota?.onAccepted(ev);
    bus.publishAccepted(ev);
    if (ev.readings.length > 0) sinks.wake();
    alarmService.onAccepted(ev);
    if (ev.messages.length > 0) shipments.onMessages(ev.messages);
    backfill.observe(ev);
    links.observe(ev);
    opts.onAccepted?.(ev);
  };
  const pipeline = new IngestPipeline({
    gatewayOf: (id) => gateways.gatewayOf(id),
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
    onStoreFailure: (err) => continuity?.commitFailed(err),
    writable: () => continuity?.writable() ?? true,
  });
  let continuity: ContinuityService | undefined;
  const crlUpdates = coalesce(() => updateCrlOnly());
  const crlOf = () => rebuildCrlOf(ctx);
  let crl = await crlOf();
  const tls = serverTlsMaterial(ctx);
  // Before devices can connect: stored alarms restored, recent readings re-judged.
  await alarmService.start();

  // One descriptor budget for both listeners, so a flood on one port cannot starve the other.
  const fdBudget = createProcessFdBudget(config, logger);
  // Firmware downloads (mutual TLS) and OTA campaigns, before devices can connect; they send
  // `ota` commands, so they come with the lifecycle (on either engine; `--role all` only).
  ota = await wireOta({ ctx, commands, bus, tls: { ...tls, crl: crl.pem }, logger, fdBudget, rejections });
  let broker: EmbeddedBroker | undefined;
  let link: BrokerLinks | undefined;
  let mqttPort = 0;
  const external = config.mqtt.external;
  if (external?.url) {
    // External brokers (Mosquitto, EMQX): no embedded broker; the pipeline is fed through an MQTT
    // v5 shared subscription ($share/<group>/...) on each broker, as the vigil-ingest service (DESIGN §1).
    const service = await ensureServiceCert(ctx, INGEST_SERVICE_NAME);
    link = await startBrokerLinks({
      urls: [external.url, ...external.urls],
      // One process ingests everything: a plain persistent subscription survives broker restarts.
      shared: false,
      config,
      identity: { name: INGEST_SERVICE_NAME, certPem: service.certPem, keyPem: service.keyPem },
      // Client certificates may chain to either root during a CA rollover.
      caPem: trustBundlePem(ctx.ca, ctx.previousCa),
      sink: pipeline,
      logger,
      alarms,
      clock,
      ...(lifecycle && commands
        ? {
            // A device that comes back online gets its pending commands again.
            onDeviceState: (id: string, state: 'online' | 'offline') => {
              if (state === 'online') void commands.dispatch(id, true);
            },
            onClaim: (c: { serial: string; payload: Buffer; address: string }) =>
              lifecycle.services.claims.onClaim(c),
          }
        : {}),
      onGatewayStatus: (id: string, p: Buffer) => gateways.onStatus(id, p),
    });
    const l = link;
    lifecycle?.setTransport((topic, payload, retain) => l.publish(topic, payload, retain));
    // The links reconnect on their own; waiting a bounded time only makes a healthy start deterministic.
    await link
      .waitUntilSubscribed(config.mqtt.connectTimeoutMs)
      .catch(() =>
        logger.warn(
          { timeoutMs: config.mqtt.connectTimeoutMs },
          'external broker not subscribed yet; retrying',
        ),
      );
    // After the wait: a config that cannot be sent yet goes out when its gateway reports `up`.
    await gateways.setTransport((topic, payload, retain) => l.publish(topic, payload, retain), crl.pem);
    mqttPort = Number(new URL(external.url).port || 8883);
  } else {
    broker = new EmbeddedBroker({
      host: config.mqtt.host,
      port: config.mqtt.port,
      listenerWorkers: config.mqtt.listenerWorkers,
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
      ...(lifecycle && commands
        ? {
            // The device subscribed to its commands again (after every reconnect): send what is pending.
            onCommandSubscription: (id: string) => void commands.dispatch(id, true),
            onClaim: (c: Parameters<typeof lifecycle.services.claims.onClaim>[0]) =>
              lifecycle.services.claims.onClaim(c),
          }
        : {}),
      ...gatewayBrokerHooks(gateways, brokerIdentityResolver({ store, keyring, lifecycle })),
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
    lifecycle?.setTransport((topic, payload, retain) => b.publish(topic, payload, retain));
    await gateways.setTransport((topic, payload, retain) => b.publish(topic, payload, retain), crl.pem);
  }

  // Another process changed the store: drop caches, rebuild the CRL, kick disabled devices.
  async function updateCrlOnly(): Promise<void> {
    await applyCrl(await crlOf());
  }
  async function applyCrl(next: typeof crl): Promise<void> {
    crl = next;
    broker?.updateCrl(next.pem, next.serials);
    ota?.updateTls({ crl: next.pem });
    await gateways.setCrl(next.pem);
  }
  async function refresh(): Promise<void> {
    keyring.invalidate();
    await gateways.load(); // `vigil gateway bind|unbind` from another process applies at once
    const next = await crlOf();
    const added = next.serials.filter((s) => !crl.serials.includes(s));
    await applyCrl(next);
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

  let stopServer: () => Promise<unknown> = async () => undefined;
  let apiRuntime: ReturnType<typeof apiRuntimeOf> | undefined;
  continuity = startContinuity({
    ctx,
    alarms,
    links,
    startedAt: clock(),
    ingest: {
      readingsPerSec: () => {
        const t = apiRuntime?.throughput.rates(clock(), pipeline.stats);
        return t?.readingsPerSec ?? 0;
      },
      readings: () => store.countReadings(),
      dbBytes: () => storageFiles(ctx.paths.db).reduce((n, f) => n + f.bytes, 0),
    },
    requestShutdown: (reason) => {
      if (opts.requestShutdown) opts.requestShutdown(reason);
      else void stopServer();
    },
    ...(opts.continuity ?? {}),
  });
  const continuityService = continuity;
  const {
    api,
    auth,
    composed,
    httpPort: apiPort,
  } = await startApiPart({
    ctx,
    opts,
    status: statusSources({
      ctx,
      ingest: pipeline,
      rejectionTotals: () => rejections.totals(),
      broker,
      backfill,
      externalLink: link,
      continuity: continuityService,
      links,
      sinks: () => sinks.status(),
      gateways,
    }),
    readOnly: () => continuityService.readOnlyReason(),
    alarms,
    shipments,
    notifications,
    lifecycle: lifecycle?.services,
    ota: ota?.services,
    gateways,
    bus,
    fdBudget,
    rejections,
    ingest: pipeline,
    tls,
    onDeviceChanged: (id, enabled) => {
      keyring.invalidate(id);
      // A disabled device cannot reconnect (the broker asks the keyring); drop its live session.
      if (!enabled) broker?.disconnect(id);
    },
    webRoot: opts.webRoot ?? DEFAULT_WEB_ROOT,
  });
  apiRuntime = apiRuntimeOf(api);
  httpPort = apiPort;
  const serverCert =
    lifecycle?.start(
      [
        ...(broker
          ? [{ updateServerCert: (cert: string, key: string) => broker?.updateTls({ cert, key }) }]
          : []),
        ...(ota ? [{ updateServerCert: (cert: string, key: string) => ota?.updateTls({ cert, key }) }] : []),
        {
          updateServerCert: (cert, key) => {
            api.server.setSecureContext({ cert, key, ...TLS_SERVER_OPTIONS });
            if (apiRuntime) apiRuntime.serverCertPem = cert;
          },
        },
      ],
      async () => {
        broker?.updateTls({ ca: trustBundlePem(ctx.ca, ctx.previousCa) });
        ota?.updateTls({ ca: trustBundlePem(ctx.ca, ctx.previousCa) });
        await refresh();
      },
    ) ?? null;
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
  const running: RunningServer = {
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
    routes: apiRuntime?.routes ?? [],
    continuity: continuityService,
    sinks,
    lifecycle: lifecycle?.services ?? null,
    ota: ota?.services ?? null,
    otaPort: ota?.port ?? null,
    serverCert,
    gateways,
    stop: () =>
      (stopping ??= runShutdown(
        {
          // The broker (after the command sender) first: no new PUBACK is promised; then HTTPS,
          // then the ingest drain.
          drain: [
            // No backup, UPS poll or storage check starts once the stop has begun.
            { name: 'continuity', run: () => continuityService.stop() },
            // Commands and lifecycle timers stop; a dispatch in flight finishes while the broker
            // can still carry it.
            { name: 'lifecycle', run: async () => lifecycle?.stop() },
            { name: 'ota', run: async () => ota?.stop() },
            { name: 'mqtt-link', run: async () => link?.close() },
            { name: 'broker', run: async () => broker?.close() },
            { name: 'https-idle', run: () => void httpsGuardOf(api)?.closeIdle() },
            { name: 'https', run: () => api.close() },
            // A seclab run in progress stops and removes its throwaway Vigil.
            { name: 'seclab', run: () => composed.seclab.stop() },
            { name: 'ingest', run: () => pipeline.close() },
            { name: 'shipments', run: () => shipments.idle() },
            { name: 'sinks', run: () => sinks.stop() },
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
  stopServer = running.stop;
  return running;
}
