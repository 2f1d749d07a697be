import { closeSync, existsSync, openSync } from 'node:fs';
import Database from 'better-sqlite3-multiple-ciphers';
import type {
  AccountStore,
  ApiTokenRecord,
  FailureKind,
  SessionRecord,
  UserPatch,
  UserRecord,
} from '../../auth/account-store.ts';
import { VigilError } from '../../errors.ts';
import { auditHash, canonicalJSON, GENESIS_HASH, verifyAuditChain } from '../audit-chain.ts';
import type {
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
  type ApiTokenRow,
  type SessionRow,
  toApiToken,
  toSession,
  toUser,
  type UserRow,
  userPatchSql,
} from './sqlite-account-rows.ts';
import { SqliteAlarmStore } from './sqlite-alarm-store.ts';
import { SQLITE_MIGRATIONS, type SqliteMigration } from './sqlite-migrations.ts';
import { SqliteShipmentStore } from './sqlite-shipment-store.ts';

type Db = Database.Database;

/** Options for {@link SqliteStore.open}. */
export interface SqliteStoreOptions {
  /** Database file. Created (mode 0600) when missing unless `readonly`. */
  path: string;
  /** 32 raw bytes (from `MasterKey.databaseKey()`), used directly as the SQLCipher key. */
  key: Buffer;
  /** Open read-only (no migrations, no journal-mode change). Default false. */
  readonly?: boolean;
  /** FULL (default): a committed batch survives power loss. NORMAL: survives a process crash only. */
  synchronous?: 'FULL' | 'NORMAL';
  /** Override the shipped migrations (tests). */
  migrations?: readonly SqliteMigration[];
}

/** Default and maximum page sizes of the query methods. */
export const DEFAULT_QUERY_LIMIT = 1000;
export const MAX_QUERY_LIMIT = 100_000;

/** Lets a second `vigil` process (the CLI) wait for the server's write lock instead of failing. */
const BUSY_TIMEOUT_MS = 5000;

interface DeviceRow {
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
interface KeyRow {
  device_id: string;
  kid: number;
  secret_enc: Buffer;
  created_at: number;
  status: DeviceKeyRecord['status'];
}
interface CertRow {
  serial: string;
  subject: string;
  kind: CertificateRecord['kind'];
  not_before: number;
  not_after: number;
  pem: string;
  revoked_at: number | null;
  revocation_reason: string | null;
}
interface ReadingRow {
  device_id: string;
  seq: number;
  idx: number;
  ts: number;
  received_at: number;
  backfill: number;
  data: string;
}
interface MessageRow {
  device_id: string;
  seq: number;
  channel: MessageRecord['channel'];
  ts: number;
  received_at: number;
  body: string;
}
interface ReplayRow {
  device_id: string;
  highest: number;
  bitmap: Buffer;
  nonces: Buffer;
  updated_at: number;
}
interface AuditRow {
  id: number;
  ts: number;
  actor: string;
  action: string;
  object: string | null;
  detail: string;
  prev_hash: string;
  hash: string;
}

const toDevice = (r: DeviceRow): DeviceRecord => ({
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
const toKey = (r: KeyRow): DeviceKeyRecord => ({
  deviceId: r.device_id,
  kid: r.kid,
  secretEnc: r.secret_enc,
  createdAt: r.created_at,
  status: r.status,
});
const toCert = (r: CertRow): CertificateRecord => ({
  serial: r.serial,
  subject: r.subject,
  kind: r.kind,
  notBefore: r.not_before,
  notAfter: r.not_after,
  pem: r.pem,
  revokedAt: r.revoked_at,
  revocationReason: r.revocation_reason,
});
const toReading = (r: ReadingRow): ReadingRecord => ({
  deviceId: r.device_id,
  seq: r.seq,
  idx: r.idx,
  ts: r.ts,
  receivedAt: r.received_at,
  backfill: r.backfill === 1,
  data: JSON.parse(r.data) as Record<string, unknown>,
});
const toMessage = (r: MessageRow): MessageRecord => ({
  deviceId: r.device_id,
  seq: r.seq,
  channel: r.channel,
  ts: r.ts,
  receivedAt: r.received_at,
  body: JSON.parse(r.body) as Record<string, unknown>,
});
const toReplay = (r: ReplayRow): ReplayStateRecord => ({
  deviceId: r.device_id,
  highest: r.highest,
  bitmap: r.bitmap,
  nonces: r.nonces,
  updatedAt: r.updated_at,
});
const toAudit = (r: AuditRow): AuditRecord => ({
  id: r.id,
  ts: r.ts,
  actor: r.actor,
  action: r.action,
  object: r.object,
  detail: JSON.parse(r.detail) as Record<string, unknown>,
  prevHash: r.prev_hash,
  hash: r.hash,
});

function sqliteCode(err: unknown): string | undefined {
  return err instanceof Database.SqliteError ? err.code : undefined;
}

/** Maps driver failures to VIGIL_ERR_STORE (code only: SQLite messages name columns, not values). */
function storeError(err: unknown): VigilError {
  if (err instanceof VigilError) return err;
  const code = sqliteCode(err) ?? 'unknown';
  const msg = err instanceof Error ? err.message : String(err);
  return new VigilError('VIGIL_ERR_STORE', `${code}: ${msg}`, { cause: err });
}

function clampLimit(limit: number | undefined): number {
  if (limit === undefined) return DEFAULT_QUERY_LIMIT;
  if (!Number.isFinite(limit)) return MAX_QUERY_LIMIT;
  return Math.min(Math.max(Math.trunc(limit), 0), MAX_QUERY_LIMIT);
}

/**
 * The default storage adapter: one SQLite file encrypted with SQLCipher v4 (via SQLite3
 * Multiple Ciphers), WAL journal, and prepared statements. Every method runs synchronously on
 * the calling thread and resolves immediately; writes of several rows run in one IMMEDIATE
 * transaction so that a concurrent `vigil` process waits (busy_timeout) instead of deadlocking.
 */
export class SqliteStore implements Store, AccountStore {
  readonly #db: Db;
  readonly #migrations: readonly SqliteMigration[];
  readonly #stmts = new Map<string, Database.Statement>();
  #alarms: SqliteAlarmStore | undefined;
  #shipments: SqliteShipmentStore | undefined;

  private constructor(db: Db, migrations: readonly SqliteMigration[]) {
    this.#db = db;
    this.#migrations = migrations;
  }

  /**
   * Opens (or creates) the encrypted database and verifies the key. Does not migrate: call
   * `migrate()` before using a fresh file. Throws VIGIL_ERR_MASTER_KEY when the key does not
   * decrypt the file (or the file is not a database), VIGIL_ERR_STORE when it cannot be opened.
   */
  static open(opts: SqliteStoreOptions): SqliteStore {
    if (!Buffer.isBuffer(opts.key) || opts.key.length !== 32) {
      throw new VigilError('VIGIL_ERR_MASTER_KEY', 'database key must be 32 bytes');
    }
    const readonly = opts.readonly ?? false;
    const synchronous = opts.synchronous ?? 'FULL';
    if (synchronous !== 'FULL' && synchronous !== 'NORMAL') {
      throw new VigilError('VIGIL_ERR_CONFIG', 'synchronous must be FULL or NORMAL');
    }
    // SQLite gives the -wal and -shm files the database file's mode, so creating it 0600 here
    // keeps all three private (the content is encrypted anyway; this hides sizes and timing).
    if (!readonly && opts.path !== ':memory:' && !existsSync(opts.path)) {
      try {
        closeSync(openSync(opts.path, 'a', 0o600));
      } catch (cause) {
        throw new VigilError('VIGIL_ERR_STORE', 'cannot create the database file', { cause });
      }
    }
    let db: Db;
    try {
      db = new Database(opts.path, { readonly, fileMustExist: readonly, timeout: BUSY_TIMEOUT_MS });
    } catch (err) {
      throw storeError(err);
    }
    try {
      // The cipher and key must be set before the first page is read. SQLCipher 4 format
      // (sqlite3mc `legacy=4`), raw 256-bit key as a blob literal: no passphrase KDF runs.
      db.pragma(`cipher='sqlcipher'`);
      db.pragma('legacy=4');
      db.pragma(`key="x'${opts.key.toString('hex')}'"`);
      try {
        db.prepare('SELECT count(*) FROM sqlite_master').get();
      } catch (cause) {
        // A wrong key (or a plaintext or foreign file) decrypts page 1 to garbage: SQLITE_NOTADB.
        // Anything else (SQLITE_BUSY, I/O) is a storage problem, not a key problem.
        if (sqliteCode(cause) !== 'SQLITE_NOTADB') throw cause;
        throw new VigilError('VIGIL_ERR_MASTER_KEY', 'database cannot be opened with this master key', {
          cause,
        });
      }
      db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
      if (!readonly) db.pragma('journal_mode = WAL');
      db.pragma(`synchronous = ${synchronous}`);
      db.pragma('foreign_keys = ON');
      // Sorts and temp indexes stay in memory: SQLCipher does not encrypt temp files.
      db.pragma('temp_store = MEMORY');
      db.pragma('cache_size = -16384');
      // Checkpoint every 8192 pages (32 MiB of WAL) instead of 1000: the index leaves a batch
      // touches are rewritten by the next batches too, so a longer interval copies each hot page
      // into the database once instead of many times (measured: +20-30% ingest throughput, the
      // checkpoint stall stays under ~60 ms). The WAL left after a checkpoint is cut to 64 MiB.
      db.pragma('wal_autocheckpoint = 8192');
      db.pragma('journal_size_limit = 67108864');
    } catch (err) {
      db.close();
      throw storeError(err);
    }
    return new SqliteStore(db, opts.migrations ?? SQLITE_MIGRATIONS);
  }

  #stmt(sql: string): Database.Statement {
    let s = this.#stmts.get(sql);
    if (!s) {
      s = this.#db.prepare(sql);
      this.#stmts.set(sql, s);
    }
    return s;
  }

  /** Runs fn in an IMMEDIATE transaction (takes the write lock up front, waits busy_timeout). */
  #write<T>(fn: () => T): T {
    try {
      return this.#db.transaction(fn).immediate();
    } catch (err) {
      throw storeError(err);
    }
  }

  /**
   * `SELECT *` with only the filters that are set, so each shape gets its own plan (an
   * `(? IS NULL OR col = ?)` filter would keep SQLite from using the index). Shapes are few and
   * fixed, so the statement cache stays small.
   */
  #select(
    table: string,
    filters: [string, string | number | undefined][],
    tail: string,
    ...tailArgs: number[]
  ) {
    const set = filters.filter((f): f is [string, string | number] => f[1] !== undefined);
    const where = set.length ? ` WHERE ${set.map((f) => f[0]).join(' AND ')}` : '';
    return this.#stmt(`SELECT * FROM ${table}${where} ${tail}`).all(...set.map((f) => f[1]), ...tailArgs);
  }

  /** Runs one statement (autocommit) or a read, mapping driver errors to VigilError. */
  #guard<T>(fn: () => T): T {
    try {
      return fn();
    } catch (err) {
      throw storeError(err);
    }
  }

  /** The connection settings in force, for `vigil doctor` and tests. */
  settings(): {
    journalMode: string;
    synchronous: 'OFF' | 'NORMAL' | 'FULL' | 'EXTRA';
    foreignKeys: boolean;
    busyTimeoutMs: number;
    cipher: string;
  } {
    return this.#guard(() => {
      const p = (name: string): unknown => this.#db.pragma(name, { simple: true });
      const sync = (['OFF', 'NORMAL', 'FULL', 'EXTRA'] as const)[Number(p('synchronous'))] ?? 'OFF';
      return {
        journalMode: String(p('journal_mode')),
        synchronous: sync,
        foreignKeys: p('foreign_keys') === 1,
        busyTimeoutMs: Number(p('busy_timeout')),
        cipher: String(p('cipher')),
      };
    });
  }

  /** The alarms table (src/alarms/alarm-store.ts port) on this connection. */
  alarms(): SqliteAlarmStore {
    this.#alarms ??= new SqliteAlarmStore(this.#db);
    return this.#alarms;
  }

  /** The shipments tables (src/shipments/shipment-store.ts port) on this connection. */
  shipments(): SqliteShipmentStore {
    this.#shipments ??= new SqliteShipmentStore(this.#db);
    return this.#shipments;
  }

  /** Highest applied schema version, 0 for a fresh file. */
  schemaVersion(): number {
    return this.#guard(() => {
      const exists = this.#db
        .prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'`)
        .get();
      if (!exists) return 0;
      const row = this.#db.prepare('SELECT max(version) AS v FROM schema_migrations').get() as {
        v: number | null;
      };
      return row.v ?? 0;
    });
  }

  async migrate(): Promise<void> {
    const known = Math.max(0, ...this.#migrations.map((m) => m.version));
    if (this.#db.readonly) {
      // A read-only connection cannot migrate; it can still confirm there is nothing to do.
      const current = this.schemaVersion();
      if (current > known) {
        throw new VigilError(
          'VIGIL_ERR_SCHEMA_VERSION',
          `database at version ${current}, this build knows ${known}`,
        );
      }
      if (current < known) throw new VigilError('VIGIL_ERR_STORE', 'read-only database needs migrating');
      return;
    }
    this.#write(() => {
      this.#db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
        version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL) STRICT`);
      const applied = new Set(
        (this.#db.prepare('SELECT version FROM schema_migrations').pluck().all() as number[]).map(Number),
      );
      const newest = Math.max(0, ...applied);
      if (newest > known) {
        throw new VigilError(
          'VIGIL_ERR_SCHEMA_VERSION',
          `database at version ${newest}, this build knows ${known}`,
        );
      }
      const record = this.#db.prepare(
        'INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)',
      );
      for (const m of [...this.#migrations].sort((a, b) => a.version - b.version)) {
        if (applied.has(m.version)) continue;
        this.#db.exec(m.sql);
        record.run(m.version, m.name, Date.now());
      }
    });
  }

  async close(): Promise<void> {
    if (!this.#db.open) return;
    try {
      // Refresh planner statistics where useful (cheap; SQLite docs recommend it before close).
      if (!this.#db.readonly) this.#db.pragma('optimize');
    } catch {
      // best effort: a busy or read-only database must still close
    }
    this.#stmts.clear();
    this.#db.close();
  }

  // --- devices and keys ---------------------------------------------------------------------

  async addDevice(device: DeviceRecord, key: DeviceKeyRecord): Promise<void> {
    if (key.deviceId !== device.id) throw new VigilError('VIGIL_ERR_USAGE', 'key belongs to another device');
    this.#write(() => {
      try {
        this.#stmt(
          `INSERT INTO devices (id, profile, status, alg, current_kid, created_at, updated_at,
             cert_serial, cert_not_after, last_seen_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        ).run(
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
      this.#stmt(
        'INSERT INTO device_keys (device_id, kid, secret_enc, created_at, status) VALUES (?, ?, ?, ?, ?)',
      ).run(key.deviceId, key.kid, key.secretEnc, key.createdAt, key.status);
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
    const row = this.#guard(
      () => this.#stmt('SELECT * FROM devices WHERE id = ?').get(id) as DeviceRow | undefined,
    );
    return row ? toDevice(row) : null;
  }

  async listDevices(): Promise<DeviceRecord[]> {
    const rows = this.#guard(() => this.#stmt('SELECT * FROM devices ORDER BY id').all() as DeviceRow[]);
    return rows.map(toDevice);
  }

  async setDeviceStatus(id: string, status: DeviceStatus, at: number): Promise<void> {
    const r = this.#guard(() =>
      this.#stmt('UPDATE devices SET status = ?, updated_at = ? WHERE id = ?').run(status, at, id),
    );
    if (r.changes === 0) throw new VigilError('VIGIL_ERR_NOT_FOUND', id);
  }

  async setDeviceCert(id: string, serial: string, notAfter: number, at: number): Promise<void> {
    const r = this.#guard(() =>
      this.#stmt('UPDATE devices SET cert_serial = ?, cert_not_after = ?, updated_at = ? WHERE id = ?').run(
        serial,
        notAfter,
        at,
        id,
      ),
    );
    if (r.changes === 0) throw new VigilError('VIGIL_ERR_NOT_FOUND', id);
  }

  async setDeviceCurrentKid(id: string, kid: number, at: number): Promise<void> {
    this.#write(() => {
      const key = this.#stmt('SELECT status FROM device_keys WHERE device_id = ? AND kid = ?').get(id, kid) as
        | { status: string }
        | undefined;
      if (!key) throw new VigilError('VIGIL_ERR_NOT_FOUND', `${id} kid ${kid}`);
      if (key.status !== 'active') throw new VigilError('VIGIL_ERR_USAGE', `${id} kid ${kid} is retired`);
      this.#stmt('UPDATE devices SET current_kid = ?, updated_at = ? WHERE id = ?').run(kid, at, id);
    });
  }

  async addDeviceKey(key: DeviceKeyRecord): Promise<void> {
    this.#write(() => this.#insertKey(key));
  }

  async setDeviceKeyStatus(deviceId: string, kid: number, status: DeviceKeyRecord['status']): Promise<void> {
    const r = this.#guard(() =>
      this.#stmt('UPDATE device_keys SET status = ? WHERE device_id = ? AND kid = ?').run(
        status,
        deviceId,
        kid,
      ),
    );
    if (r.changes === 0) throw new VigilError('VIGIL_ERR_NOT_FOUND', `${deviceId} kid ${kid}`);
  }

  async getDeviceKey(deviceId: string, kid: number): Promise<DeviceKeyRecord | null> {
    const row = this.#guard(
      () =>
        this.#stmt('SELECT * FROM device_keys WHERE device_id = ? AND kid = ?').get(deviceId, kid) as
          | KeyRow
          | undefined,
    );
    return row ? toKey(row) : null;
  }

  async listDeviceKeys(deviceId: string): Promise<DeviceKeyRecord[]> {
    const rows = this.#guard(
      () =>
        this.#stmt('SELECT * FROM device_keys WHERE device_id = ? ORDER BY kid').all(deviceId) as KeyRow[],
    );
    return rows.map(toKey);
  }

  // --- certificates -------------------------------------------------------------------------

  async addCertificate(cert: CertificateRecord): Promise<void> {
    this.#guard(() => {
      try {
        this.#stmt(
          `INSERT INTO certificates (serial, subject, kind, not_before, not_after, pem, revoked_at,
             revocation_reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
        ).run(
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
    const row = this.#guard(
      () => this.#stmt('SELECT * FROM certificates WHERE serial = ?').get(serial) as CertRow | undefined,
    );
    return row ? toCert(row) : null;
  }

  async listCertificates(filter?: {
    subject?: string;
    kind?: CertificateRecord['kind'];
  }): Promise<CertificateRecord[]> {
    const rows = this.#guard(
      () =>
        this.#select(
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
    this.#write(() => {
      const r = this.#stmt(
        'UPDATE certificates SET revoked_at = ?, revocation_reason = ? WHERE serial = ? AND revoked_at IS NULL',
      ).run(at, reason, serial);
      if (r.changes === 0 && !this.#stmt('SELECT 1 FROM certificates WHERE serial = ?').get(serial)) {
        throw new VigilError('VIGIL_ERR_NOT_FOUND', serial);
      }
    });
  }

  async listRevoked(): Promise<CertificateRecord[]> {
    const rows = this.#guard(
      () =>
        this.#stmt(
          'SELECT * FROM certificates WHERE revoked_at IS NOT NULL ORDER BY revoked_at, serial',
        ).all() as CertRow[],
    );
    return rows.map(toCert);
  }

  // --- ingest -------------------------------------------------------------------------------

  async writeBatch(batch: IngestBatch): Promise<{ readingsInserted: number; messagesInserted: number }> {
    return this.#write(() => {
      // ON CONFLICT DO NOTHING rather than INSERT OR IGNORE: both skip a duplicate key, but OR
      // IGNORE would also silently drop a row that breaks a NOT NULL or CHECK constraint.
      const insReading = this.#stmt(
        `INSERT INTO readings (device_id, seq, idx, ts, received_at, backfill, data)
         VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (device_id, seq, idx) DO NOTHING`,
      );
      const insMessage = this.#stmt(
        `INSERT INTO messages (device_id, seq, channel, ts, received_at, body) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (device_id, seq) DO NOTHING`,
      );
      const upsertReplay = this.#stmt(
        `INSERT INTO replay_state (device_id, highest, bitmap, nonces, updated_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (device_id) DO UPDATE SET highest = excluded.highest, bitmap = excluded.bitmap,
           nonces = excluded.nonces, updated_at = excluded.updated_at`,
      );
      // max(): a batch carrying an older time (a late flush) never moves last_seen_at backwards.
      const seen = this.#stmt(
        'UPDATE devices SET last_seen_at = max(coalesce(last_seen_at, ?), ?) WHERE id = ?',
      );
      let readingsInserted = 0;
      let messagesInserted = 0;
      for (const r of batch.readings) {
        readingsInserted += insReading.run(
          r.deviceId,
          r.seq,
          r.idx,
          r.ts,
          r.receivedAt,
          r.backfill ? 1 : 0,
          JSON.stringify(r.data),
        ).changes;
      }
      for (const m of batch.messages) {
        messagesInserted += insMessage.run(
          m.deviceId,
          m.seq,
          m.channel,
          m.ts,
          m.receivedAt,
          JSON.stringify(m.body),
        ).changes;
      }
      for (const s of batch.replayStates) {
        upsertReplay.run(s.deviceId, s.highest, s.bitmap, s.nonces, s.updatedAt);
      }
      for (const l of batch.lastSeen) seen.run(l.at, l.at, l.deviceId);
      return { readingsInserted, messagesInserted };
    });
  }

  async getReplayState(deviceId: string): Promise<ReplayStateRecord | null> {
    const row = this.#guard(
      () =>
        this.#stmt('SELECT * FROM replay_state WHERE device_id = ?').get(deviceId) as ReplayRow | undefined,
    );
    return row ? toReplay(row) : null;
  }

  /** `since` is inclusive, `until` exclusive; ordered by (ts, seq, idx). */
  async queryReadings(q: ReadingQuery): Promise<ReadingRecord[]> {
    const dir = q.descending ? 'DESC' : 'ASC';
    const rows = this.#guard(
      () =>
        this.#stmt(
          `SELECT * FROM readings WHERE device_id = ? AND ts >= ? AND ts < ?
           ORDER BY ts ${dir}, seq ${dir}, idx ${dir} LIMIT ?`,
        ).all(
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
    const rows = this.#guard(
      () =>
        this.#select(
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
    return this.#guard(() =>
      deviceId === undefined
        ? (this.#stmt('SELECT count(*) FROM readings').pluck().get() as number)
        : (this.#stmt('SELECT count(*) FROM readings WHERE device_id = ?').pluck().get(deviceId) as number),
    );
  }

  // --- audit --------------------------------------------------------------------------------

  async appendAudit(entry: AuditInput): Promise<AuditRecord> {
    if (entry.detail === null || typeof entry.detail !== 'object' || Array.isArray(entry.detail)) {
      throw new VigilError('VIGIL_ERR_USAGE', 'audit detail must be an object');
    }
    // Normalise once so the stored text, the hash input and the returned record agree.
    const detail = JSON.parse(canonicalJSON(entry.detail)) as Record<string, unknown>;
    return this.#write(() => {
      const head = this.#stmt('SELECT id, hash FROM audit ORDER BY id DESC LIMIT 1').get() as
        | { id: number; hash: string }
        | undefined;
      const id = (head?.id ?? 0) + 1;
      const prevHash = head?.hash ?? GENESIS_HASH;
      const rec: AuditRecord = {
        id,
        ts: entry.ts,
        actor: entry.actor,
        action: entry.action,
        object: entry.object,
        detail,
        prevHash,
        hash: '',
      };
      rec.hash = auditHash(prevHash, rec);
      this.#stmt(
        `INSERT INTO audit (id, ts, actor, action, object, detail, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      ).run(id, rec.ts, rec.actor, rec.action, rec.object, canonicalJSON(detail), prevHash, rec.hash);
      return rec;
    });
  }

  /** `since` is inclusive (on `ts`), `action` an exact match; ordered by id. */
  async queryAudit(q: { since?: number; limit?: number; action?: string }): Promise<AuditRecord[]> {
    const rows = this.#guard(
      () =>
        this.#select(
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

  async verifyAudit(): Promise<{ ok: boolean; entries: number; firstBroken: number | null }> {
    // One statement = one read snapshot; rows are streamed, so memory stays flat on a long log.
    return this.#guard(() => {
      const rows = this.#db
        .prepare('SELECT * FROM audit ORDER BY id')
        .iterate() as IterableIterator<AuditRow>;
      function* records(): Generator<AuditRecord> {
        for (const r of rows) {
          let rec: AuditRecord;
          try {
            rec = toAudit(r);
          } catch {
            // detail is not JSON any more: the row was edited, so its hash cannot match
            rec = { ...toAudit({ ...r, detail: '{}' }), hash: '' };
          }
          yield rec;
        }
      }
      return verifyAuditChain(records());
    });
  }

  // --- counters and meta --------------------------------------------------------------------

  async addCounters(deltas: Record<string, number>): Promise<void> {
    const entries = Object.entries(deltas);
    for (const [name, d] of entries) {
      if (!Number.isSafeInteger(d))
        throw new VigilError('VIGIL_ERR_USAGE', `counter ${name}: delta must be an integer`);
    }
    if (entries.length === 0) return;
    this.#write(() => {
      const up = this.#stmt(
        'INSERT INTO counters (name, count) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET count = count + excluded.count',
      );
      for (const [name, d] of entries) up.run(name, d);
    });
  }

  async getCounters(): Promise<Record<string, number>> {
    const rows = this.#guard(
      () =>
        this.#stmt('SELECT name, count FROM counters ORDER BY name').all() as {
          name: string;
          count: number;
        }[],
    );
    const out: Record<string, number> = {};
    for (const r of rows) out[r.name] = r.count;
    return out;
  }

  async getMeta(key: string): Promise<string | null> {
    return this.#guard(
      () =>
        (this.#stmt('SELECT value FROM meta WHERE key = ?').pluck().get(key) as string | undefined) ?? null,
    );
  }

  async setMeta(key: string, value: string): Promise<void> {
    this.#guard(() =>
      this.#stmt(
        'INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
      ).run(key, value),
    );
  }

  /** `PRAGMA data_version`: changes when another connection committed (not on our own commits). */
  async changeToken(): Promise<number> {
    return this.#guard(() => this.#db.pragma('data_version', { simple: true }) as number);
  }

  // --- accounts (AccountStore, migration 2) ---------------------------------------------------

  async addUser(user: UserRecord): Promise<void> {
    this.#guard(() => {
      try {
        this.#stmt(
          `INSERT INTO users (name, role, status, password_hash, must_change_password, must_enrol_mfa,
             totp_secret_enc, totp_pending_enc, totp_pending_at, last_totp_step, created_at, updated_at,
             password_changed_at, last_login_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        ).run(
          user.name,
          user.role,
          user.status,
          user.passwordHash,
          user.mustChangePassword ? 1 : 0,
          user.mustEnrolMfa ? 1 : 0,
          user.totpSecretEnc,
          user.totpPendingEnc,
          user.totpPendingAt,
          user.lastTotpStep,
          user.createdAt,
          user.updatedAt,
          user.passwordChangedAt,
          user.lastLoginAt,
        );
      } catch (err) {
        if (sqliteCode(err) === 'SQLITE_CONSTRAINT_PRIMARYKEY')
          throw new VigilError('VIGIL_ERR_USER_EXISTS', user.name);
        throw err;
      }
    });
  }

  async getUser(name: string): Promise<UserRecord | null> {
    const row = this.#guard(
      () => this.#stmt('SELECT * FROM users WHERE name = ?').get(name) as UserRow | undefined,
    );
    return row ? toUser(row) : null;
  }

  async listUsers(): Promise<UserRecord[]> {
    return this.#guard(() =>
      (this.#stmt('SELECT * FROM users ORDER BY name').all() as UserRow[]).map(toUser),
    );
  }

  async countUsers(): Promise<number> {
    return this.#guard(() => this.#stmt('SELECT count(*) FROM users').pluck().get() as number);
  }

  async updateUser(name: string, patch: UserPatch): Promise<void> {
    const { set, values } = userPatchSql(patch);
    if (set === '') {
      if (!(await this.getUser(name))) throw new VigilError('VIGIL_ERR_NOT_FOUND', name);
      return;
    }
    const r = this.#guard(() => this.#stmt(`UPDATE users SET ${set} WHERE name = ?`).run(...values, name));
    if (r.changes === 0) throw new VigilError('VIGIL_ERR_NOT_FOUND', name);
  }

  async advanceTotpStep(name: string, step: number, at: number): Promise<boolean> {
    const r = this.#guard(() =>
      this.#stmt(
        'UPDATE users SET last_totp_step = ?, updated_at = ? WHERE name = ? AND coalesce(last_totp_step, -1) < ?',
      ).run(step, at, name, step),
    );
    return r.changes === 1;
  }

  async replaceRecoveryCodes(name: string, hashes: string[], at: number): Promise<void> {
    this.#write(() => {
      this.#stmt('DELETE FROM recovery_codes WHERE user_name = ?').run(name);
      const ins = this.#stmt(
        'INSERT INTO recovery_codes (user_name, code_hash, created_at, used_at) VALUES (?, ?, ?, NULL)',
      );
      for (const h of hashes) ins.run(name, h, at);
    });
  }

  async consumeRecoveryCode(name: string, hash: string, at: number): Promise<boolean> {
    const r = this.#guard(() =>
      this.#stmt(
        'UPDATE recovery_codes SET used_at = ? WHERE user_name = ? AND code_hash = ? AND used_at IS NULL',
      ).run(at, name, hash),
    );
    return r.changes === 1;
  }

  async countUnusedRecoveryCodes(name: string): Promise<number> {
    return this.#guard(
      () =>
        this.#stmt('SELECT count(*) FROM recovery_codes WHERE user_name = ? AND used_at IS NULL')
          .pluck()
          .get(name) as number,
    );
  }

  #insertSession(s: SessionRecord): void {
    this.#stmt(
      `INSERT INTO sessions (id_hash, user_name, state, auth_at, created_at, last_seen_at, address)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
    ).run(s.idHash, s.userName, s.state, s.authAt, s.createdAt, s.lastSeenAt, s.address);
  }

  async addSession(session: SessionRecord): Promise<void> {
    this.#guard(() => {
      try {
        this.#insertSession(session);
      } catch (err) {
        if (sqliteCode(err) === 'SQLITE_CONSTRAINT_FOREIGNKEY')
          throw new VigilError('VIGIL_ERR_NOT_FOUND', session.userName);
        throw err;
      }
    });
  }

  async getSession(idHash: string): Promise<SessionRecord | null> {
    const row = this.#guard(
      () => this.#stmt('SELECT * FROM sessions WHERE id_hash = ?').get(idHash) as SessionRow | undefined,
    );
    return row ? toSession(row) : null;
  }

  async rotateSession(oldIdHash: string, next: SessionRecord): Promise<boolean> {
    return this.#write(() => {
      const r = this.#stmt('DELETE FROM sessions WHERE id_hash = ?').run(oldIdHash);
      if (r.changes === 0) return false;
      this.#insertSession(next);
      return true;
    });
  }

  async touchSession(idHash: string, at: number): Promise<void> {
    this.#guard(() =>
      this.#stmt('UPDATE sessions SET last_seen_at = max(last_seen_at, ?) WHERE id_hash = ?').run(at, idHash),
    );
  }

  async deleteSession(idHash: string): Promise<boolean> {
    return this.#guard(() => this.#stmt('DELETE FROM sessions WHERE id_hash = ?').run(idHash).changes === 1);
  }

  async deleteUserSessions(name: string): Promise<number> {
    return this.#guard(() => this.#stmt('DELETE FROM sessions WHERE user_name = ?').run(name).changes);
  }

  async listSessions(name?: string): Promise<SessionRecord[]> {
    const rows = this.#guard(
      () =>
        this.#select('sessions', [['user_name = ?', name]], 'ORDER BY created_at, id_hash') as SessionRow[],
    );
    return rows.map(toSession);
  }

  async deleteExpiredSessions(idleBefore: number, authBefore: number): Promise<number> {
    return this.#guard(
      () =>
        this.#stmt('DELETE FROM sessions WHERE last_seen_at < ? OR auth_at < ?').run(idleBefore, authBefore)
          .changes,
    );
  }

  async addAuthFailure(kind: FailureKind, subject: string, at: number): Promise<void> {
    this.#guard(() =>
      this.#stmt('INSERT INTO auth_failures (kind, subject, at) VALUES (?, ?, ?)').run(kind, subject, at),
    );
  }

  async listAuthFailures(
    kind: FailureKind,
    subject: string,
    since: number,
    limit: number,
  ): Promise<number[]> {
    return this.#guard(
      () =>
        this.#stmt(
          'SELECT at FROM auth_failures WHERE kind = ? AND subject = ? AND at >= ? ORDER BY at DESC LIMIT ?',
        )
          .pluck()
          .all(kind, subject, since, clampLimit(limit)) as number[],
    );
  }

  async clearAuthFailures(kind: FailureKind, subject: string): Promise<void> {
    this.#guard(() =>
      this.#stmt('DELETE FROM auth_failures WHERE kind = ? AND subject = ?').run(kind, subject),
    );
  }

  async pruneAuthFailures(before: number): Promise<number> {
    return this.#guard(() => this.#stmt('DELETE FROM auth_failures WHERE at < ?').run(before).changes);
  }

  async addApiToken(token: ApiTokenRecord): Promise<void> {
    this.#guard(() =>
      this.#stmt(
        `INSERT INTO api_tokens (id, secret_hash, label, role, created_by, created_at, expires_at, revoked_at,
           last_used_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ).run(
        token.id,
        token.secretHash,
        token.label,
        token.role,
        token.createdBy,
        token.createdAt,
        token.expiresAt,
        token.revokedAt,
        token.lastUsedAt,
      ),
    );
  }

  async getApiToken(id: string): Promise<ApiTokenRecord | null> {
    const row = this.#guard(
      () => this.#stmt('SELECT * FROM api_tokens WHERE id = ?').get(id) as ApiTokenRow | undefined,
    );
    return row ? toApiToken(row) : null;
  }

  async listApiTokens(): Promise<ApiTokenRecord[]> {
    return this.#guard(() =>
      (this.#stmt('SELECT * FROM api_tokens ORDER BY created_at, id').all() as ApiTokenRow[]).map(toApiToken),
    );
  }

  async revokeApiToken(id: string, at: number): Promise<void> {
    this.#write(() => {
      const r = this.#stmt('UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL').run(
        at,
        id,
      );
      if (r.changes === 0 && !this.#stmt('SELECT 1 FROM api_tokens WHERE id = ?').get(id)) {
        throw new VigilError('VIGIL_ERR_NOT_FOUND', id);
      }
    });
  }

  async touchApiToken(id: string, at: number): Promise<void> {
    this.#guard(() =>
      this.#stmt('UPDATE api_tokens SET last_used_at = ? WHERE id = ? AND coalesce(last_used_at, 0) < ?').run(
        at,
        id,
        at,
      ),
    );
  }
}
