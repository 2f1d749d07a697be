/**
 * Shapes the dashboard reads from the API (docs/api.md). Field names follow src/api/schemas.ts;
 * where the contract and the server may still differ (flat vs nested reading fields, ISO vs
 * epoch-ms times), src/normalize.ts accepts both and hands the pages these types.
 */
import type {
  BackupStatus,
  DiskStatusView as DiskStatus,
  PowerStatus,
} from '../../src/continuity/continuity-schema.ts';

export type Role = 'admin' | 'operator' | 'quality' | 'receiver' | 'viewer' | 'auditor';
export const ROLES: readonly Role[] = ['admin', 'operator', 'quality', 'receiver', 'viewer', 'auditor'];

export type Profile = 'vaccine-transport' | 'patient-vitals' | 'temperature-probe';
export const PROFILE_NAMES: readonly Profile[] = ['vaccine-transport', 'patient-vitals', 'temperature-probe'];

/** The sign-in state machine of docs/api.md. */
export type SignInState = 'password_change_required' | 'mfa_enrol_required' | 'mfa_required' | 'ok';

/** `GET /api/v1/auth/me`. */
export interface Me {
  name: string;
  role: Role;
  mfa: boolean;
  state: SignInState;
  permissions: string[];
}

export type Scalar = number | string | boolean | null;

/** One reading of a device, telemetry fields (DESIGN.md §4) in `data`. */
export interface Reading {
  ts: number;
  receivedAt: number | null;
  backfill: boolean;
  data: Record<string, Scalar>;
}

/** A limit of one field, inclusive bounds; absent bound = no limit on that side. */
export interface FieldLimit {
  min?: number;
  max?: number;
}

/** A device as the pages see it: the registry summary plus its latest reading and alarm state. */
export interface Device {
  id: string;
  profile: Profile;
  status: 'enabled' | 'disabled' | 'revoked';
  alg: string;
  online: boolean;
  lastSeenAt: number | null;
  createdAt: number | null;
  certNotAfter: number | null;
  latest: Reading | null;
  /** `none` or `open`; derived from the open alarms when the list does not carry it. */
  alarm: 'none' | 'open';
  /** Per-device limits when the server reports them; else the profile defaults apply. */
  limits: Record<string, FieldLimit> | null;
}

/** One point of a readings range (server-side downsampled: mean, with min and max). */
export interface SeriesPoint {
  ts: number;
  backfill: boolean;
  values: Record<string, Scalar>;
  min: Record<string, number> | null;
  max: Record<string, number> | null;
}

/** `GET /api/v1/devices/:id/readings`. */
export interface Series {
  points: SeriesPoint[];
  gaps: { from: number; to: number }[];
  downsampled: boolean;
  bucketMs: number | null;
}

export interface AlarmAck {
  by: string | null;
  at: number | null;
  reason: string | null;
}

/** `GET /api/v1/alarms`. */
export interface Alarm {
  id: string;
  rule: string;
  subject: string;
  state: string;
  severity: string | null;
  /** The temperature tier (warning, critical, regulatory) when the server sends it. */
  tier?: string | null;
  startedAt: number | null;
  raisedAt: number | null;
  endedAt: number | null;
  message: string;
  ack: AlarmAck | null;
  /** Late data disproved the alarm: kept on record, resolved, with when and why. */
  disproved: { at: number | null; reason: string } | null;
}

export interface CertStatus {
  subject: string | null;
  serial: string;
  notAfter: number;
  daysLeft: number;
}

/** `GET /api/v1/system` (src/api/system-status.ts), with the fields still to come optional. */
export interface SystemStatus {
  now: number;
  uptimeS: number;
  broker: {
    mode: 'embedded' | 'external';
    listeners: { protocol: string; address: string | null; port: number | null }[];
    connections: { tcp: number; sessions: number; devices: number; services: number } | null;
    /** Optional: whether the API process can reach the broker (external mode). */
    reachable?: boolean;
  };
  ingest: {
    accepted: number;
    rejected: number;
    readings: number;
    commits: number;
    lastCommitMs: number;
    throughput: { acceptedPerSec: number; readingsPerSec: number; rejectedPerSec: number; windowMs: number };
  };
  rejections: { sinceStart: Record<string, number>; persisted: Record<string, number> };
  storage: { files: { name: string; bytes: number }[]; totalBytes: number };
  certificates: Record<string, CertStatus>;
  /** Backups, drills and the off-site hook (null: not reported by the server). */
  backup?: BackupStatus | null;
  /** The host UPS (NUT) and the devices' power. */
  power?: PowerStatus | null;
  /** The data volume: free space, forecast, disk-full state. */
  disk?: DiskStatus | null;
  /** Changes are refused while the data volume is full. */
  readOnly?: boolean;
  /** Continuity as the server sees it; the page falls back to the device list when absent. */
  continuity?: {
    /** null: not known to the API process. */
    brokerReachable?: boolean | null;
    /** Devices whose latest reading reports battery or backup power. */
    onBatteryOrBackup?: string[];
    devices?: {
      id: string;
      power?: string | null;
      batPct?: number | null;
      online?: boolean;
      offlineSince?: number | null;
      /** The broker of its latest `link` event. */
      broker?: string | null;
      /** Samples in its outbox per its latest `link` event. */
      buffered?: number | null;
      /** Delivered backfill within `bufferingWindowMs`, or reports a backlog. */
      buffering?: boolean;
      lastBackfillAt?: number | null;
    }[];
    buffering?: string[];
    bufferingWindowMs?: number;
    /** Advertised brokers (primary first) and the devices on each. */
    brokers?: { url: string; primary: boolean; devices: string[] }[];
    offline?: string[];
  } | null;
}

/** The continuity parts of `GET /api/v1/system`: the server's own schema types. */
export type { BackupStatus, DiskStatus, PowerStatus };

/** `GET /api/v1/users` (src/auth/accounts.ts UserView). */
export interface UserView {
  name: string;
  role: Role;
  status: 'active' | 'disabled';
  mfaEnrolled: boolean;
  mustChangePassword: boolean;
  mustEnrolMfa: boolean;
  recoveryCodesLeft: number;
  createdAt: number;
  lastLoginAt: number | null;
  sessions?: number;
}

/** `GET /api/v1/tokens` (src/auth/api-tokens.ts ApiTokenView). */
export interface ApiTokenView {
  id: string;
  label: string;
  role: Role;
  createdBy: string;
  createdAt: number;
  expiresAt: number;
  revokedAt: number | null;
  lastUsedAt: number | null;
  status: 'active' | 'expired' | 'revoked';
}

/** A message of the live feed (`/api/v1/live`). */
export type LiveMessage =
  | { type: 'reading'; data: unknown }
  | { type: 'alarm'; data: unknown }
  | { type: 'device'; data: unknown }
  | { type: 'system'; data: unknown };
