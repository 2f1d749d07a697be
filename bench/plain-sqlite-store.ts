import Database from 'better-sqlite3-multiple-ciphers';
import { applyConnectionPragmas, type SqliteScope } from '../src/storage/adapters/sqlite-database.ts';
import { packIngestBatch, writePackedBatch } from '../src/storage/adapters/sqlite-ingest-rows.ts';
import { SQLITE_MIGRATIONS } from '../src/storage/adapters/sqlite-migrations.ts';
import type { DeviceRecord, IngestBatch } from '../src/storage/store.ts';

/**
 * The W5 baseline: the same driver (better-sqlite3-multiple-ciphers), the same schema (the shipped
 * migrations), the same connection pragmas and the adapter's own ingest transaction (writePackedBatch, on the
 * calling thread), but no cipher and no key: the page encryption (SQLCipher v4: AES-256-CBC +
 * HMAC-SHA512 per page) is the only difference. SqliteStore.open has no way to skip the key (it
 * requires 32 bytes), hence this connection of its own.
 */
export class PlainSqliteStore {
  readonly #db: Database.Database;
  /** The part of a SqliteScope that writePackedBatch uses. */
  readonly #scope: Pick<SqliteScope, 'stmt' | 'write'>;

  constructor(path: string, synchronous: 'FULL' | 'NORMAL') {
    const db = new Database(path, { timeout: 5000 });
    this.#db = db;
    // As SqliteDatabase.open, minus cipher / legacy / key.
    applyConnectionPragmas(db, { readonly: false, synchronous });
    db.transaction(() => {
      db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
        version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL) STRICT`);
      const record = db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)');
      for (const m of [...SQLITE_MIGRATIONS].sort((a, b) => a.version - b.version)) {
        db.exec(m.sql);
        record.run(m.version, m.name, Date.now());
      }
    }).immediate();
    const stmts = new Map<string, Database.Statement>();
    const stmt = (sql: string) => {
      let st = stmts.get(sql);
      if (!st) {
        st = db.prepare(sql);
        stmts.set(sql, st);
      }
      return st;
    };
    this.#scope = { stmt, write: (fn) => db.transaction(fn).immediate() };
  }

  addDevice(d: DeviceRecord): void {
    this.#db
      .prepare(
        `INSERT INTO devices (id, profile, status, alg, current_kid, created_at, updated_at,
           cert_serial, cert_not_after, last_seen_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        d.id,
        d.profile,
        d.status,
        d.alg,
        d.currentKid,
        d.createdAt,
        d.updatedAt,
        d.certSerial,
        d.certNotAfter,
        d.lastSeenAt,
      );
  }

  /** SqliteStore.writeBatch's own code (writePackedBatch), on this connection. */
  writeBatch(batch: IngestBatch): { readingsInserted: number; messagesInserted: number } {
    return writePackedBatch(this.#scope, packIngestBatch(batch));
  }

  close(): void {
    this.#db.close();
  }
}
