/**
 * Row shapes of the PostgreSQL registry, ingest and audit tables and their mapping to `Store`
 * records, decrypting the encrypted columns (postgres-cipher.ts) with the row's identity.
 */
import type pg from 'pg';
import { VigilError } from '../../errors.ts';
import type { AuditRecord, DeviceKeyRecord, MessageRecord, ReadingRecord } from '../store.ts';
import type { ColumnCipher } from './postgres-cipher.ts';

/** The AAD identity of each encrypted row (see postgres-cipher.ts). */
export const rowId = {
  reading: (deviceId: string, seq: number, idx: number) => `${deviceId}|${seq}|${idx}`,
  message: (deviceId: string, seq: number) => `${deviceId}|${seq}`,
  key: (deviceId: string, kid: number) => `${deviceId}|${kid}`,
  audit: (id: number) => String(id),
};

export interface PgReadingRow {
  device_id: string;
  seq: number;
  idx: number;
  ts: number;
  received_at: number;
  backfill: boolean;
  data: Buffer;
}

export interface PgMessageRow {
  device_id: string;
  seq: number;
  channel: MessageRecord['channel'];
  ts: number;
  received_at: number;
  body: Buffer;
}

export interface PgKeyRow {
  device_id: string;
  kid: number;
  secret_enc: Buffer;
  created_at: number;
  status: DeviceKeyRecord['status'];
}

export interface PgAuditRow {
  id: number;
  ts: number;
  actor: string;
  action: string;
  object: string | null;
  detail: Buffer;
  prev_hash: string;
  hash: string;
}

export const pgReading = (c: ColumnCipher, r: PgReadingRow): ReadingRecord => ({
  deviceId: r.device_id,
  seq: r.seq,
  idx: r.idx,
  ts: r.ts,
  receivedAt: r.received_at,
  backfill: r.backfill,
  data: c.decryptJson('readings.data', rowId.reading(r.device_id, r.seq, r.idx), r.data),
});

export const pgMessage = (c: ColumnCipher, r: PgMessageRow): MessageRecord => ({
  deviceId: r.device_id,
  seq: r.seq,
  channel: r.channel,
  ts: r.ts,
  receivedAt: r.received_at,
  body: c.decryptJson('messages.body', rowId.message(r.device_id, r.seq), r.body),
});

export const pgKey = (c: ColumnCipher, r: PgKeyRow): DeviceKeyRecord => ({
  deviceId: r.device_id,
  kid: r.kid,
  secretEnc: c.decrypt('device_keys.secret_enc', rowId.key(r.device_id, r.kid), r.secret_enc),
  createdAt: r.created_at,
  status: r.status,
});

/** An audit row as a record; a detail that no longer opens (altered) gets a hash that cannot match. */
export function pgAudit(c: ColumnCipher, r: PgAuditRow): AuditRecord {
  const base = {
    id: r.id,
    ts: r.ts,
    actor: r.actor,
    action: r.action,
    object: r.object,
    prevHash: r.prev_hash,
    hash: r.hash,
  };
  try {
    return { ...base, detail: c.decryptJson('audit.detail', rowId.audit(r.id), r.detail) };
  } catch {
    return { ...base, detail: {}, hash: '' };
  }
}

/** `SELECT` columns of the devices table as `DeviceRecord` fields. */
export const DEVICE_COLUMNS = `id, profile, status, alg, current_kid AS "currentKid", created_at AS "createdAt",
  updated_at AS "updatedAt", cert_serial AS "certSerial", cert_not_after AS "certNotAfter", last_seen_at AS "lastSeenAt"`;

/** `SELECT` columns of the certificates table as `CertificateRecord` fields. */
export const CERT_COLUMNS = `serial, subject, kind, not_before AS "notBefore", not_after AS "notAfter", pem,
  revoked_at AS "revokedAt", revocation_reason AS "revocationReason"`;

/** A query's `limit` within [0, 100000], 1000 when absent (as the SQLite adapter). */
export function pgLimit(limit: number | undefined): number {
  if (limit === undefined) return 1000;
  if (!Number.isFinite(limit)) return 100_000;
  return Math.min(Math.max(Math.trunc(limit), 0), 100_000);
}

/**
 * A time bound of a query as a bigint parameter: an absent or infinite bound is the widest one,
 * and a fractional bound is rounded up (for `ts >= x` and `ts < x` alike, on integer ms), as the
 * SQLite adapter compares them. PostgreSQL refuses `-Infinity` or `1.5` for a bigint.
 */
export function pgTsBound(v: number | undefined, absent: number): number {
  if (v === undefined || Number.isNaN(v)) return absent;
  if (v <= Number.MIN_SAFE_INTEGER) return Number.MIN_SAFE_INTEGER;
  if (v >= Number.MAX_SAFE_INTEGER) return Number.MAX_SAFE_INTEGER;
  return Math.ceil(v);
}

/** The SQLSTATE of a driver error (`23505` unique_violation, `23503` foreign_key_violation, ...). */
export function pgCode(err: unknown): string | undefined {
  const c = (err as { code?: unknown } | null)?.code;
  return typeof c === 'string' ? c : undefined;
}

/**
 * A driver failure as VIGIL_ERR_STORE, prefixed with the adapter and what it did (`[postgres]
 * readings: 23503: ...`); PostgreSQL messages name tables and constraints. A VigilError passes.
 */
export function pgStoreError(err: unknown, label: string): Error {
  if (err instanceof VigilError) return err;
  const msg = err instanceof Error ? err.message : String(err);
  return new VigilError('VIGIL_ERR_STORE', `[postgres] ${label}: ${pgCode(err) ?? 'error'}: ${msg}`, {
    cause: err,
  });
}

/** One transaction of an adapter; a failure becomes VIGIL_ERR_STORE naming `label` (a VigilError passes). */
export async function pgTx<T>(
  db: { tx<U>(fn: (tx: { client: pg.ClientBase }) => Promise<U>): Promise<U> },
  label: string,
  fn: (c: pg.ClientBase) => Promise<T>,
): Promise<T> {
  try {
    return await db.tx(({ client }) => fn(client));
  } catch (err) {
    throw pgStoreError(err, label);
  }
}

/** The database as the adapters use it (PostgresDatabase). */
interface PgRunner {
  q<R extends pg.QueryResultRow>(sql: string, params?: unknown[]): Promise<R[]>;
  tx<T>(fn: (tx: { client: pg.ClientBase }) => Promise<T>): Promise<T>;
}

/**
 * An adapter's statements: `q` one statement outside a transaction, `tx` a transaction (both
 * retried on transient failures by the pool); a failure goes through `fail` (a VigilError of the
 * port, or VIGIL_ERR_STORE naming the adapter: see pgStoreError).
 */
export function pgOps(db: PgRunner, fail: (err: unknown) => Error) {
  return {
    async q<R extends pg.QueryResultRow>(sql: string, params: unknown[] = []): Promise<R[]> {
      try {
        return await db.q<R>(sql, params);
      } catch (err) {
        throw fail(err);
      }
    },
    async tx<T>(fn: (c: pg.ClientBase) => Promise<T>): Promise<T> {
      try {
        return await db.tx(({ client }) => fn(client));
      } catch (err) {
        throw fail(err);
      }
    },
  };
}
