/**
 * `Store.readingsAfter` on PostgreSQL: a device's readings in commit order from a cursor. Several
 * transactions commit concurrently, so an id taken at insert time is not commit order by itself.
 * Each row carries `commit_ord` = its transaction's id (xid8) * COMMIT_ORD_SPAN + its place in
 * the batch, and a read returns only rows of transactions older than the oldest one still
 * running (`pg_snapshot_xmin` of its snapshot): a smaller cursor can then never commit later,
 * so following never skips a reading (the pattern of a transactional outbox read by xid).
 */
import type { ReadingRecord } from '../store.ts';
import type { PostgresDatabase } from './postgres-database.ts';
import { type PgReadingRow, pgLimit, pgReading, pgStoreError } from './postgres-store-rows.ts';

/** Rows one transaction may write (a group commit has at most a few thousand). */
export const COMMIT_ORD_SPAN = 65_536;

/** Everything below this cursor is settled for the statement's snapshot. */
const HORIZON = `(pg_snapshot_xmin(pg_current_snapshot())::text::bigint * ${COMMIT_ORD_SPAN})`;

export async function readingsAfterRows(
  db: PostgresDatabase,
  q: { deviceId: string; cursor?: number; limit?: number },
): Promise<{ readings: ReadingRecord[]; cursor: number }> {
  try {
    if (q.cursor === undefined) {
      const r = await db.q<{ c: number }>(`SELECT ${HORIZON} - 1 AS c`);
      return { readings: [], cursor: r[0]?.c ?? 0 };
    }
    const rows = await db.q<PgReadingRow & { commit_ord: number }>(
      `SELECT * FROM readings WHERE device_id = $1 AND commit_ord > $2 AND commit_ord < ${HORIZON}
       ORDER BY commit_ord LIMIT $3`,
      [q.deviceId, q.cursor, pgLimit(q.limit)],
    );
    return {
      readings: rows.map((r) => pgReading(db.cipher, r)),
      cursor: rows.at(-1)?.commit_ord ?? q.cursor,
    };
  } catch (err) {
    throw pgStoreError(err, 'readings');
  }
}
