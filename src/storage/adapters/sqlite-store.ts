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
} from '../store.ts';
import {
  appendAuditRow,
  insertCheckpointRow,
  latestCheckpointRow,
  verifyAuditRows,
} from './sqlite-audit-log.ts';
import {
  clampLimit,
  SqliteDatabase,
  type SqliteDatabaseOptions,
  type SqliteScope,
  sqliteCode,
} from './sqlite-database.ts';
import { deleteDeviceRows } from './sqlite-device-removal.ts';
import { packIngestBatch, readReplayState, writePackedBatch } from './sqlite-ingest-rows.ts';
import { SqliteIngestThread } from './sqlite-ingest-thread.ts';
import { readingsAfterRows } from './sqlite-readings-after.ts';
import {
  type AuditRow,
  type CertRow,
  type DeviceRow,
  type KeyRow,
  type MessageRow,
  type ReadingRow,
  toAudit,
  toCert,
  toDevice,
  toKey,
  toMessage,
  toReading,
} from './sqlite-store-rows.ts';

/**
 * The `Store` port (registry, keys, certificates, ingest, audit, counters, meta) on a
 * {@link SqliteDatabase}. Its `migrate` and `close` act on the whole database file, which the
 * other adapters on the same connection share (src/storage/adapters/sqlite-adapters.ts).
 */
export class SqliteStore implements Store {
  readonly #db: SqliteDatabase;
  readonly #q: SqliteScope;
  #ingest: SqliteIngestThread | undefined;

  constructor(db: SqliteDatabase) {
    this.#db = db;
    this.#q = db.scope('store');
  }

  /** Opens the database and returns its Store adapter (not migrated: call `migrate()`). */
  static open(opts: SqliteDatabaseOptions): SqliteStore {
    return new SqliteStore(SqliteDatabase.open(opts));
  }

  /** The connection this adapter runs on. */
  get database(): SqliteDatabase {
    return this.#db;
  }

  async migrate(): Promise<void> {
    this.#db.migrate();
  }

  async close(): Promise<void> {
    const ingest = this.#ingest;
    this.#ingest = undefined;
    await ingest?.close();
    this.#db.close();
  }

  // --- devices and keys ---------------------------------------------------------------------

  async addDevice(device: DeviceRecord, key: DeviceKeyRecord): Promise<void> {
    if (key.deviceId !== device.id) throw new VigilError('VIGIL_ERR_USAGE', 'key belongs to another device');
    this.#q.write(() => {
      try {
        this.#q
          .stmt(
            `INSERT INTO devices (id, profile, status, alg, current_kid, created_at, updated_at,
             cert_serial, cert_not_after, last_seen_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
          )
          .run(
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
          );
      } catch (err) {
        if (sqliteCode(err) === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
          throw new VigilError('VIGIL_ERR_DEVICE_EXISTS', device.id);
        }
        throw err;
      }
      this.#insertKey(key);
    });
  }

  #insertKey(key: DeviceKeyRecord): void {
    try {
      this.#q
        .stmt(
          'INSERT INTO device_keys (device_id, kid, secret_enc, created_at, status) VALUES (?, ?, ?, ?, ?)',
        )
        .run(key.deviceId, key.kid, key.secretEnc, key.createdAt, key.status);
    } catch (err) {
      const code = sqliteCode(err);
      if (code === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
        throw new VigilError('VIGIL_ERR_KEY_EXISTS', `${key.deviceId} kid ${key.kid}`);
      }
      if (code === 'SQLITE_CONSTRAINT_FOREIGNKEY') throw new VigilError('VIGIL_ERR_NOT_FOUND', key.deviceId);
      throw err;
    }
  }

  async getDevice(id: string): Promise<DeviceRecord | null> {
    const row = this.#q.one<DeviceRow>('SELECT * FROM devices WHERE id = ?', id);
    return row ? toDevice(row) : null;
  }

  async listDevices(): Promise<DeviceRecord[]> {
    const rows = this.#q.all<DeviceRow>('SELECT * FROM devices ORDER BY id');
    return rows.map(toDevice);
  }

  async setDeviceStatus(id: string, status: DeviceStatus, at: number): Promise<void> {
    const r = this.#q.read(() =>
      this.#q.stmt('UPDATE devices SET status = ?, updated_at = ? WHERE id = ?').run(status, at, id),
    );
    if (r.changes === 0) throw new VigilError('VIGIL_ERR_NOT_FOUND', id);
  }

  async deleteDevice(id: string): Promise<void> {
    deleteDeviceRows(this.#q, id);
  }

  async setDeviceCert(id: string, serial: string, notAfter: number, at: number): Promise<void> {
    const r = this.#q.read(() =>
      this.#q
        .stmt('UPDATE devices SET cert_serial = ?, cert_not_after = ?, updated_at = ? WHERE id = ?')
        .run(serial, notAfter, at, id),
    );
    if (r.changes === 0) throw new VigilError('VIGIL_ERR_NOT_FOUND', id);
  }

  async setDeviceCurrentKid(id: string, kid: number, at: number): Promise<void> {
    this.#q.write(() => {
      const key = this.#q
        .stmt('SELECT status FROM device_keys WHERE device_id = ? AND kid = ?')
        .get(id, kid) as { status: string } | undefined;
      if (!key) throw new VigilError('VIGIL_ERR_NOT_FOUND', `${id} kid ${kid}`);
      if (key.status !== 'active') throw new VigilError('VIGIL_ERR_USAGE', `${id} kid ${kid} is retired`);
      this.#q.stmt('UPDATE devices SET current_kid = ?, updated_at = ? WHERE id = ?').run(kid, at, id);
    });
  }

  async addDeviceKey(key: DeviceKeyRecord): Promise<void> {
    this.#q.write(() => this.#insertKey(key));
  }

  async setDeviceKeyStatus(deviceId: string, kid: number, status: DeviceKeyRecord['status']): Promise<void> {
    const r = this.#q.read(() =>
      this.#q
        .stmt('UPDATE device_keys SET status = ? WHERE device_id = ? AND kid = ?')
        .run(status, deviceId, kid),
    );
    if (r.changes === 0) throw new VigilError('VIGIL_ERR_NOT_FOUND', `${deviceId} kid ${kid}`);
  }

  async getDeviceKey(deviceId: string, kid: number): Promise<DeviceKeyRecord | null> {
    const row = this.#q.read(
      () =>
        this.#q.stmt('SELECT * FROM device_keys WHERE device_id = ? AND kid = ?').get(deviceId, kid) as
          | KeyRow
          | undefined,
    );
    return row ? toKey(row) : null;
  }

  async listDeviceKeys(deviceId: string): Promise<DeviceKeyRecord[]> {
    const rows = this.#q.all<KeyRow>('SELECT * FROM device_keys WHERE device_id = ? ORDER BY kid', deviceId);
    return rows.map(toKey);
  }

  // --- certificates -------------------------------------------------------------------------

  async addCertificate(cert: CertificateRecord): Promise<void> {
    this.#q.read(() => {
      try {
        this.#q
          .stmt(
            `INSERT INTO certificates (serial, subject, kind, not_before, not_after, pem, revoked_at,
             revocation_reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
          )
          .run(
            cert.serial,
            cert.subject,
            cert.kind,
            cert.notBefore,
            cert.notAfter,
            cert.pem,
            cert.revokedAt,
            cert.revocationReason,
          );
      } catch (err) {
        if (sqliteCode(err) === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
          throw new VigilError('VIGIL_ERR_CERT_EXISTS', cert.serial);
        }
        throw err;
      }
    });
  }

  async getCertificate(serial: string): Promise<CertificateRecord | null> {
    const row = this.#q.one<CertRow>('SELECT * FROM certificates WHERE serial = ?', serial);
    return row ? toCert(row) : null;
  }

  async listCertificates(filter?: {
    subject?: string;
    kind?: CertificateRecord['kind'];
  }): Promise<CertificateRecord[]> {
    const rows = this.#q.read(
      () =>
        this.#q.select(
          'certificates',
          [
            ['subject = ?', filter?.subject],
            ['kind = ?', filter?.kind],
          ],
          'ORDER BY not_before, serial',
        ) as CertRow[],
    );
    return rows.map(toCert);
  }

  /** Idempotent: revoking a revoked certificate keeps the first revocation time and reason. */
  async revokeCertificate(serial: string, at: number, reason: string): Promise<void> {
    this.#q.write(() => {
      const r = this.#q
        .stmt(
          'UPDATE certificates SET revoked_at = ?, revocation_reason = ? WHERE serial = ? AND revoked_at IS NULL',
        )
        .run(at, reason, serial);
      if (r.changes === 0 && !this.#q.stmt('SELECT 1 FROM certificates WHERE serial = ?').get(serial)) {
        throw new VigilError('VIGIL_ERR_NOT_FOUND', serial);
      }
    });
  }

  async listRevoked(): Promise<CertificateRecord[]> {
    const rows = this.#q.all<CertRow>(
      'SELECT * FROM certificates WHERE revoked_at IS NOT NULL ORDER BY revoked_at, serial',
    );
    return rows.map(toCert);
  }

  // --- ingest -------------------------------------------------------------------------------

  async writeBatch(batch: IngestBatch): Promise<{ readingsInserted: number; messagesInserted: number }> {
    if (this.#ingest) return this.#ingest.writeBatch(batch);
    return writePackedBatch(this.#q, packIngestBatch(batch));
  }

  async getReplayState(deviceId: string): Promise<ReplayStateRecord | null> {
    if (this.#ingest) return this.#ingest.getReplayState(deviceId);
    return readReplayState(this.#q, deviceId);
  }

  /**
   * From now on, ingest transactions (and the replay-state reads the pipeline makes) run on a
   * worker thread with a connection of its own (sqlite-ingest-thread.ts). Idempotent.
   */
  async startIngestThread(
    opts: Pick<SqliteDatabaseOptions, 'path' | 'key' | 'auditKey' | 'synchronous'>,
  ): Promise<void> {
    this.#ingest ??= await SqliteIngestThread.start({
      path: opts.path,
      key: opts.key,
      auditKey: opts.auditKey,
      synchronous: opts.synchronous ?? 'FULL',
    });
  }

  /** `since` is inclusive, `until` exclusive; ordered by (ts, seq, idx). */
  async queryReadings(q: ReadingQuery): Promise<ReadingRecord[]> {
    const dir = q.descending ? 'DESC' : 'ASC';
    const rows = this.#q.read(
      () =>
        this.#q
          .stmt(
            `SELECT * FROM readings WHERE device_id = ? AND ts >= ? AND ts < ?
           ORDER BY ts ${dir}, seq ${dir}, idx ${dir} LIMIT ?`,
          )
          .all(
            q.deviceId,
            q.since ?? Number.MIN_SAFE_INTEGER,
            q.until ?? Number.MAX_SAFE_INTEGER,
            clampLimit(q.limit),
          ) as ReadingRow[],
    );
    return rows.map(toReading);
  }

  /** `since` is inclusive; ordered by (ts, deviceId, seq). */
  async queryMessages(q: {
    deviceId?: string;
    channel?: MessageRecord['channel'];
    since?: number;
    limit?: number;
  }): Promise<MessageRecord[]> {
    const rows = this.#q.read(
      () =>
        this.#q.select(
          'messages',
          [
            ['device_id = ?', q.deviceId],
            ['channel = ?', q.channel],
            ['ts >= ?', q.since],
          ],
          'ORDER BY ts, device_id, seq LIMIT ?',
          clampLimit(q.limit),
        ) as MessageRow[],
    );
    return rows.map(toMessage);
  }

  async countReadings(deviceId?: string): Promise<number> {
    return this.#q.read(() =>
      deviceId === undefined
        ? (this.#q.stmt('SELECT count(*) FROM readings').pluck().get() as number)
        : (this.#q.stmt('SELECT count(*) FROM readings WHERE device_id = ?').pluck().get(deviceId) as number),
    );
  }

  async readingsAfter(q: { deviceId: string; cursor?: number; limit?: number }) {
    return readingsAfterRows(this.#q, q);
  }

  // --- audit --------------------------------------------------------------------------------

  async appendAudit(entry: AuditInput): Promise<AuditRecord> {
    return this.#q.write(() => appendAuditRow(this.#q.stmt, this.#db.auditKey, entry));
  }

  /** `since` is inclusive (on `ts`), `action` an exact match; ordered by id. */
  async queryAudit(q: { since?: number; limit?: number; action?: string }): Promise<AuditRecord[]> {
    const rows = this.#q.read(
      () =>
        this.#q.select(
          'audit',
          [
            ['action = ?', q.action],
            ['ts >= ?', q.since],
          ],
          'ORDER BY id LIMIT ?',
          clampLimit(q.limit),
        ) as AuditRow[],
    );
    return rows.map(toAudit);
  }

  async verifyAudit(): Promise<AuditVerification> {
    // One read transaction = one snapshot; rows are paged, so memory stays flat on a long log.
    return this.#q.read(() =>
      this.#db.readTransaction(() => verifyAuditRows(this.#q.stmt, this.#db.auditKey)),
    );
  }

  async auditHead(): Promise<{ id: number; hash: string } | null> {
    return (
      this.#q.one<{ id: number; hash: string }>('SELECT id, hash FROM audit ORDER BY id DESC LIMIT 1') ?? null
    );
  }

  async auditHashAt(id: number): Promise<string | null> {
    return this.#q.one<{ hash: string }>('SELECT hash FROM audit WHERE id = ?', id)?.hash ?? null;
  }

  async addAuditCheckpoint(cp: AuditCheckpointRecord): Promise<void> {
    this.#q.write(() => insertCheckpointRow(this.#q.stmt, cp));
  }

  async latestAuditCheckpoint(): Promise<AuditCheckpointRecord | null> {
    return this.#q.read(() => latestCheckpointRow(this.#q.stmt));
  }

  // --- counters and meta --------------------------------------------------------------------

  async addCounters(deltas: Record<string, number>): Promise<void> {
    const entries = Object.entries(deltas);
    for (const [name, d] of entries) {
      if (!Number.isSafeInteger(d))
        throw new VigilError('VIGIL_ERR_USAGE', `counter ${name}: delta must be an integer`);
    }
    if (entries.length === 0) return;
    this.#q.write(() => {
      const up = this.#q.stmt(
        'INSERT INTO counters (name, count) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET count = count + excluded.count',
      );
      for (const [name, d] of entries) up.run(name, d);
    });
  }

  async getCounters(): Promise<Record<string, number>> {
    const rows = this.#q.read(
      () =>
        this.#q.stmt('SELECT name, count FROM counters ORDER BY name').all() as {
          name: string;
          count: number;
        }[],
    );
    const out: Record<string, number> = {};
    for (const r of rows) out[r.name] = r.count;
    return out;
  }

  async getMeta(key: string): Promise<string | null> {
    return this.#q.read(
      () =>
        (this.#q.stmt('SELECT value FROM meta WHERE key = ?').pluck().get(key) as string | undefined) ?? null,
    );
  }

  async setMeta(key: string, value: string): Promise<void> {
    this.#q.read(() =>
      this.#q
        .stmt(
          'INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
        )
        .run(key, value),
    );
  }

  /**
   * The registry's change counter (migration 11): triggers count every change to devices, keys
   * and certificates, whoever makes it. Not `PRAGMA data_version`, which every ingest commit of
   * the ingest thread's own connection would change.
   */
  async changeToken(): Promise<number> {
    return this.#q.one<{ seq: number }>('SELECT seq FROM registry_changes WHERE id = 1')?.seq ?? 0;
  }
}
