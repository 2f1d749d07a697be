/**
 * Worker thread of `SqliteSnapshots.snapshot`: copies the live database with `VACUUM INTO` on its
 * own read-only connection, so neither the writer nor the caller's event loop waits for it.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { SqliteDatabase, sqliteCode } from './sqlite-database.ts';
import { snapshotFacts } from './sqlite-snapshot-facts.ts';

const { source, key, auditKey, dest } = workerData as {
  source: string;
  key: Uint8Array;
  auditKey: Uint8Array;
  dest: string;
};
const keys = { key: Buffer.from(key), auditKey: Buffer.from(auditKey) };
try {
  const db = SqliteDatabase.open({ path: source, ...keys, readonly: true });
  try {
    db.scope('snapshot').stmt('VACUUM INTO ?').run(dest);
  } finally {
    db.close();
  }
  // The manifest facts of the copy, counted here too: a count over millions of rows would
  // otherwise hold the caller's event loop.
  const copy = SqliteDatabase.open({ path: dest, ...keys, readonly: true });
  try {
    parentPort?.postMessage({ ok: true, facts: snapshotFacts(copy) });
  } finally {
    copy.close();
  }
} catch (err) {
  const cause = (err as { cause?: unknown }).cause ?? err;
  parentPort?.postMessage({
    ok: false,
    error: (err as Error).message,
    code: sqliteCode(cause) ?? (cause as { code?: string }).code,
  });
}
