/**
 * The sinks' outbox on PostgreSQL (src/sinks/sink-outbox.ts; tables in
 * postgres-lifecycle-migration.ts). The ingest transaction fills it (SINK_FILL_SQL, in the same
 * statement that inserts the readings, then `countSinkEntries`), so a reading acknowledged to its
 * device is in every matching sink's outbox or counted as dropped. This adapter manages the
 * targets, and reads and removes entries for the sink runners.
 *
 * Pending = added - removed - dropped, summed over the sink's 16 count rows. A transaction adds
 * to its own backend's row; with several writers at once an outbox can run over its capacity by
 * what they have in flight until the next trim, never by more.
 */
import type pg from 'pg';
import type { DeviceProfile } from '../../protocol/device-profile.ts';
import type { OutboxDepth, OutboxReading, SinkOutbox, SinkTarget } from '../../sinks/sink-outbox.ts';
import type { PostgresDatabase } from './postgres-database.ts';
import { pgOps, pgStoreError, rowId } from './postgres-store-rows.ts';

/** This backend's count row of a sink. */
const SLOT = 'pg_backend_pid() % 16';

/**
 * The outbox half of the ingest statement: one entry per inserted reading (CTE `r`: its device,
 * ts, seq, idx) and matching sink, in the order of the readings' keys; yields `sink` per entry.
 */
export const SINK_FILL_SQL = `INSERT INTO sink_outbox (sink, device_id, ts, seq, idx)
  SELECT t.name, r.device_id, r.ts, r.seq, r.idx FROM r JOIN sink_targets t
    ON NOT t.filtered OR EXISTS (SELECT 1 FROM sink_target_devices x WHERE x.sink = t.name AND x.device_id = r.device_id)
  ORDER BY r.device_id, r.seq, r.idx, t.name
  RETURNING sink`;

/** Drops the `n` oldest entries of `sink` (counted as dropped); returns how many went. */
async function dropOldest(c: pg.ClientBase, sink: string, n: number): Promise<number> {
  const r = await c.query<{ n: number }>(
    `WITH gone AS (
       DELETE FROM sink_outbox WHERE sink = $1 AND id IN (
         SELECT id FROM sink_outbox WHERE sink = $1 ORDER BY id LIMIT $2 FOR UPDATE SKIP LOCKED)
       RETURNING 1)
     SELECT count(*)::int AS n FROM gone`,
    [sink, n],
  );
  const dropped = r.rows[0]?.n ?? 0;
  if (dropped > 0) await bump(c, 'dropped', [sink], [dropped]);
  return dropped;
}

async function bump(
  c: pg.ClientBase,
  col: 'added' | 'removed' | 'dropped',
  sinks: string[],
  counts: number[],
) {
  await c.query(
    `INSERT INTO sink_counts (sink, slot, ${col}) SELECT s, ${SLOT}, n FROM unnest($1::text[], $2::bigint[]) AS u(s, n)
     ON CONFLICT (sink, slot) DO UPDATE SET ${col} = sink_counts.${col} + excluded.${col}`,
    [sinks, counts],
  );
}

/** Drops the oldest entries of these sinks beyond their capacity. */
async function trim(c: pg.ClientBase, sinks: string[]): Promise<void> {
  const over = await c.query<{ name: string; excess: number }>(
    `SELECT t.name, (coalesce(sum(c.added - c.removed - c.dropped), 0) - t.capacity)::bigint AS excess
     FROM sink_targets t LEFT JOIN sink_counts c ON c.sink = t.name
     WHERE t.name = ANY($1::text[]) GROUP BY t.name, t.capacity`,
    [sinks],
  );
  for (const o of over.rows) if (o.excess > 0) await dropOldest(c, o.name, o.excess);
}

/** After SINK_FILL_SQL, in the same transaction: counts the new entries and keeps each outbox bounded. */
export async function countSinkEntries(c: pg.ClientBase, added: ReadonlyMap<string, number>): Promise<void> {
  if (added.size === 0) return;
  const sinks = [...added.keys()].sort();
  await bump(
    c,
    'added',
    sinks,
    sinks.map((s) => added.get(s) ?? 0),
  );
  await trim(c, sinks);
}

interface EntryRow {
  id: number;
  device_id: string;
  seq: number;
  idx: number;
  ts: number;
  profile: DeviceProfile | null;
  received_at: number | null;
  backfill: boolean | null;
  data: Buffer | null;
}

export class PostgresSinkOutbox implements SinkOutbox {
  readonly #db: PostgresDatabase;
  readonly #ops: ReturnType<typeof pgOps>;

  constructor(db: PostgresDatabase) {
    this.#db = db;
    this.#ops = pgOps(db, (err) => pgStoreError(err, 'sink-outbox'));
  }

  async setTargets(targets: readonly SinkTarget[]): Promise<void> {
    await this.#ops.tx(async (c) => {
      // Every process sets the targets at its start: one at a time.
      await c.query(`SELECT pg_advisory_xact_lock(hashtext(current_schema() || ':vigil-sink-targets'))`);
      // Entries, device filters and counts of a sink no longer listed go with it (cascade).
      await c.query('DELETE FROM sink_targets WHERE NOT (name = ANY($1::text[]))', [
        targets.map((t) => t.name),
      ]);
      for (const t of targets) {
        await c.query(
          `INSERT INTO sink_targets (name, capacity, filtered) VALUES ($1, $2, $3)
           ON CONFLICT (name) DO UPDATE SET capacity = excluded.capacity, filtered = excluded.filtered`,
          [t.name, t.capacity, t.devices !== null],
        );
        await c.query('DELETE FROM sink_target_devices WHERE sink = $1', [t.name]);
        if (t.devices && t.devices.length > 0) {
          await c.query(
            `INSERT INTO sink_target_devices (sink, device_id)
             SELECT $1, d FROM unnest($2::text[]) AS d ON CONFLICT DO NOTHING`,
            [t.name, [...new Set(t.devices)]],
          );
        }
      }
      // A lowered capacity applies at once: the oldest entries beyond it are dropped (counted).
      await trim(
        c,
        targets.map((t) => t.name),
      );
    });
  }

  async listTargets(): Promise<SinkTarget[]> {
    const rows = await this.#ops.q<{
      name: string;
      capacity: number;
      filtered: boolean;
      devices: string[] | null;
    }>(
      `SELECT t.name, t.capacity, t.filtered,
         (SELECT array_agg(d.device_id ORDER BY d.device_id) FROM sink_target_devices d WHERE d.sink = t.name) AS devices
       FROM sink_targets t ORDER BY t.name`,
      [],
    );
    return rows.map((r) => ({
      name: r.name,
      capacity: Number(r.capacity),
      devices: r.filtered ? (r.devices ?? []) : null,
    }));
  }

  async peek(sink: string, limit: number): Promise<OutboxReading[]> {
    const n = Math.max(1, Math.min(Math.trunc(limit), 10_000));
    const rows = await this.#ops.q<EntryRow>(
      `SELECT o.id, o.device_id, o.seq, o.idx, o.ts, d.profile, r.received_at, r.backfill, r.data
       FROM sink_outbox o
       LEFT JOIN readings r ON r.device_id = o.device_id AND r.ts = o.ts AND r.seq = o.seq AND r.idx = o.idx
       LEFT JOIN devices d ON d.id = o.device_id
       WHERE o.sink = $1 ORDER BY o.id LIMIT $2`,
      [sink, n],
    );
    // A reading gone since it was queued (retention dropped its month, its device was deleted)
    // has nothing left to send.
    const gone = rows.filter((r) => r.data === null || r.profile === null).map((r) => r.id);
    if (gone.length > 0) await this.remove(sink, gone);
    const cipher = this.#db.cipher;
    return rows
      .filter((r) => r.data !== null && r.profile !== null)
      .map((r) => ({
        id: r.id,
        deviceId: r.device_id,
        profile: r.profile as DeviceProfile,
        seq: r.seq,
        idx: r.idx,
        ts: r.ts,
        receivedAt: r.received_at as number,
        backfill: r.backfill === true,
        data: cipher.decryptJson<Record<string, unknown>>(
          'readings.data',
          rowId.reading(r.device_id, r.seq, r.idx),
          r.data as Buffer,
        ),
      }));
  }

  async remove(sink: string, ids: readonly number[]): Promise<void> {
    if (ids.length === 0) return;
    await this.#ops.tx(async (c) => {
      const r = await c.query('DELETE FROM sink_outbox WHERE sink = $1 AND id = ANY($2::bigint[])', [
        sink,
        [...ids],
      ]);
      if ((r.rowCount ?? 0) > 0) await bump(c, 'removed', [sink], [r.rowCount ?? 0]);
    });
  }

  async depth(sink: string): Promise<OutboxDepth> {
    const rows = await this.#ops.q<{ pending: number | null; dropped: number | null; oldest: number | null }>(
      `SELECT
         (SELECT sum(c.added - c.removed - c.dropped) FROM sink_counts c WHERE c.sink = t.name)::bigint AS pending,
         (SELECT sum(c.dropped) FROM sink_counts c WHERE c.sink = t.name)::bigint AS dropped,
         (SELECT r.received_at FROM sink_outbox o
            LEFT JOIN readings r ON r.device_id = o.device_id AND r.ts = o.ts AND r.seq = o.seq AND r.idx = o.idx
          WHERE o.sink = t.name ORDER BY o.id LIMIT 1) AS oldest
       FROM sink_targets t WHERE t.name = $1`,
      [sink],
    );
    const t = rows[0];
    if (!t) return { pending: 0, dropped: 0, oldestReceivedAt: null };
    return { pending: Number(t.pending ?? 0), dropped: Number(t.dropped ?? 0), oldestReceivedAt: t.oldest };
  }
}
