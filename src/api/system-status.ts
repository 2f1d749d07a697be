import { statSync } from 'node:fs';
import { basename } from 'node:path';
import { certInfo } from '../pki/index.ts';
import type { ApiRuntime, ApiServerDeps } from './api-deps.ts';
import type { Throughput } from './throughput-meter.ts';

const DAY = 86_400_000;

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
  storage: { files: { name: string; bytes: number }[]; totalBytes: number };
  certificates: { server: CertStatus; ca: CertStatus };
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

/** One snapshot of everything /api/v1/system and /metrics report. */
export async function systemStatus(deps: ApiServerDeps, runtime: ApiRuntime): Promise<SystemStatus> {
  const { ctx, pipeline, rejections, broker } = deps;
  const now = ctx.clock();
  const counters = await ctx.store.getCounters();
  const persisted: Record<string, number> = {};
  for (const [k, v] of Object.entries(counters)) {
    if (k.startsWith('rejected.')) persisted[k.slice('rejected.'.length)] = v;
  }
  const s = pipeline.stats;
  const files = storageFiles(ctx.paths.db);
  const external = ctx.config.mqtt.external;
  const b = broker?.stats();
  return {
    now,
    uptimeS: Math.round((now - runtime.startedAt) / 1000),
    broker: {
      mode: external ? 'external' : 'embedded',
      listeners: external
        ? [externalListener(external.url)]
        : [{ protocol: 'mqtts', address: b?.address ?? null, port: b?.port ?? null }],
      connections: b
        ? { tcp: b.tcpConnections, sessions: b.connected, devices: b.devices, services: b.services }
        : null,
    },
    ingest: {
      accepted: s.accepted,
      rejected: s.rejected,
      readings: s.readings,
      commits: s.commits,
      lastCommitMs: s.lastCommitMs,
      throughput: runtime.throughput.rates(now, s),
    },
    rejections: { sinceStart: rejections.totals(), persisted },
    storage: { files, totalBytes: files.reduce((n, f) => n + f.bytes, 0) },
    certificates: {
      // The certificate this listener presents (loaded at start).
      server: certStatus(runtime.serverCertPem, now),
      ca: certStatus(ctx.ca.certPem, now),
    },
  };
}
