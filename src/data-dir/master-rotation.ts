import { randomBytes } from 'node:crypto';
import {
  closeSync,
  existsSync,
  fsyncSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  writeSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import type pg from 'pg';
import { VigilError } from '../errors.ts';
import { MasterKey, parseMasterKey, type SealPurpose } from '../keys/master-key.ts';
import { HASH_ROOT_IDENTITY } from '../keys/master-key-file.ts';
import { PostgresDatabase } from '../storage/adapters/postgres-database.ts';
import { refuseWhileOthersConnected, resealPostgres } from '../storage/adapters/postgres-reseal.ts';
import { isPostgresUrl } from '../storage/adapters/postgres-url.ts';
import { SqliteDatabase } from '../storage/adapters/sqlite-database.ts';
import { resealSqlite } from '../storage/adapters/sqlite-reseal.ts';
import type { Reseal } from '../storage/database-snapshots.ts';
import type { DataPaths } from './paths.ts';
import { sealedFileIdentity } from './sealed-files.ts';

/**
 * Fault injection for the crash tests: `VIGIL_FAULT_CRASH_AT=<point>` makes the process kill
 * itself with SIGKILL at that point (a power cut, as far as the files are concerned).
 */
function crashPoint(name: string): void {
  if (process.env.VIGIL_FAULT_CRASH_AT === name) process.kill(process.pid, 'SIGKILL');
}

/** The named crash points, in the order a rotation passes them. */
export const MASTER_ROTATION_POINTS = [
  'after-next-key',
  'after-hash-root',
  'after-files',
  // Inside the database's one re-seal transaction, after its first sealed column.
  'mid-db-reseal',
  'after-db-reseal',
  'after-rekey',
  'before-commit',
] as const;

/** Writes a file durably: temp file, fsync, rename, fsync of the directory. */
function writeDurable(path: string, data: Buffer | string, mode = 0o600): void {
  const tmp = `${path}.tmp`;
  const fd = openSync(tmp, 'w', mode);
  try {
    writeSync(fd, typeof data === 'string' ? Buffer.from(data) : data);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
  syncDir(dirname(path));
}

function syncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** The sealed key files of `pki/` with the purpose and identity they were sealed with. */
function sealedFiles(paths: DataPaths): { path: string; purpose: SealPurpose; identity: string }[] {
  if (!existsSync(paths.pkiDir)) return [];
  return readdirSync(paths.pkiDir)
    .filter((f) => f.endsWith('.key.sealed'))
    .map((f) => ({ path: join(paths.pkiDir, f), ...sealedFileIdentity(f) }));
}

/**
 * A blob sealed under `next` for the same purpose and identity: unchanged if it already is, else
 * opened with `old` and sealed again (always in the current format, v2).
 */
function resealer(old: MasterKey, next: MasterKey): Reseal {
  return (purpose, blob, identity) => {
    try {
      next.open(purpose, blob, identity);
      return blob;
    } catch {
      return next.seal(purpose, old.open(purpose, blob, identity), identity);
    }
  };
}

/** True when a master-key rotation was started and not finished (it is finished on next open). */
export function masterRotationPending(paths: DataPaths): boolean {
  return existsSync(paths.masterKeyNext);
}

/** Where the database is: `storage.url` (PostgreSQL when it is one, else the SQLite file). */
export interface RotationStorage {
  url?: string | undefined;
  allowInsecure?: boolean | undefined;
  retryForMs?: number | undefined;
}

/**
 * `vigil keys rotate-master`: a new master key, every sealed key re-sealed under it and the
 * SQLCipher database re-keyed (`PRAGMA rekey`), or on PostgreSQL the data key and every sealed
 * value re-sealed in one transaction (postgres-reseal.ts). Crash-safe by construction: the new
 * key is written first (`master.key.next`), every later step is idempotent and accepts either
 * key, and the switch is the final atomic rename of `master.key.next` over `master.key`. After a
 * crash at any point the database opens with the old key or the new one, and the next `vigil`
 * command finishes the rotation ({@link completeMasterRotation}).
 *
 * Only for a master key kept in `master.key` (not `VIGIL_MASTER_KEY`), with `vigil start`
 * stopped (on PostgreSQL: every process on the database): a running server holds the old key in
 * memory.
 */
export async function rotateMasterKey(
  paths: DataPaths,
  env: NodeJS.ProcessEnv,
  storage: RotationStorage = {},
): Promise<{ fingerprint: string }> {
  if (env.VIGIL_MASTER_KEY)
    throw new VigilError(
      'VIGIL_ERR_USAGE',
      'the master key comes from VIGIL_MASTER_KEY; rotate-master rotates the key in master.key',
    );
  if (!existsSync(paths.masterKey))
    throw new VigilError('VIGIL_ERR_DATA_DIR', 'no master.key in the data directory');
  if (!existsSync(paths.masterKeyNext)) {
    // Refused before anything is written, so a refusal leaves no rotation pending.
    if (isPostgresUrl(storage.url))
      await withPostgres(storage, undefined, (c) => refuseWhileOthersConnected(c));
    writeDurable(paths.masterKeyNext, `${randomBytes(32).toString('hex')}\n`);
  }
  crashPoint('after-next-key');
  return completeMasterRotation(paths, storage);
}

/** Finishes a started rotation (idempotent); returns the new key's fingerprint. */
export async function completeMasterRotation(
  paths: DataPaths,
  storage: RotationStorage = {},
): Promise<{ fingerprint: string }> {
  const oldRaw = parseMasterKey(readFileSync(paths.masterKey, 'utf8'));
  const nextRaw = parseMasterKey(readFileSync(paths.masterKeyNext, 'utf8'));
  // The keyed-hash root survives every rotation (token and recovery-code hashes keep matching).
  const oldHashRoot = hashRootOf(paths, oldRaw, nextRaw);
  const old = new MasterKey(oldRaw, { hashRoot: oldHashRoot });
  const next = new MasterKey(nextRaw, { hashRoot: oldHashRoot });
  const reseal = resealer(old, next);
  if (!existsSync(paths.hashRootSealed) || !opens(next, readFileSync(paths.hashRootSealed))) {
    writeDurable(paths.hashRootSealed, next.seal('hash-root', oldHashRoot, HASH_ROOT_IDENTITY));
  }
  crashPoint('after-hash-root');
  for (const f of sealedFiles(paths)) {
    const blob = readFileSync(f.path);
    const sealed = reseal(f.purpose, blob, f.identity);
    if (!sealed.equals(blob)) writeDurable(f.path, sealed);
  }
  crashPoint('after-files');
  if (isPostgresUrl(storage.url)) {
    await resealPostgresStore(storage, reseal, next);
    crashPoint('after-db-reseal');
    crashPoint('after-rekey');
  } else if (existsSync(paths.db)) {
    let onOld = true;
    let db: SqliteDatabase;
    try {
      db = SqliteDatabase.open({ path: paths.db, key: old.databaseKey(), auditKey: old.auditKey() });
    } catch (err) {
      if (!(err instanceof VigilError && err.code === 'VIGIL_ERR_MASTER_KEY')) throw err;
      db = SqliteDatabase.open({ path: paths.db, key: next.databaseKey(), auditKey: next.auditKey() });
      onOld = false;
    }
    try {
      resealSqlite(db, reseal, () => crashPoint('mid-db-reseal'));
      crashPoint('after-db-reseal');
      if (onOld) db.rekey(next.databaseKey());
      crashPoint('after-rekey');
    } finally {
      db.close();
    }
  }
  crashPoint('before-commit');
  renameSync(paths.masterKeyNext, paths.masterKey);
  syncDir(paths.dataDir);
  return { fingerprint: next.fingerprint() };
}

/** The PostgreSQL half: one transaction (retried whole on transient failures: it is idempotent). */
async function resealPostgresStore(storage: RotationStorage, reseal: Reseal, next: MasterKey): Promise<void> {
  await withPostgres(storage, next, (c) =>
    resealPostgres(c, reseal, next, { midway: () => crashPoint('mid-db-reseal') }),
  );
}

/** Runs `fn` in one transaction on `storage.url` (no migration, no data key loaded). */
async function withPostgres<T>(
  storage: RotationStorage,
  key: MasterKey | undefined,
  fn: (c: pg.ClientBase) => Promise<T>,
): Promise<T> {
  const db = PostgresDatabase.open({
    url: storage.url as string,
    allowInsecure: storage.allowInsecure ?? false,
    // Only the pool is used; any key satisfies the constructor.
    master: key ?? new MasterKey(randomBytes(32)),
    poolSize: 1,
    ...(storage.retryForMs !== undefined ? { retryForMs: storage.retryForMs } : {}),
  });
  try {
    return await db.tx(({ client }) => fn(client));
  } finally {
    await db.close();
  }
}

function opens(key: MasterKey, blob: Buffer): boolean {
  try {
    key.open('hash-root', blob, HASH_ROOT_IDENTITY);
    return true;
  } catch {
    return false;
  }
}

/** The current keyed-hash root: from hash-root.sealed (under either key), else the old master key. */
function hashRootOf(paths: DataPaths, oldRaw: Buffer, nextRaw: Buffer): Buffer {
  if (!existsSync(paths.hashRootSealed)) return oldRaw;
  const blob = readFileSync(paths.hashRootSealed);
  for (const raw of [oldRaw, nextRaw]) {
    try {
      return new MasterKey(raw).open('hash-root', blob, HASH_ROOT_IDENTITY);
    } catch {
      /* try the other key */
    }
  }
  throw new VigilError('VIGIL_ERR_MASTER_KEY', 'hash-root.sealed opens with neither master key');
}
