/**
 * `vigil start --role ingest|rules|api`: one part of Vigil per process, several processes on one
 * PostgreSQL database (`storage.url`). `--role all` (the default) is src/server/start-server.ts.
 *
 * - ingest: links to every external broker (MQTT v5 shared subscription `$share/<group>/...`) as
 *   `vigil-ingest-<n>` (the lowest free slot), the ingest pipeline, the store. No HTTPS.
 * - rules: alarms and shipments of the devices whose bucket it leases (src/cluster/rules-worker.ts),
 *   fed by what ingest workers commit (LISTEN/NOTIFY). No HTTPS, no broker. Also retention.
 * - api: the HTTPS API and dashboard; its live feed hears readings and alarm changes from the other
 *   processes; sessions, lockouts and rate limits are in the database, so any API process serves
 *   any session.
 */

import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { alarmView } from '../alarms/alarm-view.ts';
import { apiRuntimeOf, httpsGuardOf } from '../api/api-server.ts';
import { BackfillTracker } from '../api/backfill-tracker.ts';
import type { LiveFrameData } from '../api/ports.ts';
import { ingestWorkerName } from '../broker/mosquitto-config.ts';
import { type BrokerLinks, startBrokerLinks } from '../cluster/broker-links.ts';
import type { ClusterBackend, ClusterFeed } from '../cluster/cluster-backend.ts';
import type { Role } from '../cluster/process-role.ts';
import { startRulesWorker } from '../cluster/rules-worker.ts';
import { startContinuity } from '../continuity/continuity-service.ts';
import { LinkTracker } from '../continuity/link-tracker.ts';
import { serverTlsMaterial, type VigilContext } from '../data-dir/context.ts';
import { ensureServiceCert } from '../data-dir/service-cert.ts';
import { VigilError } from '../errors.ts';
import { DeviceKeyring } from '../ingest/device-keyring.ts';
import { IngestPipeline } from '../ingest/pipeline.ts';
import { RejectionRecorder } from '../ingest/rejection-recorder.ts';
import { LiveBus } from '../live/live-bus.ts';
import { createProcessFdBudget } from '../process/process-fd-budget.ts';
import { runShutdown, type ShutdownOutcome, type ShutdownStep } from '../process/shutdown.ts';
import { ShipmentService } from '../shipments/shipment-service.ts';
import { buildSinks } from '../sinks/build-sinks.ts';
import { type SinkService, startSinkService } from '../sinks/sink-service.ts';
import { watchStoreChanges } from '../storage/change-watcher.ts';
import { statusSources } from './api-routes.ts';
import { createNotifications, type Notifications } from './notifications-wiring.ts';
import { startApiPart } from './start-api.ts';
import { DEFAULT_WEB_ROOT, type ServerOptions } from './start-server.ts';

export interface RoleServerOptions extends ServerOptions {
  /** Rules lease length (tests shorten it). */
  leaseMs?: number;
}

export interface RunningRole {
  role: Exclude<Role, 'all'>;
  /** The HTTPS port of an api process; null otherwise. */
  httpPort: number | null;
  /** `vigil-ingest-<n>` of an ingest process. */
  identity: string | null;
  /** A one-line summary for the start command's periodic status line. */
  summary(): string;
  stop(): Promise<ShutdownOutcome>;
}

const RETENTION_EVERY_MS = 3_600_000;

export async function startRoleServer(
  ctx: VigilContext,
  role: Exclude<Role, 'all'>,
  opts: RoleServerOptions = {},
): Promise<RunningRole> {
  const cluster = ctx.cluster;
  if (!cluster) {
    throw new VigilError(
      'VIGIL_ERR_CONFIG',
      `--role ${role} needs a shared database: set storage.url (PostgreSQL)`,
    );
  }
  const { config, store, logger, clock } = ctx;
  const drain: ShutdownStep[] = [];
  const finish: ShutdownStep[] = [];
  let httpPort: number | null = null;
  let identity: string | null = null;
  let summary = (): string => role;
  let force = (): Record<string, number> => ({});

  if (role === 'ingest') {
    const external = config.mqtt.external;
    if (!external.url)
      throw new VigilError('VIGIL_ERR_CONFIG', '--role ingest needs mqtt.external.url (an external broker)');
    const slot = await cluster.claimIngestSlot(external.ingestWorkers);
    identity = ingestWorkerName(slot.slot);
    const rejections = new RejectionRecorder({ store, logger, clock });
    rejections.start();
    const keyring = new DeviceKeyring(store, ctx.master);
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
    });
    const service = await ensureServiceCert(ctx, identity);
    const links: BrokerLinks = await startBrokerLinks({
      urls: [external.url, ...external.urls],
      config,
      identity: { name: identity, certPem: service.certPem, keyPem: service.keyPem },
      caPem: ctx.ca.certPem,
      sink: pipeline,
      logger,
      alarms: ctx.alarmStore,
      clock,
      shared: true,
    });
    await links
      .waitUntilSubscribed(config.mqtt.connectTimeoutMs)
      .catch(() => logger.warn('external broker not subscribed yet; retrying'));
    // A device disabled or re-keyed by another process: drop the cached keys.
    const watcher = await watchStoreChanges({
      store,
      intervalMs: config.pki.crlPollMs,
      logger,
      onChange: async () => keyring.invalidate(),
    });
    summary = () => {
      const s = pipeline.stats;
      return `${identity} | linked ${links.stats().connected ? 'yes' : 'no'} | accepted ${s.accepted} readings ${s.readings} rejected ${s.rejected}`;
    };
    drain.push(
      { name: 'mqtt-links', run: () => links.close() },
      { name: 'ingest', run: () => pipeline.close() },
    );
    finish.push(
      { name: 'watcher', run: () => watcher.stop() },
      { name: 'rejections', run: () => rejections.stop() },
      { name: 'slot', run: () => slot.release() },
    );
  } else if (role === 'rules') {
    const owner = `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
    let leader: Notifications | undefined;
    // The sinks deliver from the outbox the ingest processes fill: one process at a time, the leader.
    let sinks: SinkService | undefined;
    // Read-only use: the notification texts name a device's shipments.
    const leaderShipments = new ShipmentService({
      shipments: ctx.shipmentStore,
      store,
      master: ctx.master,
      clock,
      logger,
    });
    const worker = startRulesWorker({
      store,
      alarms: ctx.alarmStore,
      shipments: ctx.shipmentStore,
      leases: cluster.leases,
      master: ctx.master,
      owner,
      buckets: cluster.buckets,
      ...(opts.leaseMs !== undefined ? { leaseMs: opts.leaseMs } : {}),
      logger,
      clock,
      ...(opts.alarmService ? { alarmService: opts.alarmService } : {}),
      onLeader: async (leading) => {
        await leader?.service.stop();
        leader = undefined;
        await sinks?.stop();
        sinks = undefined;
        if (!leading) return;
        // A fresh service: its start routes the alarms opened while no process led.
        const n = createNotifications({
          ctx,
          alarms: ctx.alarmStore,
          shipments: leaderShipments,
          httpPort: () => config.http.port,
          ...(opts.notificationSenders ? { senders: opts.notificationSenders } : {}),
        });
        await n.service.start();
        leader = n;
        sinks = await startSinkService({
          sinks: buildSinks(config.sinks, config.dataDir),
          config: config.sinks,
          outbox: ctx.sinkOutbox,
          alarms: ctx.alarmStore,
          logger,
          clock,
        });
        logger.info('rules: leading (alarm notifications and sinks run here)');
      },
    });
    const feed: ClusterFeed = cluster.listen({
      onAccepted: (ev) => {
        worker.onAccepted(ev);
        if (ev.readings.length > 0) sinks?.wake();
      },
      // Every alarm change of every process (acknowledgements in API processes included) reaches
      // the leader's notification service, which routes, escalates or stops.
      onAlarm: (id) => {
        if (!leader) return;
        void ctx.alarmStore
          .get(id)
          .then((a) => a && leader?.service.onAlarmChange(a))
          .catch((err) => logger.error({ err }, 'alarm change not given to the notifications'));
      },
      onReconnect: () => void worker.reload().catch((err) => logger.error({ err }, 'rules reload failed')),
    });
    await feed.ready();
    const retention = retentionTimer(cluster, ctx);
    summary = () =>
      `rules | buckets ${worker.ownership.owned().length}/${cluster.buckets} | feed ${feed.connected() ? 'up' : 'down'}`;
    drain.push(
      { name: 'feed', run: () => feed.close() },
      { name: 'rules', run: () => worker.stop() },
      { name: 'notifications', run: () => leader?.service.stop() },
      { name: 'sinks', run: () => sinks?.stop() },
    );
    finish.push({ name: 'retention', run: () => clearInterval(retention) });
  } else {
    const bus = new LiveBus<LiveFrameData>();
    const backfill = new BackfillTracker();
    const rejections = new RejectionRecorder({ store, logger, clock });
    rejections.start();
    // Shipment changes made through this API; the device events that drive trips are the rules
    // processes' work.
    const shipments = new ShipmentService({
      shipments: ctx.shipmentStore,
      store,
      master: ctx.master,
      clock,
      logger,
    });
    const idle = { accepted: 0, rejected: 0, readings: 0, commits: 0, lastCommitMs: 0 };
    const ingest = { stats: idle, onCommit: () => () => {} };
    const links = new LinkTracker();
    const feed = cluster.listen({
      onAccepted: (ev) => {
        bus.publishAccepted(ev);
        backfill.observe(ev);
        links.observe(ev);
      },
      onAlarm: (id) =>
        void ctx.alarmStore
          .get(id)
          .then((a) => a && bus.publish('alarm', alarmView(a)))
          .catch((err) => logger.error({ err }, 'alarm change not published')),
    });
    await feed.ready();
    const fdBudget = createProcessFdBudget(config, logger);
    // The notification settings and test sends of the API; the service itself runs in the
    // leading rules process, never here.
    let port = 0;
    const notifications = createNotifications({
      ctx,
      alarms: ctx.alarmStore,
      shipments,
      httpPort: () => port,
      ...(opts.notificationSenders ? { senders: opts.notificationSenders } : {}),
    });
    // This host's continuity (UPS, data volume; backups are the database's in this mode): shown
    // on the system page, and a full volume makes this process's dashboard read-only.
    const continuity = startContinuity({
      ctx,
      alarms: ctx.alarmStore,
      links,
      startedAt: clock(),
      ingest: { readingsPerSec: () => 0, readings: async () => 0, dbBytes: () => 0 },
      // UPS low battery: the same graceful stop as Ctrl-C.
      requestShutdown: (reason) =>
        opts.requestShutdown ? opts.requestShutdown(reason) : process.kill(process.pid, 'SIGTERM'),
      ...(opts.continuity ?? {}),
    });
    const started = await startApiPart({
      ctx,
      opts,
      status: statusSources({
        ctx,
        ingest,
        rejectionTotals: () => rejections.totals(),
        broker: undefined,
        backfill,
        externalLink: undefined,
        continuity,
        links,
      }),
      readOnly: () => continuity.readOnlyReason(),
      alarms: ctx.alarmStore,
      shipments,
      notifications,
      bus,
      fdBudget,
      rejections,
      ingest,
      tls: serverTlsMaterial(ctx),
      onDeviceChanged: () => {},
      webRoot: opts.webRoot ?? DEFAULT_WEB_ROOT,
    });
    const api = started.api;
    port = started.httpPort;
    httpPort = port;
    summary = () =>
      `api | https ${port} | routes ${apiRuntimeOf(api)?.routes.length ?? 0} | feed ${feed.connected() ? 'up' : 'down'}`;
    drain.push(
      { name: 'https-idle', run: () => void httpsGuardOf(api)?.closeIdle() },
      { name: 'https', run: () => api.close() },
      { name: 'feed', run: () => feed.close() },
    );
    finish.push(
      { name: 'rejections', run: () => rejections.stop() },
      { name: 'continuity', run: () => continuity.stop() },
    );
    force = () => ({ https: httpsGuardOf(api)?.destroyAll() ?? 0 });
  }

  await store.appendAudit({
    ts: clock(),
    actor: 'system',
    action: 'system.start',
    object: null,
    detail: {
      role,
      ...(identity ? { identity } : {}),
      ...(httpPort !== null ? { http_port: httpPort } : {}),
      pid: process.pid,
    },
  });
  let stopping: Promise<ShutdownOutcome> | undefined;
  return {
    role,
    httpPort,
    identity,
    summary: () => summary(),
    stop: () =>
      (stopping ??= runShutdown(
        {
          drain,
          force,
          finish: [
            ...finish,
            {
              name: 'audit',
              run: async () => {
                await store.appendAudit({
                  ts: clock(),
                  actor: 'system',
                  action: 'system.stop',
                  object: null,
                  detail: { role },
                });
              },
            },
          ],
        },
        { timeoutMs: config.shutdownTimeoutMs, logger },
      )),
  };
}

/** `storage.retentionDays`, applied hourly (one process at a time: an advisory lock). */
function retentionTimer(cluster: ClusterBackend, ctx: VigilContext): NodeJS.Timeout {
  const run = () =>
    void cluster
      .applyRetention(ctx.clock())
      .then(
        (r) =>
          r &&
          r.dropped.length > 0 &&
          ctx.logger.info({ dropped: r.dropped }, 'retention: reading partitions dropped'),
      )
      .catch((err) => ctx.logger.error({ err }, 'retention failed'));
  run();
  const t = setInterval(run, RETENTION_EVERY_MS);
  t.unref();
  return t;
}
