import type { ReadingRecord } from '../store.ts';
import { clampLimit, type SqliteScope } from './sqlite-database.ts';
import { type ReadingRow, toReading } from './sqlite-store-rows.ts';

/**
 * `Store.readingsAfter` on SQLite: the cursor is the table's rowid. SQLite has one writer at a
 * time and gives a new row a rowid above every existing one, so rowids grow in commit order and a
 * reader that remembers the last one sees every later commit exactly once. The scan is bounded by
 * the newest rowid read first, so a commit landing between the two statements is left for the
 * next call instead of being skipped.
 */
export function readingsAfterRows(
  q: SqliteScope,
  o: { deviceId: string; cursor?: number; limit?: number },
): { readings: ReadingRecord[]; cursor: number } {
  const newest =
    (q.read(() => q.stmt('SELECT max(rowid) FROM readings').pluck().get()) as number | null) ?? 0;
  if (o.cursor === undefined) return { readings: [], cursor: newest };
  const limit = clampLimit(o.limit);
  const rows = q.read(
    () =>
      q
        .stmt(
          'SELECT rowid AS rid, * FROM readings WHERE rowid > ? AND rowid <= ? AND device_id = ? ORDER BY rowid LIMIT ?',
        )
        .all(o.cursor, newest, o.deviceId, limit) as (ReadingRow & { rid: number })[],
  );
  const last = rows[rows.length - 1];
  // A full page may have more behind it; otherwise everything up to `newest` has been seen.
  const cursor = rows.length === limit && last ? last.rid : Math.max(o.cursor, newest);
  return { readings: rows.map(toReading), cursor };
}
