import { Worker } from 'node:worker_threads';
import { VigilError } from '../../errors.ts';
import type {
  DatabaseSnapshots,
  Reseal,
  SnapshotCheck,
  SnapshotFacts,
  SnapshotKeys,
} from '../database-snapshots.ts';
import { SqliteDatabase } from './sqlite-database.ts';
import { resealSqlite } from './sqlite-reseal.ts';
import { snapshotFacts } from './sqlite-snapshot-facts.ts';
import { SqliteStore } from './sqlite-store.ts';

/** Opens a snapshot file, runs `fn`, closes it. */
async function withSnapshot<T>(
  path: string,
  keys: SnapshotKeys,
  readonly: boolean,
  fn: (db: SqliteDatabase) => T | Promise<T>,
): Promise<T> {
  const db = SqliteDatabase.open({ path, key: keys.databaseKey(), auditKey: keys.auditKey(), readonly });
  try {
    return await fn(db);
  } finally {
    db.close();
  }
}

/**
 * Runs `VACUUM INTO` on a read-only connection in a worker thread: one read transaction, so the
 * copy is consistent, and in WAL mode it never blocks the writer (SQLite §2.2 of wal.html:
 * "readers do not block writers"). The SQLite online backup API (sqlite3_backup_*) cannot be used
 * here: SQLite3 Multiple Ciphers refuses a backup between a keyed and an unkeyed connection, and
 * the driver opens the backup target itself, without a key. VACUUM INTO writes the copy under the
 * source's key and compacts it.
 */
function snapshotInWorker(source: string, keys: SnapshotKeys, dest: string): Promise<SnapshotFacts> {
  return new Promise((resolve, reject) => {
    const w = new Worker(new URL('./sqlite-snapshot-worker.ts', import.meta.url), {
      workerData: { source, key: keys.databaseKey(), auditKey: keys.auditKey(), dest },
    });
    w.once('message', (m: { ok: boolean; facts?: SnapshotFacts; error?: string; code?: string }) => {
      if (m.ok && m.facts) resolve(m.facts);
      else
        reject(
          new VigilError(
            m.code === 'SQLITE_FULL' ? 'VIGIL_ERR_DISK_FULL' : 'VIGIL_ERR_STORE',
            `[sqlite] snapshot: ${m.error}`,
          ),
        );
    });
    w.once('error', (err) => reject(new VigilError('VIGIL_ERR_STORE', `[sqlite] snapshot: ${err.message}`)));
    w.once('exit', (code) => {
      if (code !== 0)
        reject(new VigilError('VIGIL_ERR_STORE', `[sqlite] snapshot worker exited with ${code}`));
    });
  });
}

/** The SQLite adapter of {@link DatabaseSnapshots} for the live database at `livePath`. */
export class SqliteSnapshots implements DatabaseSnapshots {
  readonly #live: { path: string; keys: SnapshotKeys } | undefined;

  /** `live`: the database `snapshot` copies; without it only snapshot files can be checked. */
  constructor(live?: { path: string; keys: SnapshotKeys }) {
    this.#live = live;
  }

  snapshot(destPath: string): Promise<SnapshotFacts> {
    if (!this.#live)
      return Promise.reject(new VigilError('VIGIL_ERR_INTERNAL', 'no live database to snapshot'));
    return snapshotInWorker(this.#live.path, this.#live.keys, destPath);
  }

  async facts(path: string, keys: SnapshotKeys): Promise<SnapshotFacts> {
    return withSnapshot(path, keys, true, snapshotFacts);
  }

  async check(path: string, keys: SnapshotKeys): Promise<SnapshotCheck> {
    return withSnapshot(path, keys, true, async (db) => {
      const integrity = db
        .scope('snapshot')
        .all<{ integrity_check: string }>('PRAGMA integrity_check')
        .map((r) => r.integrity_check);
      const facts = snapshotFacts(db);
      // The audit chain is verified by the Store port's own verification, not re-implemented.
      const audit = await new SqliteStore(db).verifyAudit();
      return { ...facts, integrity, audit };
    });
  }

  async rekey(
    path: string,
    from: SnapshotKeys,
    newDatabaseKey: Buffer,
    reseal: Reseal,
  ): Promise<{ resealed: number }> {
    return withSnapshot(path, from, false, (db) => {
      // sqlite3mc cannot rekey a database in WAL mode.
      db.exec('PRAGMA journal_mode = DELETE');
      const resealed = resealSqlite(db, reseal);
      db.exec(`PRAGMA rekey = "x'${newDatabaseKey.toString('hex')}'"`);
      db.exec('PRAGMA journal_mode = WAL');
      return { resealed };
    });
  }
}
