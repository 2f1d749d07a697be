import type { AlarmStore } from '../alarms/alarm-store.ts';
import { backupConditions } from '../backup/backup-conditions.ts';
import { backupDir, listBackups } from '../backup/backup-files.ts';
import { type BackupSchedule, startBackupSchedule } from '../backup/backup-schedule.ts';
import { readBackupState } from '../backup/backup-state.ts';
import { backupUnsupported } from '../backup/backup-support.ts';
import type { VigilContext } from '../data-dir/context.ts';
import { databaseSnapshots } from '../data-dir/snapshots.ts';
import { startUpsMonitor, type UpsMonitor, type UpsStatus } from '../power/ups-monitor.ts';
import { loadOrCreateReportSigner } from '../reports/signing.ts';

import type { ContinuityReport } from './continuity-schema.ts';
import { estimateRuntime, SLOPE_WINDOW_MS, shipmentPowerWarnings } from './device-power.ts';
import type { LinkTracker } from './link-tracker.ts';
import { StorageHealth } from './storage-health.ts';
import { SystemAlarms } from './system-alarms.ts';

const iso = (ms: number | null | undefined) =>
  ms === null || ms === undefined ? null : new Date(ms).toISOString();

export interface ContinuityService {
  report(): Promise<ContinuityReport>;
  /** Why the dashboard is read-only (null: it is not). */
  readOnlyReason(): string | null;
  /** Ingest's commit failures (the disk-full state). */
  commitFailed(err: unknown): void;
  /** False while the data volume is full: ingest stops acknowledging until space returns. */
  writable(): boolean;
  /** Re-evaluates every condition and updates the system alarms now. */
  check(): Promise<void>;
  backups: BackupSchedule;
  ups: UpsMonitor | null;
  stop(): void;
}

/**
 * Continuity inside `vigil start`: scheduled backups, the host's UPS, the data volume, and the
 * system alarms that follow from them (subject `vigil`), re-checked every `checkMs`.
 */
export function startContinuity(d: {
  ctx: VigilContext;
  alarms: AlarmStore;
  links: LinkTracker;
  startedAt: number;
  ingest: { readingsPerSec: () => number; readings: () => Promise<number>; dbBytes: () => number };
  /** Graceful shutdown (stop acknowledging, commit, exit); called on UPS low battery. */
  requestShutdown: (reason: string) => void;
  checkMs?: number;
  backupRetryBaseMs?: number;
  backupFirstDelayMs?: number;
}): ContinuityService {
  const { ctx } = d;
  const { config, clock, logger } = ctx;
  const system = new SystemAlarms(d.alarms, clock);
  const disk = new StorageHealth({ dataDir: config.dataDir, minFreeDays: config.storage.minFreeDays });
  const backups = startBackupSchedule({
    paths: ctx.paths,
    config,
    master: ctx.master,
    snapshots: databaseSnapshots(ctx),
    signer: () => loadOrCreateReportSigner(ctx.paths.pkiDir, ctx.master),
    audit: ctx.store,
    clock,
    logger,
    ...(d.backupRetryBaseMs !== undefined ? { retryBaseMs: d.backupRetryBaseMs } : {}),
    ...(d.backupFirstDelayMs !== undefined ? { firstDelayMs: d.backupFirstDelayMs } : {}),
  });
  let check = async () => {};
  const nut = config.power.nut;
  const ups: UpsMonitor | null = nut
    ? startUpsMonitor({
        target: nut,
        pollMs: config.power.pollMs,
        clock,
        logger,
        onChange: () => void check().catch(() => {}),
        onLowBattery: (s: UpsStatus) => {
          if (!config.power.shutdownOnLowBattery) return;
          void ctx.store
            .appendAudit({
              ts: clock(),
              actor: 'system',
              action: 'system.shutdown',
              object: null,
              detail: {
                reason: 'ups_low_battery',
                ups: `${s.ups}@${s.host}:${s.port}`,
                charge_pct: s.reading?.chargePct ?? null,
                runtime_s: s.reading?.runtimeS ?? null,
              },
            })
            .catch((err) => logger.error({ err }, 'cannot audit the shutdown'))
            .finally(() => d.requestShutdown('UPS low battery'));
        },
      })
    : null;

  const measureDisk = async () =>
    disk.measure({
      readingsPerSec: d.ingest.readingsPerSec(),
      readings: await d.ingest.readings(),
      dbBytes: d.ingest.dbBytes(),
    });

  check = async () => {
    const wasFull = disk.full !== null;
    await measureDisk();
    if (wasFull && !disk.full) logger.info('data volume has space again: acknowledging readings');
    const dir = backupDir(config);
    const conditions = [
      ...backupConditions({
        // On PostgreSQL the database's own tools back up (no backup-stale alarm from Vigil).
        configured: config.backup.recipients.length > 0 && backupUnsupported(config) === null,
        intervalMs: config.backup.intervalMinutes * 60_000,
        newestAt: listBackups(dir)[0]?.createdAt ?? null,
        state: readBackupState(ctx.paths.backupState),
        startedAt: d.startedAt,
        now: clock(),
      }),
      ...(ups ? ups.conditions() : []),
      ...disk.conditions(),
    ];
    await system.apply(conditions);
  };
  const timer = setInterval(
    () => void check().catch((err) => logger.error({ err }, 'continuity check failed')),
    d.checkMs ?? 15_000,
  );
  timer.unref();
  // While the volume is full, look for space more often than the regular check.
  const fullTimer = setInterval(() => {
    if (disk.full) void check().catch(() => {});
  }, 1000);
  fullTimer.unref();

  const report = async (): Promise<ContinuityReport> => {
    const now = clock();
    const st = readBackupState(ctx.paths.backupState);
    const newest = listBackups(backupDir(config))[0];
    const u = ups?.status();
    // Device power: latest reading of each enabled device; slope over the last window on battery.
    const counts = { mains: 0, battery: 0, backup: 0, unknown: 0 };
    const devices: ContinuityReport['devicePower']['devices'] = [];
    const empty = new Map<string, number>();
    for (const dev of await ctx.store.listDevices()) {
      if (dev.status !== 'enabled') continue;
      const recent = await ctx.store.queryReadings({
        deviceId: dev.id,
        since: now - SLOPE_WINDOW_MS,
        descending: true,
        limit: 2000,
      });
      const latest =
        recent[0] ?? (await ctx.store.queryReadings({ deviceId: dev.id, descending: true, limit: 1 }))[0];
      const power = typeof latest?.data.power === 'string' ? latest.data.power : null;
      const bat = typeof latest?.data.bat_pct === 'number' ? latest.data.bat_pct : null;
      if (power === 'mains' || power === 'battery' || power === 'backup') counts[power]++;
      else counts.unknown++;
      if (bat === null && power === null) continue;
      const points = recent
        .filter((r) => r.data.power !== 'mains' && typeof r.data.bat_pct === 'number')
        .map((r) => ({ ts: r.ts, batPct: r.data.bat_pct as number }));
      const est = power !== 'mains' ? estimateRuntime(points) : null;
      if (est?.emptyAt) empty.set(dev.id, est.emptyAt);
      devices.push({
        id: dev.id,
        power,
        batPct: bat,
        slopePctPerHour: est ? Math.round(est.slopePctPerHour * 100) / 100 : null,
        runtimeHours:
          est?.runtimeHours !== null && est?.runtimeHours !== undefined
            ? Math.round(est.runtimeHours * 10) / 10
            : null,
        emptyAt: iso(est?.emptyAt),
      });
    }
    const inTransit = await ctx.shipmentStore.list({ state: 'in_transit' });
    const warnings = shipmentPowerWarnings(
      inTransit.map((s) => ({ id: s.id, deviceId: s.deviceId, eta: s.eta })),
      (id) => empty.get(id) ?? null,
    );
    const advertised = config.mqtt.advertisedBrokers.length > 0 ? config.mqtt.advertisedBrokers : [];
    const byBroker = new Map<string, string[]>(advertised.map((u2) => [u2, []]));
    for (const dev of await ctx.store.listDevices()) {
      const l = d.links.get(dev.id);
      if (!l) continue;
      byBroker.set(l.broker, [...(byBroker.get(l.broker) ?? []), dev.id]);
    }
    const primary = advertised[0] ?? [...byBroker.keys()][0];
    const ds = disk.status();
    return {
      backup: {
        configured: config.backup.recipients.length > 0,
        recipients: config.backup.recipients.length,
        intervalMinutes: config.backup.intervalMinutes,
        hookConfigured: config.backup.command !== undefined,
        newest: newest
          ? {
              file: newest.name,
              createdAt: iso(newest.createdAt) as string,
              bytes: newest.bytes,
              ageMs: now - newest.createdAt,
            }
          : null,
        lastFailure: st.lastFailure,
        lastVerify: st.lastVerify,
        lastDrill: st.lastDrill,
        lastHook: st.lastHook,
        nextAt: iso(backups.nextAt()),
        running: backups.running(),
      },
      ups: u
        ? {
            ups: u.ups,
            host: u.host,
            port: u.port,
            reachable: u.reachable,
            status: u.reading?.flags ?? [],
            onBattery: u.reading?.onBattery ?? false,
            lowBattery: u.reading?.lowBattery ?? false,
            chargePct: u.reading?.chargePct ?? null,
            runtimeS: u.reading?.runtimeS ?? null,
            onBatterySince: iso(u.onBatterySince),
            lastPollAt: iso(u.lastPollAt),
            error: u.error,
          }
        : null,
      devicePower: {
        counts,
        devices,
        shipmentWarnings: warnings.map((w) => ({
          shipmentId: w.shipmentId,
          deviceId: w.deviceId,
          plannedArrival: iso(w.plannedArrival) as string,
          emptyAt: iso(w.emptyAt) as string,
        })),
      },
      disk: { ...ds, full: ds.full ? { since: iso(ds.full.since) as string, detail: ds.full.detail } : null },
      brokers: [...byBroker.entries()].map(([url, ids]) => ({
        url,
        primary: url === primary,
        devices: ids.sort(),
      })),
      readOnly: ds.full !== null,
    };
  };

  void check().catch((err) => logger.error({ err }, 'continuity check failed'));
  return {
    report,
    readOnlyReason: () => (disk.full ? 'the data volume is full' : null),
    commitFailed: (err) => {
      const was = disk.full;
      disk.failed(err, clock());
      if (!was && disk.full) {
        logger.error('data volume full: not acknowledging readings; dashboard read-only');
        void check().catch(() => {});
      }
    },
    writable: () => disk.writable,
    check: () => check(),
    backups,
    ups,
    stop: () => {
      clearInterval(timer);
      clearInterval(fullTimer);
      backups.stop();
      ups?.stop();
    },
  };
}
