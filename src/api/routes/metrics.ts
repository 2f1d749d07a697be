import { VigilError } from '../../errors.ts';
import type { FleetLifecycle } from '../../lifecycle/fleet-lifecycle.ts';
import type { ApiRuntime, RoutePlugin } from '../api-deps.ts';
import type { StatusSources } from '../ports.ts';
import { PrometheusText } from '../prometheus-text.ts';
import { renderSinkMetrics } from '../sink-metrics.ts';
import { type SystemStatus, systemStatus } from '../system-status.ts';

/** Renders the exposition text from one status snapshot plus the runtime histograms. */
export function renderMetrics(s: SystemStatus, runtime: ApiRuntime): string {
  const m = new PrometheusText();
  m.family('vigil_ingest_accepted_total', 'counter', 'Messages accepted by the ingest pipeline.');
  m.sample('vigil_ingest_accepted_total', s.ingest.accepted);
  m.family('vigil_ingest_readings_total', 'counter', 'Telemetry samples stored.');
  m.sample('vigil_ingest_readings_total', s.ingest.readings);
  m.family('vigil_ingest_rejected_total', 'counter', 'Messages rejected by the ingest pipeline.');
  m.sample('vigil_ingest_rejected_total', s.ingest.rejected);
  m.family('vigil_ingest_commits_total', 'counter', 'Store group commits.');
  m.sample('vigil_ingest_commits_total', s.ingest.commits);

  m.labelled(
    'vigil_rejections_total',
    'counter',
    'Rejections (ingest and broker) by reason since the process started.',
    'reason',
    s.rejections.sinceStart,
  );
  m.labelled(
    'vigil_rejections_persisted',
    'gauge',
    'Rejections by reason over the installation lifetime, as persisted once per aggregation window.',
    'reason',
    s.rejections.persisted,
  );

  m.labelled(
    'vigil_auth_events_total',
    'counter',
    'Sign-in defence by event: login_failed, mfa_failed, password_failed, throttled, account_under_attack.',
    'event',
    s.security.auth,
  );
  m.labelled(
    'vigil_delivery_token_events_total',
    'counter',
    'Proof-of-delivery attempts by outcome: token_wrong, rate_limited, accepted.',
    'event',
    s.security.delivery,
  );

  m.family(
    'vigil_broker_connections',
    'gauge',
    'Embedded broker: MQTT sessions by kind, and raw TCP connections.',
  );
  if (s.broker.connections) {
    m.sample('vigil_broker_connections', s.broker.connections.devices, { kind: 'device' });
    m.sample('vigil_broker_connections', s.broker.connections.services, { kind: 'service' });
    m.sample('vigil_broker_connections', s.broker.connections.tcp, { kind: 'tcp' });
  }
  m.family(
    'vigil_broker_dropped_messages',
    'gauge',
    'External broker: messages it dropped because of its queue or in-flight limits ($SYS/broker/publish/messages/dropped; alarmed when above 0).',
  );
  m.family(
    'vigil_broker_stored_messages',
    'gauge',
    'External broker: messages it holds ($SYS/broker/store/messages/count).',
  );
  m.family(
    'vigil_broker_link_up',
    'gauge',
    'External broker: 1 while this process is connected and subscribed.',
  );
  for (const x of s.broker.external) {
    const broker = `${x.address}:${x.port}`;
    if (x.droppedMessages !== null) m.sample('vigil_broker_dropped_messages', x.droppedMessages, { broker });
    if (x.storedMessages !== null) m.sample('vigil_broker_stored_messages', x.storedMessages, { broker });
    m.sample('vigil_broker_link_up', x.connected ? 1 : 0, { broker });
  }
  m.family('vigil_connected_devices', 'gauge', 'Devices with an MQTT session on the embedded broker.');
  if (s.broker.connections) m.sample('vigil_connected_devices', s.broker.connections.devices);

  const h = runtime.commitLatency.snapshot();
  m.family(
    'vigil_store_commit_seconds',
    'histogram',
    'Duration of one ingest store transaction (group commit).',
  );
  for (const b of h.buckets)
    m.sample('vigil_store_commit_seconds_bucket', b.count, { le: String(b.leSeconds) });
  m.sample('vigil_store_commit_seconds_bucket', h.count, { le: '+Inf' });
  m.sample('vigil_store_commit_seconds_sum', h.sumSeconds);
  m.sample('vigil_store_commit_seconds_count', h.count);
  m.family('vigil_store_last_commit_seconds', 'gauge', 'Duration of the latest store commit.');
  m.sample('vigil_store_last_commit_seconds', s.ingest.lastCommitMs / 1000);

  const lag = runtime.loopLag.current();
  m.family(
    'vigil_event_loop_lag_seconds',
    'gauge',
    'Event loop delay over the last minute (perf_hooks), by statistic.',
  );
  if (lag) {
    m.sample('vigil_event_loop_lag_seconds', lag.mean, { stat: 'mean' });
    m.sample('vigil_event_loop_lag_seconds', lag.p50, { stat: 'p50' });
    m.sample('vigil_event_loop_lag_seconds', lag.p99, { stat: 'p99' });
    m.sample('vigil_event_loop_lag_seconds', lag.max, { stat: 'max' });
  }

  m.family('vigil_certificate_expiry_timestamp_seconds', 'gauge', 'Certificate notAfter as a Unix time.');
  m.family('vigil_certificate_days_left', 'gauge', 'Whole days until the certificate expires.');
  for (const [cert, c] of Object.entries(s.certificates)) {
    m.sample('vigil_certificate_expiry_timestamp_seconds', Math.floor(c.notAfter / 1000), { cert });
  }
  for (const [cert, c] of Object.entries(s.certificates))
    m.sample('vigil_certificate_days_left', c.daysLeft, { cert });

  m.family('vigil_storage_bytes', 'gauge', 'Size of the database files.');
  for (const f of s.storage.files) m.sample('vigil_storage_bytes', f.bytes, { file: f.name });
  const b = s.backup;
  m.family('vigil_backup_configured', 'gauge', 'Backups are initialised (backup.recipients set).');
  m.family('vigil_backup_age_seconds', 'gauge', 'Age of the newest backup file.');
  m.family(
    'vigil_backup_last_success_timestamp_seconds',
    'gauge',
    'When the newest backup was taken (Unix time).',
  );
  m.family('vigil_backup_last_failure', 'gauge', '1 while the last backup attempt failed.');
  m.family('vigil_backup_drill_rto_seconds', 'gauge', 'Restore time measured by the last successful drill.');
  m.family('vigil_backup_drill_rpo_seconds', 'gauge', 'Age of the newest backup when the last drill ran.');
  m.family(
    'vigil_backup_hook_ok',
    'gauge',
    '1 when the last backup.command run succeeded, 0 when it failed.',
  );
  if (b) {
    m.sample('vigil_backup_configured', b.configured ? 1 : 0);
    if (b.newest) {
      m.sample('vigil_backup_age_seconds', Math.round(b.newest.ageMs / 1000));
      m.sample(
        'vigil_backup_last_success_timestamp_seconds',
        Math.floor(Date.parse(b.newest.createdAt) / 1000),
      );
    }
    m.sample('vigil_backup_last_failure', b.lastFailure ? 1 : 0);
    if (b.lastDrill?.ok && b.lastDrill.rtoMs !== null)
      m.sample('vigil_backup_drill_rto_seconds', b.lastDrill.rtoMs / 1000);
    if (b.lastDrill?.ok && b.lastDrill.rpoMs !== null)
      m.sample('vigil_backup_drill_rpo_seconds', b.lastDrill.rpoMs / 1000);
    if (b.lastHook) m.sample('vigil_backup_hook_ok', b.lastHook.ok ? 1 : 0);
  }
  const ups = s.power?.ups;
  m.family('vigil_ups_reachable', 'gauge', 'The host UPS answers through NUT upsd.');
  m.family('vigil_ups_on_battery', 'gauge', '1 while the host runs on UPS battery (OB).');
  m.family('vigil_ups_low_battery', 'gauge', '1 while the UPS reports low battery (LB).');
  m.family('vigil_ups_battery_charge_percent', 'gauge', 'battery.charge of the host UPS.');
  m.family('vigil_ups_battery_runtime_seconds', 'gauge', 'battery.runtime of the host UPS.');
  if (ups) {
    m.sample('vigil_ups_reachable', ups.reachable ? 1 : 0, { ups: ups.ups });
    m.sample('vigil_ups_on_battery', ups.onBattery ? 1 : 0, { ups: ups.ups });
    m.sample('vigil_ups_low_battery', ups.lowBattery ? 1 : 0, { ups: ups.ups });
    if (ups.chargePct !== null) m.sample('vigil_ups_battery_charge_percent', ups.chargePct, { ups: ups.ups });
    if (ups.runtimeS !== null) m.sample('vigil_ups_battery_runtime_seconds', ups.runtimeS, { ups: ups.ups });
  }
  m.labelled(
    'vigil_devices_by_power',
    'gauge',
    'Enabled devices by the power source of their latest reading.',
    'source',
    s.power?.devices.counts ?? {},
  );
  m.family('vigil_disk_free_bytes', 'gauge', 'Free space on the data volume.');
  m.family(
    'vigil_disk_forecast_days',
    'gauge',
    'Days until the data volume is full at the current ingest rate.',
  );
  m.family('vigil_disk_full', 'gauge', '1 while the data volume is full (readings not acknowledged).');
  if (s.disk) {
    if (s.disk.freeBytes !== null) m.sample('vigil_disk_free_bytes', s.disk.freeBytes);
    if (s.disk.forecastDays !== null) m.sample('vigil_disk_forecast_days', s.disk.forecastDays);
    m.sample('vigil_disk_full', s.disk.full ? 1 : 0);
  }

  renderSinkMetrics(m, s.sinks, s.now);
  m.family('vigil_uptime_seconds', 'gauge', 'Seconds since the API server started.');
  m.sample('vigil_uptime_seconds', s.uptimeS);
  return m.toString();
}

/** Rotation and renewal counters, fleet due / overdue / failing, and the soonest device expiry. */
export function renderLifecycleMetrics(f: FleetLifecycle): string {
  const m = new PrometheusText();
  m.labelled(
    'vigil_lifecycle_events_total',
    'counter',
    'Key rotations, certificate renewals and claims, by event.',
    'event',
    f.counters,
  );
  m.family('vigil_key_rotation_devices', 'gauge', 'Enabled devices by secret rotation status.');
  for (const status of ['due', 'overdue', 'failing', 'inProgress'] as const)
    m.sample('vigil_key_rotation_devices', f.rotation[status], { status });
  m.family('vigil_device_certificate_devices', 'gauge', 'Enabled devices by certificate renewal status.');
  for (const status of ['due', 'overdue', 'failing'] as const)
    m.sample('vigil_device_certificate_devices', f.certificates[status], { status });
  m.family(
    'vigil_device_certificate_soonest_expiry_timestamp_seconds',
    'gauge',
    'The soonest notAfter of an enabled device certificate, as a Unix time.',
  );
  const s = f.certificates.soonestExpiry;
  if (s)
    m.sample('vigil_device_certificate_soonest_expiry_timestamp_seconds', Math.floor(s.notAfter / 1000), {
      device: s.deviceId,
    });
  return m.toString();
}

/** Prometheus scrape endpoint: API tokens only (`Authorization: Bearer`), role with metrics.read. */
export function metricsRoutes(status: StatusSources): RoutePlugin {
  return async (app, { runtime }) => {
    app.get(
      '/metrics',
      {
        config: { access: 'metrics.read' },
        schema: {
          summary: 'Prometheus metrics (text exposition 0.0.4); bearer API token only',
          tags: ['system'],
        },
      },
      async (req, reply) => {
        // A browser session is not a scraper: the endpoint takes API tokens only.
        if (req.principal?.kind !== 'token')
          throw new VigilError('VIGIL_ERR_AUTH', 'metrics needs a bearer token');
        let text = renderMetrics(await systemStatus(status, runtime), runtime);
        if (status.lifecycle) text += renderLifecycleMetrics(await status.lifecycle());
        if (status.gatewayMetrics) text += `${status.gatewayMetrics()}\n`;
        return reply.type(PrometheusText.CONTENT_TYPE).send(text);
      },
    );
  };
}
