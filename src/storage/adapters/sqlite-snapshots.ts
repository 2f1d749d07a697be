import { Worker } from 'node:worker_threads';
import { VigilError } from '../../errors.ts';
import {
  deviceSecretIdentity,
  notifyCredentialIdentity,
  type SealPurpose,
  totpSecretIdentity,
} from '../../keys/master-key.ts';
import type {
  DatabaseSnapshots,
  Reseal,
  SnapshotCheck,
  SnapshotFacts,
  SnapshotKeys,
} from '../database-snapshots.ts';
import { SqliteDatabase } from './sqlite-database.ts';
import { quoteIdent, snapshotFacts } from './sqlite-snapshot-facts.ts';
import { SqliteStore } from './sqlite-store.ts';

/**
 * Every value sealed under the master key inside the database: table, column, purpose and the
 * identity of its row (`MasterKey.seal`), the primary key to update it by, and which rows hold a
 * sealed value (`where`). A restore re-seals each under the new master key to the same identity;
 * `sqlite-snapshots.test.ts` fails when a `*_enc` or `sealed` column is missing here.
 */
export const SEALED_COLUMNS: readonly {
  table: string;
  column: string;
  purpose: SealPurpose;
  key: readonly string[];
  identity: (row: Record<string, unknown>) => string;
  where?: string;
}[] = [
  {
    table: 'device_keys',
    column: 'secret_enc',
    purpose: 'device-secret',
    key: ['device_id', 'kid'],
    identity: (r) => deviceSecretIdentity(String(r.device_id), Number(r.kid)),
  },
  {
    table: 'users',
    column: 'totp_secret_enc',
    purpose: 'totp-secret',
    key: ['name'],
    identity: (r) => totpSecretIdentity(String(r.name)),
  },
  {
    table: 'users',
    column: 'totp_pending_enc',
    purpose: 'totp-secret',
    key: ['name'],
    identity: (r) => totpSecretIdentity(String(r.name)),
  },
  {
    // Channel credentials and webhook secrets, each sealed to its row name; the VAPID public key
    // shares the table in clear (SECRET_NAMES in src/notifications/channels/channel-settings.ts).
    table: 'notify_secrets',
    column: 'sealed',
    purpose: 'notify-credential',
    key: ['name'],
    identity: (r) => notifyCredentialIdentity(String(r.name)),
    where: `name <> 'push.vapid-public-key'`,
  },
];

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
      const q = db.scope('snapshot');
      // sqlite3mc cannot rekey a database in WAL mode.
      db.exec('PRAGMA journal_mode = DELETE');
      let resealed = 0;
      const tables = new Set(
        q.all<{ name: string }>(`SELECT name FROM sqlite_master WHERE type = 'table'`).map((r) => r.name),
      );
      q.write(() => {
        for (const s of SEALED_COLUMNS) {
          if (!tables.has(s.table)) continue;
          const keyCols = s.key.map(quoteIdent).join(', ');
          const rows = q.all<Record<string, unknown>>(
            `SELECT ${keyCols}, ${quoteIdent(s.column)} AS v FROM ${quoteIdent(s.table)} WHERE ${quoteIdent(s.column)} IS NOT NULL${s.where ? ` AND ${s.where}` : ''}`,
          );
          const where = s.key.map((k) => `${quoteIdent(k)} = ?`).join(' AND ');
          const update = q.stmt(
            `UPDATE ${quoteIdent(s.table)} SET ${quoteIdent(s.column)} = ? WHERE ${where}`,
          );
          for (const r of rows) {
            update.run(reseal(s.purpose, r.v as Buffer, s.identity(r)), ...s.key.map((k) => r[k]));
            resealed++;
          }
        }
      });
      db.exec(`PRAGMA rekey = "x'${newDatabaseKey.toString('hex')}'"`);
      db.exec('PRAGMA journal_mode = WAL');
      return { resealed };
    });
  }
}
