import { closeSync, existsSync, openSync } from 'node:fs';
import Database from 'better-sqlite3-multiple-ciphers';
import { CONFIG_DEFAULTS } from '../../config/schema.ts';
import { VigilError } from '../../errors.ts';
import type { MasterKey } from '../../keys/master-key.ts';
import type { AuditInput } from '../store.ts';
import { appendAuditRow } from './sqlite-audit-log.ts';
import { SQLITE_MIGRATIONS, type SqliteMigration } from './sqlite-migrations.ts';

type Db = Database.Database;

/** Options for {@link SqliteDatabase.open}. */
export interface SqliteDatabaseOptions {
  /** Database file. Created (mode 0600) when missing unless `readonly`. */
  path: string;
  /** 32 raw bytes (from `MasterKey.databaseKey()`), used directly as the SQLCipher key. */
  key: Buffer;
  /** 32 bytes (from `MasterKey.auditKey()`): the key of the audit log's HMAC chain. */
  auditKey: Buffer;
  /** Needed by migrations that re-seal stored blobs (an existing database with secrets in it). */
  master?: Pick<MasterKey, 'reseal'> | undefined;
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

/** The driver's error code (`SQLITE_CONSTRAINT_PRIMARYKEY`, ...), undefined for other errors. */
export function sqliteCode(err: unknown): string | undefined {
  return err instanceof Database.SqliteError ? err.code : undefined;
}

/**
 * Maps a driver failure to VIGIL_ERR_STORE, prefixed with the adapter and table (`[sqlite] alarms:
 * SQLITE_BUSY: ...`); SQLite messages name tables and columns, never values. A VigilError passes.
 */
export function storeError(err: unknown, label: string): VigilError {
  if (err instanceof VigilError) return err;
  const code = sqliteCode(err) ?? (err as { code?: string } | null)?.code ?? 'unknown';
  const msg = err instanceof Error ? err.message : String(err);
  return new VigilError('VIGIL_ERR_STORE', `[sqlite] ${label}: ${code}: ${msg}`, { cause: err });
}

/** A query's `limit` within [0, MAX_QUERY_LIMIT], DEFAULT_QUERY_LIMIT when absent. */
export function clampLimit(limit: number | undefined): number {
  if (limit === undefined) return DEFAULT_QUERY_LIMIT;
  if (!Number.isFinite(limit)) return MAX_QUERY_LIMIT;
  return Math.min(Math.max(Math.trunc(limit), 0), MAX_QUERY_LIMIT);
}

/**
 * The connection settings every Vigil database runs with (after the key, for an encrypted one).
 * Exported so that the storage benchmark's plain baseline runs with exactly the same.
 */
export function applyConnectionPragmas(
  db: Db,
  o: { readonly: boolean; synchronous: 'FULL' | 'NORMAL' },
): void {
  db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
  if (!o.readonly) db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${o.synchronous}`);
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
}

/** Turns a driver error code into a more precise error (`SQLITE_CONSTRAINT_PRIMARYKEY` -> "exists"). */
export type SqliteErrorMap = (code: string) => VigilError | undefined;

/** What an adapter runs its statements with ({@link SqliteDatabase.scope}). */
export interface SqliteScope {
  /** A prepared statement, cached for the life of the connection. */
  stmt(sql: string): Database.Statement;
  /** Runs `fn` in one IMMEDIATE transaction (takes the write lock up front, waits busy_timeout). */
  write<T>(fn: () => T): T;
  /** Runs one statement (autocommit) or a read. */
  read<T>(fn: () => T): T;
  /** The first row of a query, undefined when there is none. */
  one<R>(sql: string, ...args: unknown[]): R | undefined;
  /** Every row of a query. */
  all<R>(sql: string, ...args: unknown[]): R[];
  /** `SELECT *` from `table` with only the filters that are set (see {@link SqliteDatabase.select}). */
  select(
    table: string,
    filters: [string, string | number | undefined][],
    tail: string,
    ...tailArgs: number[]
  ): unknown[];
}

/**
 * One SQLite file encrypted with SQLCipher v4 (via SQLite3 Multiple Ciphers), WAL journal, with its
 * migrations, and the prepared-statement cache and transaction runner the adapters share. Each
 * port has its own adapter on this connection (src/storage/adapters/sqlite-adapters.ts). Every
 * call runs synchronously on the calling thread; writes of several rows run in one IMMEDIATE
 * transaction so that a concurrent `vigil` process waits (busy_timeout) instead of deadlocking.
 */
export class SqliteDatabase {
  readonly #db: Db;
  readonly #migrations: readonly SqliteMigration[];
  readonly #stmts = new Map<string, Database.Statement>();
  readonly #auditKey: Buffer;
  readonly #master: Pick<MasterKey, 'reseal'> | undefined;

  private constructor(db: Db, migrations: readonly SqliteMigration[], opts: SqliteDatabaseOptions) {
    this.#db = db;
    this.#migrations = migrations;
    this.#auditKey = Buffer.from(opts.auditKey);
    this.#master = opts.master;
  }

  /** Key of the audit log's HMAC chain. */
  get auditKey(): Buffer {
    return this.#auditKey;
  }

  /**
   * Opens (or creates) the encrypted database and verifies the key. Does not migrate: call
   * `migrate()` before using a fresh file. Throws VIGIL_ERR_MASTER_KEY when the key does not
   * decrypt the file (or the file is not a database), VIGIL_ERR_STORE when it cannot be opened.
   */
  static open(opts: SqliteDatabaseOptions): SqliteDatabase {
    if (!Buffer.isBuffer(opts.key) || opts.key.length !== 32) {
      throw new VigilError('VIGIL_ERR_MASTER_KEY', 'database key must be 32 bytes');
    }
    if (!Buffer.isBuffer(opts.auditKey) || opts.auditKey.length !== 32) {
      throw new VigilError('VIGIL_ERR_MASTER_KEY', 'audit key must be 32 bytes');
    }
    const readonly = opts.readonly ?? false;
    const synchronous = opts.synchronous ?? CONFIG_DEFAULTS.storage.synchronous;
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
      throw storeError(err, 'open');
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
      applyConnectionPragmas(db, { readonly, synchronous });
    } catch (err) {
      db.close();
      throw storeError(err, 'open');
    }
    return new SqliteDatabase(db, opts.migrations ?? SQLITE_MIGRATIONS, opts);
  }

  get readonly(): boolean {
    return this.#db.readonly;
  }

  /** A prepared statement, cached for the life of the connection. */
  stmt(sql: string): Database.Statement {
    let s = this.#stmts.get(sql);
    if (!s) {
      s = this.#db.prepare(sql);
      this.#stmts.set(sql, s);
    }
    return s;
  }

  /**
   * The statement cache and transaction runner for one adapter: driver errors become
   * VIGIL_ERR_STORE prefixed with `label`, unless `mapError` turns the driver code into a more
   * precise error.
   */
  scope(label: string, mapError?: SqliteErrorMap): SqliteScope {
    const mapped = <T>(fn: () => T): T => {
      try {
        return fn();
      } catch (err) {
        const code = sqliteCode(err);
        throw (code !== undefined ? mapError?.(code) : undefined) ?? storeError(err, label);
      }
    };
    return {
      stmt: (sql) => this.stmt(sql),
      write: (fn) => mapped(() => this.#db.transaction(fn).immediate()),
      read: mapped,
      one: <R>(sql: string, ...args: unknown[]) => mapped(() => this.stmt(sql).get(...args) as R | undefined),
      all: <R>(sql: string, ...args: unknown[]) => mapped(() => this.stmt(sql).all(...args) as R[]),
      select: (table, filters, tail, ...tailArgs) => this.select(table, filters, tail, ...tailArgs),
    };
  }

  /** Runs `fn` in one deferred transaction: its reads see one snapshot. */
  readTransaction<T>(fn: () => T): T {
    return this.#db.transaction(fn).deferred();
  }

  /** Iterates a query's rows without a cached statement (one read snapshot, flat memory). */
  iterate<T>(sql: string): IterableIterator<T> {
    return this.#db.prepare(sql).iterate() as IterableIterator<T>;
  }

  /** Runs SQL that returns no rows (backup snapshots: `VACUUM INTO`, `PRAGMA rekey`). */
  exec(sql: string): void {
    this.#db.exec(sql);
  }

  /** A pragma's value (`PRAGMA data_version`, ...). */
  pragma(name: string): unknown {
    return this.#db.pragma(name, { simple: true });
  }

  /**
   * `SELECT *` with only the filters that are set, so each shape gets its own plan (an
   * `(? IS NULL OR col = ?)` filter would keep SQLite from using the index). Shapes are few and
   * fixed, so the statement cache stays small.
   */
  select(
    table: string,
    filters: [string, string | number | undefined][],
    tail: string,
    ...tailArgs: number[]
  ) {
    const set = filters.filter((f): f is [string, string | number] => f[1] !== undefined);
    const where = set.length ? ` WHERE ${set.map((f) => f[0]).join(' AND ')}` : '';
    return this.stmt(`SELECT * FROM ${table}${where} ${tail}`).all(...set.map((f) => f[1]), ...tailArgs);
  }

  /** The connection settings in force, for `vigil doctor` and tests. */
  settings(): {
    journalMode: string;
    synchronous: 'OFF' | 'NORMAL' | 'FULL' | 'EXTRA';
    foreignKeys: boolean;
    busyTimeoutMs: number;
    cipher: string;
  } {
    return this.scope('pragma').read(() => {
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

  /**
   * Re-encrypts the whole file under a new 32-byte key (`PRAGMA rekey`, SQLite3 Multiple Ciphers).
   * The pages are rewritten in one write transaction through the journal (the WAL), so a crash
   * leaves a file that opens with the old key or with the new one.
   */
  rekey(newKey: Buffer): void {
    if (!Buffer.isBuffer(newKey) || newKey.length !== 32)
      throw new VigilError('VIGIL_ERR_MASTER_KEY', 'database key must be 32 bytes');
    this.scope('rekey').read(() => {
      this.#db.pragma('wal_checkpoint(TRUNCATE)');
      this.#db.pragma(`rekey="x'${newKey.toString('hex')}'"`);
      this.#db.pragma('wal_checkpoint(TRUNCATE)');
    });
  }

  /** Highest applied schema version, 0 for a fresh file. */
  schemaVersion(): number {
    return this.scope('pragma').read(() => {
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

  /** Applies pending migrations (every table of every adapter on this file). Idempotent. */
  migrate(): void {
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
    this.scope('migrations').write(() => {
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
      const now = Date.now();
      const audits: AuditInput[] = [];
      for (const m of [...this.#migrations].sort((a, b) => a.version - b.version)) {
        if (applied.has(m.version)) continue;
        this.#db.exec(m.sql);
        m.run?.({
          db: this.#db,
          auditKey: this.#auditKey,
          master: this.#master,
          now,
          audit: (action, object, detail) =>
            audits.push({
              ts: now,
              actor: 'system',
              action,
              object,
              detail: { migration: m.version, ...detail },
            }),
        });
        record.run(m.version, m.name, now);
      }
      // After every step: an entry is appended to the chain as the last step left it.
      for (const a of audits) appendAuditRow((sql) => this.#db.prepare(sql), this.#auditKey, a);
    });
  }

  /** Closes the connection (every adapter on it). Idempotent. */
  close(): void {
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
}
