import { statSync } from 'node:fs';
import { basename } from 'node:path';
import type { ContinuityReport } from '../continuity/continuity-schema.ts';
import { iso, isoOrNull } from '../iso-time.ts';
import { certInfo } from '../pki/index.ts';
import type { SinkStatus } from '../sinks/sink-runner.ts';
import type { ApiRuntime } from './api-deps.ts';
import type { ExternalBrokerStatus, StatusSources } from './ports.ts';
import { ONLINE_WINDOW_MS } from './routes/devices.ts';
import type { SinkStatusView } from './sink-status-schema.ts';
import type { SystemStatusView } from './system-schema.ts';
import type { Throughput } from './throughput-meter.ts';

const DAY = 86_400_000;
/** A device that delivered backfill within this window counts as having buffered offline. */
export const BUFFERING_WINDOW_MS = 3_600_000;
/** `power` values of a reading that mean mains power is lost (src/protocol/bodies.ts). */
const STORED_POWER = new Set(['battery', 'backup']);

export interface CertStatus {
  subject: string | null;
  serial: string;
  notAfter: number;
  /** Whole days until expiry (negative once expired). */
  daysLeft: number;
}

export interface SystemStatus {
  now: number;
  uptimeS: number;
  broker: {
    mode: 'embedded' | 'external';
    listeners: { protocol: 'mqtts'; address: string | null; port: number | null }[];
    connections: { tcp: number; sessions: number; devices: number; services: number } | null;
    /** External brokers with their dropped-message counters (empty when embedded). */
    external: ExternalBrokerStatus[];
  };
  ingest: {
    accepted: number;
    rejected: number;
    readings: number;
    commits: number;
    lastCommitMs: number;
    throughput: Throughput;
  };
  rejections: {
    /** By reason since this process started. */
    sinceStart: Record<string, number>;
    /** By reason, all time, as persisted (flushed once per aggregation window). */
    persisted: Record<string, number>;
  };
  /**
   * Sign-in and delivery-token defence, all time, by event: `auth.login_failed`, `auth.mfa_failed`,
   * `auth.throttled`, `delivery.token_wrong`, `delivery.rate_limited`, ... (persisted counters).
   */
  security: { auth: Record<string, number>; delivery: Record<string, number> };
  storage: { files: { name: string; bytes: number }[]; totalBytes: number };
  certificates: { server: CertStatus; ca: CertStatus };
  /** Backups, drills and the off-site hook (null: not reported by this process). */
  backup: ContinuityReport['backup'] | null;
  /** The host's UPS and the devices' power. */
  power: { ups: ContinuityReport['ups']; devices: ContinuityReport['devicePower'] } | null;
  /** The data volume: free space, forecast, disk-full state. */
  disk: ContinuityReport['disk'] | null;
  /** Mutating requests are refused while the data volume is full. */
  readOnly: boolean;
  continuity: Continuity;
  /** Configured sinks (empty when none), times in ISO 8601 as in the API and the live feed. */
  sinks: SinkStatusView[];
}

/** One device's power and link, as its latest reading and the ingest side see them. */
export interface ContinuityDevice {
  id: string;
  /** `power` of the latest reading (mains, battery, backup), null when it reports none. */
  power: string | null;
  /** `bat_pct` of the latest reading. */
  batPct: number | null;
  online: boolean;
  /** Last message when offline (ms), null when online or never seen. */
  offlineSince: number | null;
  /** The broker of its latest `link` event (null: none since start). */
  broker: string | null;
  /** Samples in its outbox per its latest `link` event (null: none since start). */
  buffered: number | null;
  /** Delivered backfill within {@link BUFFERING_WINDOW_MS}: it was buffering while offline. */
  buffering: boolean;
  lastBackfillAt: number | null;
}

/** Whether the installation keeps recording through outages. */
export interface Continuity {
  /** The broker devices deliver to is reachable (null: not known to this process). */
  brokerReachable: boolean | null;
  /** Enabled devices whose latest reading says they run on battery or backup power. */
  onBatteryOrBackup: string[];
  /** Devices that delivered backfill within `bufferingWindowMs` (since this process started). */
  buffering: string[];
  bufferingWindowMs: number;
  /** Enabled devices. */
  devices: ContinuityDevice[];
  /** Advertised brokers (primary first) and the devices on each. */
  brokers: ContinuityReport['brokers'];
  /** Devices not online (their last message is older than the online window). */
  offline: string[];
}

function certStatus(pem: string, now: number): CertStatus {
  const i = certInfo(pem);
  return {
    subject: i.subjectCn,
    serial: i.serial,
    notAfter: i.notAfter,
    daysLeft: Math.floor((i.notAfter - now) / DAY),
  };
}

/** Database file sizes (SQLite main file, WAL and shared-memory index). */
export function storageFiles(dbPath: string): { name: string; bytes: number }[] {
  const files: { name: string; bytes: number }[] = [];
  for (const p of [dbPath, `${dbPath}-wal`, `${dbPath}-shm`]) {
    try {
      files.push({ name: basename(p), bytes: statSync(p).size });
    } catch {
      // WAL and SHM exist only while the database is open in WAL mode.
    }
  }
  return files;
}

/** The external broker as host:port only: a URL could carry credentials. */
function externalListener(url: string): { protocol: 'mqtts'; address: string | null; port: number | null } {
  try {
    const u = new URL(url);
    return { protocol: 'mqtts', address: u.hostname, port: Number(u.port || 8883) };
  } catch {
    return { protocol: 'mqtts', address: null, port: null };
  }
}

/** Power source and battery from each enabled device's latest reading, plus recent backfill. */
export async function continuityStatus(src: StatusSources, now: number): Promise<Continuity> {
  const since = now - BUFFERING_WINDOW_MS;
  const devices: ContinuityDevice[] = [];
  for (const d of await src.store.listDevices()) {
    if (d.status !== 'enabled') continue;
    const [latest] = await src.store.queryReadings({ deviceId: d.id, descending: true, limit: 1 });
    const power = latest?.data.power;
    const bat = latest?.data.bat_pct;
    const lastBackfillAt = src.lastBackfillAt(d.id);
    const online = d.lastSeenAt !== null && now - d.lastSeenAt <= ONLINE_WINDOW_MS;
    const link = src.link?.(d.id) ?? null;
    devices.push({
      id: d.id,
      power: typeof power === 'string' ? power : null,
      batPct: typeof bat === 'number' ? bat : null,
      online,
      offlineSince: online ? null : d.lastSeenAt,
      broker: link?.broker ?? null,
      buffered: link?.buffered ?? null,
      buffering: (lastBackfillAt !== null && lastBackfillAt >= since) || (link !== null && link.buffered > 0),
      lastBackfillAt,
    });
  }
  const brokerReachable = src.brokerReachable();
  return {
    brokerReachable,
    onBatteryOrBackup: devices.filter((d) => d.power !== null && STORED_POWER.has(d.power)).map((d) => d.id),
    buffering: devices.filter((d) => d.buffering).map((d) => d.id),
    bufferingWindowMs: BUFFERING_WINDOW_MS,
    devices,
    brokers: [],
    offline: devices.filter((d) => !d.online).map((d) => d.id),
  };
}

/** One snapshot of everything /api/v1/system and /metrics report. */
export async function systemStatus(src: StatusSources, runtime: ApiRuntime): Promise<SystemStatus> {
  const now = src.clock();
  const counters = await src.store.getCounters();
  const persisted: Record<string, number> = {};
  const security: SystemStatus['security'] = { auth: {}, delivery: {} };
  for (const [k, v] of Object.entries(counters)) {
    if (k.startsWith('rejected.')) persisted[k.slice('rejected.'.length)] = v;
    else if (k.startsWith('auth_')) security.auth[k.slice('auth_'.length)] = v;
    else if (k.startsWith('shipment_delivery_')) security.delivery[k.slice('shipment_delivery_'.length)] = v;
  }
  const s = src.ingest.stats;
  const files = storageFiles(src.dbPath);
  const continuity = await continuityStatus(src, now);
  const report = src.continuity ? await src.continuity() : null;
  const external = src.externalBrokerUrl;
  const b = src.broker?.stats();
  return {
    now,
    uptimeS: Math.round((now - runtime.startedAt) / 1000),
    broker: {
      mode: external ? 'external' : 'embedded',
      listeners: external
        ? [externalListener(external)]
        : [{ protocol: 'mqtts', address: b?.address ?? null, port: b?.port ?? null }],
      connections: b
        ? { tcp: b.tcpConnections, sessions: b.connected, devices: b.devices, services: b.services }
        : null,
      external: src.externalBrokers?.() ?? [],
    },
    ingest: {
      accepted: s.accepted,
      rejected: s.rejected,
      readings: s.readings,
      commits: s.commits,
      lastCommitMs: s.lastCommitMs,
      throughput: runtime.throughput.rates(now, s),
    },
    rejections: { sinceStart: src.rejectionTotals(), persisted },
    security,
    storage: { files, totalBytes: files.reduce((n, f) => n + f.bytes, 0) },
    certificates: {
      // The certificate this listener presents (loaded at start).
      server: certStatus(runtime.serverCertPem, now),
      ca: certStatus(src.caCertPem, now),
    },
    backup: report?.backup ?? null,
    power: report ? { ups: report.ups, devices: report.devicePower } : null,
    disk: report?.disk ?? null,
    readOnly: report?.readOnly ?? false,
    continuity: { ...continuity, brokers: report?.brokers ?? [] },
    sinks: ((await src.sinks?.()) ?? []).map(sinkStatusView),
  };
}

/** A sink's status as the API and the live feed carry it (times in ISO 8601). */
function sinkStatusView(s: SinkStatus): SinkStatusView {
  return {
    ...s,
    lastSuccessAt: isoOrNull(s.lastSuccessAt),
    lastFailureAt: isoOrNull(s.lastFailureAt),
    failingSince: isoOrNull(s.failingSince),
    nextAttemptAt: isoOrNull(s.nextAttemptAt),
    outbox: { ...s.outbox, oldestReceivedAt: isoOrNull(s.outbox.oldestReceivedAt) },
  };
}

const certView = (c: CertStatus) => ({ ...c, notAfter: iso(c.notAfter) });

/**
 * The snapshot as `GET /api/v1/system` and the live feed's `system` frames carry it: every time
 * ISO 8601 UTC (the snapshot itself keeps milliseconds for /metrics).
 */
export function systemStatusView(s: SystemStatus): SystemStatusView {
  return {
    ...s,
    now: iso(s.now),
    certificates: { server: certView(s.certificates.server), ca: certView(s.certificates.ca) },
    continuity: {
      ...s.continuity,
      devices: s.continuity.devices.map((d) => ({
        ...d,
        offlineSince: isoOrNull(d.offlineSince),
        lastBackfillAt: isoOrNull(d.lastBackfillAt),
      })),
    },
  };
}
