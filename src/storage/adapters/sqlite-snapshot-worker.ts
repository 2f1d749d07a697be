/**
 * Worker thread of `SqliteSnapshots.snapshot`: copies the live database with `VACUUM INTO` on its
 * own read-only connection, so neither the writer nor the caller's event loop waits for it.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { SqliteDatabase, sqliteCode } from './sqlite-database.ts';

const { source, key, dest } = workerData as { source: string; key: Uint8Array; dest: string };
try {
  const db = SqliteDatabase.open({ path: source, key: Buffer.from(key), readonly: true });
  try {
    db.scope('snapshot').stmt('VACUUM INTO ?').run(dest);
  } finally {
    db.close();
  }
  parentPort?.postMessage({ ok: true });
} catch (err) {
  const cause = (err as { cause?: unknown }).cause ?? err;
  parentPort?.postMessage({
    ok: false,
    error: (err as Error).message,
    code: sqliteCode(cause) ?? (cause as { code?: string }).code,
  });
}
