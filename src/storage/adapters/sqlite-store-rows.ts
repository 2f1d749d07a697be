/** Row shapes of the registry, ingest and audit tables and their mapping to `Store` records. */
import type {
  AuditRecord,
  CertificateRecord,
  DeviceKeyRecord,
  DeviceRecord,
  DeviceStatus,
  MessageRecord,
  ReadingRecord,
} from '../store.ts';

export interface DeviceRow {
  id: string;
  profile: DeviceRecord['profile'];
  status: DeviceStatus;
  alg: DeviceRecord['alg'];
  current_kid: number;
  created_at: number;
  updated_at: number;
  cert_serial: string | null;
  cert_not_after: number | null;
  last_seen_at: number | null;
}
export interface KeyRow {
  device_id: string;
  kid: number;
  secret_enc: Buffer;
  created_at: number;
  status: DeviceKeyRecord['status'];
}
export interface CertRow {
  serial: string;
  subject: string;
  kind: CertificateRecord['kind'];
  not_before: number;
  not_after: number;
  pem: string;
  revoked_at: number | null;
  revocation_reason: string | null;
}
export interface ReadingRow {
  device_id: string;
  seq: number;
  idx: number;
  ts: number;
  received_at: number;
  backfill: number;
  data: string;
}
export interface MessageRow {
  device_id: string;
  seq: number;
  channel: MessageRecord['channel'];
  ts: number;
  received_at: number;
  body: string;
}
export interface AuditRow {
  id: number;
  ts: number;
  actor: string;
  action: string;
  object: string | null;
  detail: string;
  prev_hash: string;
  hash: string;
}

export const toDevice = (r: DeviceRow): DeviceRecord => ({
  id: r.id,
  profile: r.profile,
  status: r.status,
  alg: r.alg,
  currentKid: r.current_kid,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
  certSerial: r.cert_serial,
  certNotAfter: r.cert_not_after,
  lastSeenAt: r.last_seen_at,
});
export const toKey = (r: KeyRow): DeviceKeyRecord => ({
  deviceId: r.device_id,
  kid: r.kid,
  secretEnc: r.secret_enc,
  createdAt: r.created_at,
  status: r.status,
});
export const toCert = (r: CertRow): CertificateRecord => ({
  serial: r.serial,
  subject: r.subject,
  kind: r.kind,
  notBefore: r.not_before,
  notAfter: r.not_after,
  pem: r.pem,
  revokedAt: r.revoked_at,
  revocationReason: r.revocation_reason,
});
export const toReading = (r: ReadingRow): ReadingRecord => ({
  deviceId: r.device_id,
  seq: r.seq,
  idx: r.idx,
  ts: r.ts,
  receivedAt: r.received_at,
  backfill: r.backfill === 1,
  data: JSON.parse(r.data) as Record<string, unknown>,
});
export const toMessage = (r: MessageRow): MessageRecord => ({
  deviceId: r.device_id,
  seq: r.seq,
  channel: r.channel,
  ts: r.ts,
  receivedAt: r.received_at,
  body: JSON.parse(r.body) as Record<string, unknown>,
});
export const toAudit = (r: AuditRow): AuditRecord => ({
  id: r.id,
  ts: r.ts,
  actor: r.actor,
  action: r.action,
  object: r.object,
  detail: JSON.parse(r.detail) as Record<string, unknown>,
  prevHash: r.prev_hash,
  hash: r.hash,
});
