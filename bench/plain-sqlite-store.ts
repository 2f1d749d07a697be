import Database from 'better-sqlite3-multiple-ciphers';
import { applyConnectionPragmas } from '../src/storage/adapters/sqlite-database.ts';
import { SQLITE_MIGRATIONS } from '../src/storage/adapters/sqlite-migrations.ts';
import type { DeviceRecord, IngestBatch } from '../src/storage/store.ts';

/**
 * The W5 baseline: the same driver (better-sqlite3-multiple-ciphers), the same schema (the shipped
 * migrations), the same connection pragmas and the same prepared statements and IMMEDIATE
 * transaction as SqliteStore.writeBatch, but no cipher and no key: the page encryption (SQLCipher
 * v4: AES-256-CBC + HMAC-SHA512 per page) is the only difference. SqliteStore.open has no way to
 * skip the key (it requires 32 bytes), so this mirrors src/storage/adapters/sqlite-store.ts; keep
 * the two in step when the adapter changes.
 */
export class PlainSqliteStore {
  readonly #db: Database.Database;
  readonly #insReading: Database.Statement;
  readonly #insMessage: Database.Statement;
  readonly #upsertReplay: Database.Statement;
  readonly #seen: Database.Statement;

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
    // Verbatim from SqliteStore.writeBatch.
    this.#insReading = db.prepare(
      `INSERT INTO readings (device_id, seq, idx, ts, received_at, backfill, data)
         VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (device_id, seq, idx) DO NOTHING`,
    );
    this.#insMessage = db.prepare(
      `INSERT INTO messages (device_id, seq, channel, ts, received_at, body) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (device_id, seq) DO NOTHING`,
    );
    this.#upsertReplay = db.prepare(
      `INSERT INTO replay_state (device_id, highest, bitmap, nonces, updated_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (device_id) DO UPDATE SET highest = excluded.highest, bitmap = excluded.bitmap,
           nonces = excluded.nonces, updated_at = excluded.updated_at`,
    );
    this.#seen = db.prepare(
      'UPDATE devices SET last_seen_at = max(coalesce(last_seen_at, ?), ?) WHERE id = ?',
    );
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

  /** The body of SqliteStore.writeBatch, statement for statement. */
  writeBatch(batch: IngestBatch): { readingsInserted: number; messagesInserted: number } {
    return this.#db
      .transaction(() => {
        let readingsInserted = 0;
        let messagesInserted = 0;
        for (const r of batch.readings) {
          readingsInserted += this.#insReading.run(
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
          messagesInserted += this.#insMessage.run(
            m.deviceId,
            m.seq,
            m.channel,
            m.ts,
            m.receivedAt,
            JSON.stringify(m.body),
          ).changes;
        }
        for (const s of batch.replayStates) {
          this.#upsertReplay.run(s.deviceId, s.highest, s.bitmap, s.nonces, s.updatedAt);
        }
        for (const l of batch.lastSeen) this.#seen.run(l.at, l.at, l.deviceId);
        return { readingsInserted, messagesInserted };
      })
      .immediate();
  }

  close(): void {
    this.#db.close();
  }
}
