/**
 * `storage.retentionDays` on PostgreSQL: reading partitions (one per month of sample time) whose
 * whole month is older than the retention are dropped, which costs nothing compared with deleting
 * rows. A trip's readings are part of its shipment's records, so they outlive the retention:
 * while a shipment is not over, or ended less than `storage.shipmentRetentionDays` ago, the
 * readings of its device between its dispatch and its end stay. A partition that still holds such
 * readings is trimmed to them instead of dropped, and dropped once no retained trip needs it.
 *
 * One process at a time (advisory lock); each partition in its own transaction.
 */
import type { PostgresDatabase } from './postgres-database.ts';

const DAY_MS = 86_400_000;

export interface RetentionOptions {
  now: number;
  retentionDays: number;
  shipmentRetentionDays: number;
}

export interface RetentionResult {
  /** Partitions dropped (`2026m01`, ...). */
  dropped: string[];
  /** Partitions kept for retained trips, with the rows deleted from them. */
  trimmed: { name: string; deleted: number }[];
}

/** Readings of partition `p` that a retained shipment needs (`$1`: oldest end still retained). */
const NEEDED = (p: string) => `
  SELECT 1 FROM shipments s
  WHERE s.device_id = r.device_id AND s.dispatch_at IS NOT NULL AND r.ts >= s.dispatch_at
    AND r.ts <= coalesce(s.delivery_at, s.closed_at, ${Number.MAX_SAFE_INTEGER})
    AND (coalesce(s.delivery_at, s.closed_at) IS NULL OR coalesce(s.delivery_at, s.closed_at) >= $1)
    AND r.device_id IS NOT NULL /* readings_${p} */`;

export async function applyReadingRetention(
  db: PostgresDatabase,
  o: RetentionOptions,
): Promise<RetentionResult> {
  const cutoff = o.now - o.retentionDays * DAY_MS;
  const tripCutoff = o.now - o.shipmentRetentionDays * DAY_MS;
  const out: RetentionResult = { dropped: [], trimmed: [] };
  for (const p of await db.listPartitions()) {
    if (p.to > cutoff) continue;
    const table = `readings_${p.name}`;
    await db.tx(async ({ client }) => {
      const got = await client.query<{ locked: boolean }>(
        `SELECT pg_try_advisory_xact_lock(hashtext(current_schema() || ':vigil-retention')) AS locked`,
      );
      if (!got.rows[0]?.locked) return;
      const del = await client.query(`DELETE FROM ${table} r WHERE NOT EXISTS (${NEEDED(p.name)})`, [
        tripCutoff,
      ]);
      const left = await client.query(`SELECT 1 FROM ${table} LIMIT 1`);
      if (left.rowCount === 0) {
        await client.query(`DROP TABLE ${table}`);
        out.dropped.push(p.name);
      } else {
        out.trimmed.push({ name: p.name, deleted: del.rowCount ?? 0 });
      }
    });
    if (out.dropped.includes(p.name)) db.forgetPartition(p.name);
  }
  return out;
}
