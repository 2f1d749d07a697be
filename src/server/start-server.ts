import { existsSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type AlarmService, createAlarmService } from '../alarms/alarm-service.ts';
import type { AlarmStore } from '../alarms/alarm-store.ts';
import { alarmView } from '../alarms/alarm-view.ts';
import { observeAlarmStore } from '../alarms/observed-alarm-store.ts';
import type { RouteInfo, RoutePlugin } from '../api/api-deps.ts';
import { apiRuntimeOf, startApiServer } from '../api/api-server.ts';
import { BackfillTracker } from '../api/backfill-tracker.ts';
import type { LiveLimits, LiveStats } from '../api/routes/live.ts';
import { type AuthServices, createAuthServices } from '../auth/auth-services.ts';
import type { LockoutPolicy } from '../auth/lockout.ts';
import type { Authenticator } from '../auth/principal.ts';
import type { SessionTimeouts } from '../auth/sessions.ts';
import { claimTopic } from '../broker/acl.ts';
import { EmbeddedBroker } from '../broker/embedded-broker.ts';
import { INGEST_SERVICE_NAME } from '../broker/mosquitto-config.ts';
import { type MqttLink, startMqttLink } from '../broker/mqtt-link.ts';
import { commandView } from '../commands/command-view.ts';
import { trustBundlePem } from '../data-dir/ca-files.ts';
import { rebuildCrl, serverTlsMaterial, type VigilContext } from '../data-dir/context.ts';
import { ensureServiceCert } from '../data-dir/service-cert.ts';
import { VigilError } from '../errors.ts';
import { DeviceKeyring } from '../ingest/device-keyring.ts';
import { type AcceptedMessage, IngestPipeline } from '../ingest/pipeline.ts';
import { RejectionRecorder } from '../ingest/rejection-recorder.ts';
import { createLifecycleServices, type LifecycleServices } from '../lifecycle/lifecycle-services.ts';
import { ServerCertRenewal } from '../lifecycle/server-cert-renewal.ts';
import { LiveBus } from '../live/live-bus.ts';
import { normalizeSerial } from '../pki/index.ts';
import { TLS_SERVER_OPTIONS } from '../pki/tls-policy.ts';
import { ShipmentService } from '../shipments/shipment-service.ts';
import { tripRulesConfig } from '../shipments/trip.ts';
import { watchStoreChanges } from '../storage/change-watcher.ts';
import { composeApiRoutes, statusSources } from './api-routes.ts';

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
  /** The live feed: its bus (publish here) and counters. */
  live: { bus: LiveBus; stats: LiveStats };
  /** Every API route with its access rule. */
  routes: readonly RouteInfo[];
  /** Commands to devices and the key and certificate lifecycle. */
  lifecycle: LifecycleServices;
  /** Server certificate renewal with hot swap on both listeners. */
  serverCert: ServerCertRenewal;
  stop(): Promise<void>;
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
}

/**
 * Runs `fn` when requested, never twice at once: requests made while it runs are served by one
 * more run after it (many certificate switches in a second rebuild the CRL twice, not N times).
 */
function coalesce(fn: () => Promise<void>): { request(): Promise<void> } {
  let running: Promise<void> | undefined;
  let again: Promise<void> | undefined;
  return {
    request() {
      if (!running) {
        running = fn().finally(() => {
          running = undefined;
        });
        return running;
      }
      again ??= running
        .catch(() => {})
        .then(() => {
          again = undefined;
          return this.request();
        });
      return again;
    },
  };
}

/** Refuses a second `vigil start` on one data directory (other commands are fine alongside). */
function takeLock(path: string): () => void {
  if (existsSync(path)) {
    const pid = Number(readFileSync(path, 'utf8').trim());
    let alive = false;
    try {
      if (pid > 0) {
        process.kill(pid, 0);
        alive = true;
      }
    } catch {
      alive = false;
    }
    if (alive && pid !== process.pid) {
      throw new VigilError(
        'VIGIL_ERR_DATA_DIR',
        `vigil start already runs on this data directory (pid ${pid})`,
      );
    }
  }
  writeFileSync(path, `${process.pid}\n`);
  return () => {
    try {
      if (readFileSync(path, 'utf8').trim() === String(process.pid)) unlinkSync(path);
    } catch {
      /* already gone */
    }
  };
}

/**
 * Runs Vigil in one process: embedded broker (or a link to an external one), ingest pipeline,
 * encrypted store, and the HTTPS listener. Picks up changes made by other `vigil` commands
 * (device disable, revoke) within `pki.crlPollMs`.
 */
export async function startServer(ctx: VigilContext, opts: ServerOptions = {}): Promise<RunningServer> {
  const { config, store, logger, clock } = ctx;
  const releaseLock = takeLock(ctx.paths.lock);
  const rejections = new RejectionRecorder({ store, logger, clock });
  rejections.start();
  const keyring = new DeviceKeyring(store, ctx.master);
  // One bus for the live feed: fed by ingest (below), by alarm changes and by the API's samplers.
  const bus = new LiveBus();
  // Devices delivering buffered samples (continuity indicators of /api/v1/system).
  const backfill = new BackfillTracker();
  // Alarms: every write reaches the live feed; the rules write through the same instance.
  const alarms = observeAlarmStore(ctx.alarmStore, (a) => bus.publish('alarm', alarmView(a)));
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
  // Commands to devices (durable, signed) and the key and certificate lifecycle built on them.
  const lifecycle = createLifecycleServices(ctx, {
    onCommandChange: (c) => bus.publish('command', commandView(c)),
    onKeysChanged: (id) => keyring.invalidate(id),
    // A renewal revoked a superseded certificate: a new CRL for the broker (coalesced), without
    // dropping every cached key as a full refresh would.
    onRevoked: () => crlUpdates.request(),
  });
  const commands = lifecycle.commands;
  const onAccepted = (ev: AcceptedMessage) => {
    void lifecycle.rotation
      .observe(ev.deviceId, ev.kid)
      .catch((err) => logger.error({ err, device: ev.deviceId }, 'key rotation update failed'));
    if (ev.channel === 'events') {
      for (const m of ev.messages) {
        if (m.body.type === 'csr' && typeof m.body.csr === 'string')
          void lifecycle.renewal.onCsr(ev.deviceId, m.body.csr);
      }
    }
    if (ev.channel === 'acks' && ev.messages.length > 0) {
      void commands
        .onAcks(
          ev.deviceId,
          ev.messages.map((m) => m.body),
        )
        .catch((err) => logger.error({ err, device: ev.deviceId }, 'command ack handling failed'));
    }
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
  // Before devices can connect: stored alarms restored, recent readings re-judged.
  await alarmService.start();

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
      ca: ctx.ca.certPem,
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
      onClaim: (c) => lifecycle.claims.onClaim(c),
    });
    const l = link;
    commands.setTransport({ publish: (topic, payload) => l.publish(topic, payload) });
    lifecycle.claims.publishReply = (serial, payload, retain) =>
      l.publish(claimTopic(config.mqtt.topicPrefix, serial, true), payload, retain);
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
      limits: {
        maxPacketBytes: config.mqtt.maxPacketBytes,
        connectTimeoutMs: config.mqtt.connectTimeoutMs,
        keepAliveMaxS: config.mqtt.keepAliveMaxS,
        publishRatePerSec: config.mqtt.publishRatePerSec,
        publishBurst: config.mqtt.publishBurst,
        maxConnectionsPerAddress: config.mqtt.maxConnectionsPerAddress,
        maxConnections: config.mqtt.maxConnections,
      },
      sink: pipeline,
      logger,
      // The device subscribed to its commands again (after every reconnect): send what is pending.
      onCommandSubscription: (id) => void commands.dispatch(id, true),
      onClaim: (c) => lifecycle.claims.onClaim(c),
      resolveIdentity: async (cn, serialHex) => {
        const cert = await store.getCertificate(normalizeSerial(serialHex));
        if (!cert) {
          // Not in the registry: a claim certificate, or an identity signed by our CA that Vigil
          // does not know (listed as quarantined with counts, never silently dropped).
          const claim = await lifecycle.claims.identityOf(cn, serialHex);
          if (claim) return claim;
          await lifecycle.claims.quarantine(cn, serialHex, null);
          return null;
        }
        if (cert.revokedAt !== null || cert.subject !== cn) return null;
        if (cert.kind === 'service') return { kind: 'service', name: cn };
        if (cert.kind !== 'device') return null;
        const device = await keyring.device(cn);
        if (device?.status !== 'enabled') return null;
        // A renewed certificate's first use: it becomes the device's, the old one is revoked.
        if (device.certSerial !== null && normalizeSerial(device.certSerial) !== cert.serial) {
          void lifecycle.renewal
            .onCertificateUsed(cn, cert.serial)
            .then((switched) => switched && keyring.invalidate(cn))
            .catch((err) => logger.error({ err, device: cn }, 'certificate switch failed'));
        }
        return { kind: 'device', id: cn };
      },
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
    commands.setTransport({ publish: (topic, payload) => b.publish(topic, payload) });
    lifecycle.claims.publishReply = (serial, payload, retain) =>
      b.publish(claimTopic(config.mqtt.topicPrefix, serial, true), payload, retain);
  }
  lifecycle.start();

  // Another process changed the store: drop caches, rebuild the CRL, kick disabled devices.
  async function updateCrlOnly(): Promise<void> {
    const next = await rebuildCrl({ paths: ctx.paths, store, ca: ctx.ca, previousCa: ctx.previousCa, clock });
    crl = next;
    broker?.updateCrl(next.pem, next.serials);
  }
  async function refresh(): Promise<void> {
    keyring.invalidate();
    const next = await rebuildCrl({ paths: ctx.paths, store, ca: ctx.ca, previousCa: ctx.previousCa, clock });
    const added = next.serials.filter((s) => !crl.serials.includes(s));
    crl = next;
    broker?.updateCrl(next.pem, next.serials);
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
    commands,
    lifecycle,
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
    tls,
    logger,
    clock,
    authenticator: opts.authenticator ?? auth.authenticator,
    ingest: pipeline,
    routes: composed.routes,
  });
  const httpPort = (api.server.address() as { port: number }).port;
  // The server certificate is renewed before expiry and swapped on both listeners in place.
  const serverCert = new ServerCertRenewal(ctx, [
    ...(broker
      ? [{ updateServerCert: (cert: string, key: string) => broker?.updateTls({ cert, key }) }]
      : []),
    { updateServerCert: (cert, key) => api.server.setSecureContext({ cert, key, ...TLS_SERVER_OPTIONS }) },
  ]);
  const certTimer = setInterval(
    () => void serverCert.check().catch((err) => logger.error({ err }, 'server certificate renewal failed')),
    3_600_000,
  );
  certTimer.unref();
  // A CA rollover (started here or by `vigil pki rollover`): new trust anchors and CRLs for the
  // broker, and the server certificate from the new root once every device trusts it.
  lifecycle.rollover.onTrustChanged = async () => {
    broker?.updateTls({ ca: trustBundlePem(ctx.ca, ctx.previousCa) });
    await refresh();
  };
  lifecycle.rollover.renewServerCert = () => serverCert.check();
  await store.appendAudit({
    ts: clock(),
    actor: 'system',
    action: 'system.start',
    object: null,
    detail: { mqtt_port: mqttPort, http_port: httpPort, pid: process.pid },
  });

  let stopped = false;
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
    live: { bus, stats: composed.liveStats },
    routes: apiRuntimeOf(api)?.routes ?? [],
    lifecycle,
    serverCert,
    stop: async () => {
      if (stopped) return;
      stopped = true;
      clearInterval(certTimer);
      watcher.stop();
      clearInterval(crlTimer);
      await api.close();
      await lifecycle.stop();
      await link?.close();
      await broker?.close();
      await pipeline.close();
      await shipments.idle();
      await alarmService.stop();
      await rejections.stop();
      await store.appendAudit({
        ts: clock(),
        actor: 'system',
        action: 'system.stop',
        object: null,
        detail: {},
      });
      releaseLock();
    },
  };
}
