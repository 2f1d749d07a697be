import type pg from 'pg';
import { VigilError } from '../../errors.ts';
import type { AuditVerification } from '../audit-chain.ts';
import type {
  AuditCheckpointRecord,
  AuditInput,
  AuditRecord,
  CertificateRecord,
  DeviceKeyRecord,
  DeviceRecord,
  DeviceStatus,
  IngestBatch,
  MessageRecord,
  ReadingQuery,
  ReadingRecord,
  ReplayStateRecord,
  Store,
  WriteBatchResult,
} from '../store.ts';
import { appendAuditRow, insertCheckpointRow, verifyAuditRows } from './postgres-audit-log.ts';
import type { PostgresDatabase } from './postgres-database.ts';
import { writeIngestBatch } from './postgres-ingest.ts';
import { readingsAfterRows } from './postgres-readings-after.ts';
import {
  CERT_COLUMNS,
  DEVICE_COLUMNS,
  type PgAuditRow,
  type PgKeyRow,
  type PgMessageRow,
  type PgReadingRow,
  pgAudit,
  pgCode,
  pgKey,
  pgLimit,
  pgMessage,
  pgReading,
  pgStoreError,
  pgTsBound,
  rowId,
} from './postgres-store-rows.ts';

/**
 * The `Store` port (registry, keys, certificates, ingest, audit, counters, meta) on PostgreSQL
 * ({@link PostgresDatabase}). Its `migrate` and `close` act on the whole database, which the
 * other adapters (postgres-adapters.ts) share. Several Vigil processes may use it at once:
 * writes that read before they write lock what they read (row locks, advisory locks).
 */
export class PostgresStore implements Store {
  /** writeBatch judges seqs under the device's row lock (postgres-ingest.ts). */
  readonly judgesReplay = true;
  readonly #db: PostgresDatabase;

  constructor(db: PostgresDatabase) {
    this.#db = db;
  }

  get database(): PostgresDatabase {
    return this.#db;
  }

  async #run<T>(label: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw pgStoreError(err, label);
    }
  }

  #q<R extends pg.QueryResultRow>(label: string, sql: string, params: unknown[] = []): Promise<R[]> {
    return this.#run(label, () => this.#db.q<R>(sql, params));
  }

  async migrate(): Promise<void> {
    await this.#run('migrations', () => this.#db.migrate());
  }

  async close(): Promise<void> {
    await this.#db.close();
  }

  // --- devices and keys ---------------------------------------------------------------------

  async addDevice(device: DeviceRecord, key: DeviceKeyRecord): Promise<void> {
    if (key.deviceId !== device.id) throw new VigilError('VIGIL_ERR_USAGE', 'key belongs to another device');
    await this.#run('devices', () =>
      this.#db.tx(async ({ client }) => {
        const r = await client.query(
          `INSERT INTO devices (id, profile, status, alg, current_kid, created_at, updated_at, cert_serial,
             cert_not_after, last_seen_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
           ON CONFLICT (id) DO NOTHING`,
          [
            device.id,
            device.profile,
            device.status,
            device.alg,
            device.currentKid,
            device.createdAt,
            device.updatedAt,
            device.certSerial,
            device.certNotAfter,
            device.lastSeenAt,
          ],
        );
        if (r.rowCount === 0) throw new VigilError('VIGIL_ERR_DEVICE_EXISTS', device.id);
        await this.#insertKey(client, key);
      }),
    );
  }

  async #insertKey(c: pg.ClientBase, key: DeviceKeyRecord): Promise<void> {
    const sealed = this.#db.cipher.encrypt(
      'device_keys.secret_enc',
      rowId.key(key.deviceId, key.kid),
      key.secretEnc,
    );
    try {
      await c.query('SAVEPOINT key_insert');
      await c.query(
        'INSERT INTO device_keys (device_id, kid, secret_enc, created_at, status) VALUES ($1, $2, $3, $4, $5)',
        [key.deviceId, key.kid, sealed, key.createdAt, key.status],
      );
      await c.query('RELEASE SAVEPOINT key_insert');
    } catch (err) {
      const code = pgCode(err);
      if (code === '23505') throw new VigilError('VIGIL_ERR_KEY_EXISTS', `${key.deviceId} kid ${key.kid}`);
      if (code === '23503') throw new VigilError('VIGIL_ERR_NOT_FOUND', key.deviceId);
      throw err;
    }
  }

  async getDevice(id: string): Promise<DeviceRecord | null> {
    return (
      (
        await this.#q<DeviceRecord>('devices', `SELECT ${DEVICE_COLUMNS} FROM devices WHERE id = $1`, [id])
      )[0] ?? null
    );
  }

  async listDevices(): Promise<DeviceRecord[]> {
    return this.#q<DeviceRecord>('devices', `SELECT ${DEVICE_COLUMNS} FROM devices ORDER BY id`);
  }

  async #updateDevice(id: string, set: string, params: unknown[]): Promise<void> {
    const r = await this.#run('devices', () =>
      this.#db.pool.query(`UPDATE devices SET ${set} WHERE id = $1`, [id, ...params]),
    );
    if (r.rowCount === 0) throw new VigilError('VIGIL_ERR_NOT_FOUND', id);
  }

  async setDeviceStatus(id: string, status: DeviceStatus, at: number): Promise<void> {
    await this.#updateDevice(id, 'status = $2, updated_at = $3', [status, at]);
  }

  /** Keys and device in one transaction; anything referring to the device (readings, events, replay state, shipments) refuses it. */
  async deleteDevice(id: string): Promise<void> {
    try {
      await this.#db.tx(async ({ client }) => {
        const found = await client.query('SELECT 1 FROM devices WHERE id = $1 FOR UPDATE', [id]);
        if (found.rowCount === 0) throw new VigilError('VIGIL_ERR_NOT_FOUND', `device ${id}`);
        await client.query('DELETE FROM device_keys WHERE device_id = $1', [id]);
        await client.query('DELETE FROM devices WHERE id = $1', [id]);
      });
    } catch (err) {
      if (pgCode(err) === '23503') {
        throw new VigilError('VIGIL_ERR_DEVICE_IN_USE', `device ${id} has readings, events or shipments`);
      }
      throw pgStoreError(err, 'devices');
    }
  }

  async setDeviceCert(id: string, serial: string, notAfter: number, at: number): Promise<void> {
    await this.#updateDevice(id, 'cert_serial = $2, cert_not_after = $3, updated_at = $4', [
      serial,
      notAfter,
      at,
    ]);
  }

  async setDeviceCurrentKid(id: string, kid: number, at: number): Promise<void> {
    await this.#run('devices', () =>
      this.#db.tx(async ({ client }) => {
        const k = await client.query<{ status: string }>(
          'SELECT status FROM device_keys WHERE device_id = $1 AND kid = $2 FOR SHARE',
          [id, kid],
        );
        const status = k.rows[0]?.status;
        if (!status) throw new VigilError('VIGIL_ERR_NOT_FOUND', `${id} kid ${kid}`);
        if (status !== 'active') throw new VigilError('VIGIL_ERR_USAGE', `${id} kid ${kid} is retired`);
        await client.query('UPDATE devices SET current_kid = $2, updated_at = $3 WHERE id = $1', [
          id,
          kid,
          at,
        ]);
      }),
    );
  }

  async addDeviceKey(key: DeviceKeyRecord): Promise<void> {
    await this.#run('device_keys', () => this.#db.tx(({ client }) => this.#insertKey(client, key)));
  }

  async setDeviceKeyStatus(deviceId: string, kid: number, status: DeviceKeyRecord['status']): Promise<void> {
    const r = await this.#run('device_keys', () =>
      this.#db.pool.query('UPDATE device_keys SET status = $3 WHERE device_id = $1 AND kid = $2', [
        deviceId,
        kid,
        status,
      ]),
    );
    if (r.rowCount === 0) throw new VigilError('VIGIL_ERR_NOT_FOUND', `${deviceId} kid ${kid}`);
  }

  async getDeviceKey(deviceId: string, kid: number): Promise<DeviceKeyRecord | null> {
    const rows = await this.#q<PgKeyRow>(
      'device_keys',
      'SELECT * FROM device_keys WHERE device_id = $1 AND kid = $2',
      [deviceId, kid],
    );
    return rows[0] ? pgKey(this.#db.cipher, rows[0]) : null;
  }

  async listDeviceKeys(deviceId: string): Promise<DeviceKeyRecord[]> {
    const rows = await this.#q<PgKeyRow>(
      'device_keys',
      'SELECT * FROM device_keys WHERE device_id = $1 ORDER BY kid',
      [deviceId],
    );
    return rows.map((r) => pgKey(this.#db.cipher, r));
  }

  // --- certificates -------------------------------------------------------------------------

  async addCertificate(cert: CertificateRecord): Promise<void> {
    const rows = await this.#q(
      'certificates',
      `INSERT INTO certificates (serial, subject, kind, not_before, not_after, pem, revoked_at, revocation_reason)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (serial) DO NOTHING RETURNING serial`,
      [
        cert.serial,
        cert.subject,
        cert.kind,
        cert.notBefore,
        cert.notAfter,
        cert.pem,
        cert.revokedAt,
        cert.revocationReason,
      ],
    );
    if (rows.length === 0) throw new VigilError('VIGIL_ERR_CERT_EXISTS', cert.serial);
  }

  async getCertificate(serial: string): Promise<CertificateRecord | null> {
    const rows = await this.#q<CertificateRecord>(
      'certificates',
      `SELECT ${CERT_COLUMNS} FROM certificates WHERE serial = $1`,
      [serial],
    );
    return rows[0] ?? null;
  }

  async listCertificates(filter?: {
    subject?: string;
    kind?: CertificateRecord['kind'];
  }): Promise<CertificateRecord[]> {
    return this.#q<CertificateRecord>(
      'certificates',
      `SELECT ${CERT_COLUMNS} FROM certificates WHERE ($1::text IS NULL OR subject = $1) AND ($2::text IS NULL OR kind = $2)
       ORDER BY not_before, serial`,
      [filter?.subject ?? null, filter?.kind ?? null],
    );
  }

  /** Idempotent: revoking a revoked certificate keeps the first revocation time and reason. */
  async revokeCertificate(serial: string, at: number, reason: string): Promise<void> {
    const rows = await this.#q<{ serial: string }>(
      'certificates',
      `UPDATE certificates SET revoked_at = coalesce(revoked_at, $2),
         revocation_reason = CASE WHEN revoked_at IS NULL THEN $3 ELSE revocation_reason END
       WHERE serial = $1 RETURNING serial`,
      [serial, at, reason],
    );
    if (rows.length === 0) throw new VigilError('VIGIL_ERR_NOT_FOUND', serial);
  }

  async listRevoked(): Promise<CertificateRecord[]> {
    return this.#q<CertificateRecord>(
      'certificates',
      `SELECT ${CERT_COLUMNS} FROM certificates WHERE revoked_at IS NOT NULL ORDER BY revoked_at, serial`,
    );
  }

  // --- ingest -------------------------------------------------------------------------------

  async writeBatch(batch: IngestBatch): Promise<WriteBatchResult> {
    return this.#run('ingest', async () => {
      if (batch.readings.length > 0) await this.#db.ensurePartitions(batch.readings.map((r) => r.ts));
      return this.#db.tx((tx) => writeIngestBatch(this.#db.cipher, tx, batch));
    });
  }

  async getReplayState(deviceId: string): Promise<ReplayStateRecord | null> {
    const rows = await this.#q<ReplayStateRecord>(
      'replay_state',
      `SELECT device_id AS "deviceId", highest, bitmap, nonces, updated_at AS "updatedAt"
       FROM replay_state WHERE device_id = $1 AND highest >= 0`,
      [deviceId],
    );
    return rows[0] ?? null;
  }

  /** `since` is inclusive, `until` exclusive; ordered by (ts, seq, idx). */
  async queryReadings(q: ReadingQuery): Promise<ReadingRecord[]> {
    const dir = q.descending ? 'DESC' : 'ASC';
    const rows = await this.#q<PgReadingRow>(
      'readings',
      `SELECT * FROM readings WHERE device_id = $1 AND ts >= $2 AND ts < $3
       ORDER BY ts ${dir}, seq ${dir}, idx ${dir} LIMIT $4`,
      [
        q.deviceId,
        pgTsBound(q.since, Number.MIN_SAFE_INTEGER),
        pgTsBound(q.until, Number.MAX_SAFE_INTEGER),
        pgLimit(q.limit),
      ],
    );
    return rows.map((r) => pgReading(this.#db.cipher, r));
  }

  /** `since` is inclusive; ordered by (ts, deviceId, seq). */
  async queryMessages(q: {
    deviceId?: string;
    channel?: MessageRecord['channel'];
    since?: number;
    limit?: number;
  }): Promise<MessageRecord[]> {
    const rows = await this.#q<PgMessageRow>(
      'messages',
      `SELECT * FROM messages WHERE ($1::text IS NULL OR device_id = $1) AND ($2::text IS NULL OR channel = $2)
         AND ts >= $3 ORDER BY ts, device_id, seq LIMIT $4`,
      [q.deviceId ?? null, q.channel ?? null, pgTsBound(q.since, Number.MIN_SAFE_INTEGER), pgLimit(q.limit)],
    );
    return rows.map((r) => pgMessage(this.#db.cipher, r));
  }

  readingsAfter(q: { deviceId: string; cursor?: number; limit?: number }) {
    return readingsAfterRows(this.#db, q);
  }

  async countReadings(deviceId?: string): Promise<number> {
    const rows = await this.#q<{ n: number }>(
      'readings',
      'SELECT count(*)::bigint AS n FROM readings WHERE $1::text IS NULL OR device_id = $1',
      [deviceId ?? null],
    );
    return rows[0]?.n ?? 0;
  }

  // --- audit --------------------------------------------------------------------------------

  async appendAudit(entry: AuditInput): Promise<AuditRecord> {
    return this.#run('audit', () => appendAuditRow(this.#db, entry));
  }

  /** `since` is inclusive (on `ts`), `action` an exact match; ordered by id. */
  async queryAudit(q: { since?: number; limit?: number; action?: string }): Promise<AuditRecord[]> {
    const rows = await this.#q<PgAuditRow>(
      'audit',
      `SELECT * FROM audit WHERE ($1::text IS NULL OR action = $1) AND ts >= $2 ORDER BY id LIMIT $3`,
      [q.action ?? null, pgTsBound(q.since, Number.MIN_SAFE_INTEGER), pgLimit(q.limit)],
    );
    return rows.map((r) => pgAudit(this.#db.cipher, r));
  }

  async verifyAudit(): Promise<AuditVerification> {
    return this.#run('audit', () => verifyAuditRows(this.#db));
  }

  async auditHead(): Promise<{ id: number; hash: string } | null> {
    return (
      (
        await this.#q<{ id: number; hash: string }>(
          'audit',
          'SELECT id, hash FROM audit ORDER BY id DESC LIMIT 1',
        )
      )[0] ?? null
    );
  }

  async auditHashAt(id: number): Promise<string | null> {
    return (
      (await this.#q<{ hash: string }>('audit', 'SELECT hash FROM audit WHERE id = $1', [id]))[0]?.hash ??
      null
    );
  }

  async addAuditCheckpoint(cp: AuditCheckpointRecord): Promise<void> {
    await this.#run('audit_checkpoints', () => insertCheckpointRow(this.#db, cp));
  }

  async latestAuditCheckpoint(): Promise<AuditCheckpointRecord | null> {
    const rows = await this.#q<AuditCheckpointRecord>(
      'audit_checkpoints',
      `SELECT seq, at, entries, head_id AS "headId", head_hash AS "headHash", key_fingerprint AS "keyFingerprint", signature
       FROM audit_checkpoints ORDER BY seq DESC LIMIT 1`,
    );
    return rows[0] ?? null;
  }

  // --- counters and meta --------------------------------------------------------------------

  async addCounters(deltas: Record<string, number>): Promise<void> {
    const entries = Object.entries(deltas);
    for (const [name, d] of entries) {
      if (!Number.isSafeInteger(d))
        throw new VigilError('VIGIL_ERR_USAGE', `counter ${name}: delta must be an integer`);
    }
    if (entries.length === 0) return;
    entries.sort((a, b) => (a[0] < b[0] ? -1 : 1));
    await this.#q(
      'counters',
      `INSERT INTO counters (name, count) SELECT * FROM unnest($1::text[], $2::bigint[])
       ON CONFLICT (name) DO UPDATE SET count = counters.count + excluded.count`,
      [entries.map((e) => e[0]), entries.map((e) => e[1])],
    );
  }

  async getCounters(): Promise<Record<string, number>> {
    const rows = await this.#q<{ name: string; count: number }>(
      'counters',
      'SELECT name, count FROM counters ORDER BY name',
    );
    const out: Record<string, number> = {};
    for (const r of rows) out[r.name] = r.count;
    return out;
  }

  async getMeta(key: string): Promise<string | null> {
    return (
      (await this.#q<{ value: string }>('meta', 'SELECT value FROM meta WHERE key = $1', [key]))[0]?.value ??
      null
    );
  }

  async setMeta(key: string, value: string): Promise<void> {
    await this.#q(
      'meta',
      'INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
      [key, value],
    );
  }

  /** Changes whenever any process changed devices, keys or certificates (a trigger-fed sequence). */
  async changeToken(): Promise<number> {
    const rows = await this.#q<{ t: number }>('meta', 'SELECT last_value AS t FROM registry_changes');
    return rows[0]?.t ?? 0;
  }
}
