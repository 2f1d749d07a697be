import type { DeviceProfile } from '../../protocol/device-profile.ts';
import type { OutboxDepth, OutboxReading, SinkOutbox, SinkTarget } from '../../sinks/sink-outbox.ts';
import type { SqliteDatabase, SqliteScope } from './sqlite-database.ts';

interface TargetRow {
  name: string;
  capacity: number;
  filtered: number;
  pending: number;
  dropped: number;
}

interface EntryRow {
  id: number;
  device_id: string;
  seq: number;
  idx: number;
  profile: DeviceProfile | null;
  ts: number | null;
  received_at: number | null;
  backfill: number | null;
  data: string | null;
}

/**
 * The sink outbox on the shared SQLite connection. The outbox itself is filled by the trigger of
 * the sink outbox migration (src/storage/adapters/sqlite-sink-migration.ts) inside the readings' transaction;
 * this adapter manages the targets and reads and removes entries.
 */
export class SqliteSinkOutbox implements SinkOutbox {
  readonly #q: SqliteScope;

  constructor(db: SqliteDatabase) {
    this.#q = db.scope('sink-outbox');
  }

  async setTargets(targets: readonly SinkTarget[]): Promise<void> {
    this.#q.write(() => {
      const keep = new Set(targets.map((t) => t.name));
      for (const name of this.#q.stmt('SELECT name FROM sink_targets').pluck().all() as string[]) {
        if (keep.has(name)) continue;
        this.#q.stmt('DELETE FROM sink_outbox WHERE sink = ?').run(name);
        this.#q.stmt('DELETE FROM sink_target_devices WHERE sink = ?').run(name);
        this.#q.stmt('DELETE FROM sink_targets WHERE name = ?').run(name);
      }
      for (const t of targets) {
        this.#q
          .stmt(
            `INSERT INTO sink_targets (name, capacity, filtered) VALUES (?, ?, ?)
             ON CONFLICT (name) DO UPDATE SET capacity = excluded.capacity, filtered = excluded.filtered`,
          )
          .run(t.name, t.capacity, t.devices ? 1 : 0);
        this.#q.stmt('DELETE FROM sink_target_devices WHERE sink = ?').run(t.name);
        for (const d of new Set(t.devices ?? [])) {
          this.#q.stmt('INSERT INTO sink_target_devices (sink, device_id) VALUES (?, ?)').run(t.name, d);
        }
        // A lowered capacity applies at once: the oldest entries beyond it are dropped (counted).
        const over = this.#pending(t.name) - t.capacity;
        if (over > 0) this.#dropOldest(t.name, over);
      }
    });
  }

  #pending(sink: string): number {
    return (
      (this.#q.stmt('SELECT pending FROM sink_targets WHERE name = ?').pluck().get(sink) as
        | number
        | undefined) ?? 0
    );
  }

  #dropOldest(sink: string, n: number): void {
    const removed = this.#q
      .stmt(
        `DELETE FROM sink_outbox WHERE sink = ? AND id IN
           (SELECT id FROM sink_outbox WHERE sink = ? ORDER BY id LIMIT ?)`,
      )
      .run(sink, sink, n).changes;
    this.#q
      .stmt('UPDATE sink_targets SET pending = pending - ?, dropped = dropped + ? WHERE name = ?')
      .run(removed, removed, sink);
  }

  async listTargets(): Promise<SinkTarget[]> {
    const rows = this.#q.all<TargetRow>('SELECT * FROM sink_targets ORDER BY name');
    return rows.map((r) => ({
      name: r.name,
      capacity: r.capacity,
      devices: r.filtered
        ? (this.#q
            .stmt('SELECT device_id FROM sink_target_devices WHERE sink = ? ORDER BY device_id')
            .pluck()
            .all(r.name) as string[])
        : null,
    }));
  }

  async peek(sink: string, limit: number): Promise<OutboxReading[]> {
    const n = Math.max(1, Math.min(Math.trunc(limit), 10_000));
    const rows = this.#q.all<EntryRow>(
      `SELECT o.id, o.device_id, o.seq, o.idx, d.profile, r.ts, r.received_at, r.backfill, r.data
       FROM sink_outbox o
       LEFT JOIN readings r ON r.device_id = o.device_id AND r.seq = o.seq AND r.idx = o.idx
       LEFT JOIN devices d ON d.id = o.device_id
       WHERE o.sink = ? ORDER BY o.id LIMIT ?`,
      sink,
      n,
    );
    const gone = rows.filter((r) => r.data === null || r.profile === null).map((r) => r.id);
    // A reading deleted since it was queued (its device was deleted) has nothing left to send.
    if (gone.length > 0) await this.remove(sink, gone);
    return rows
      .filter((r) => r.data !== null && r.profile !== null)
      .map((r) => ({
        id: r.id,
        deviceId: r.device_id,
        profile: r.profile as DeviceProfile,
        seq: r.seq,
        idx: r.idx,
        ts: r.ts as number,
        receivedAt: r.received_at as number,
        backfill: r.backfill === 1,
        data: JSON.parse(r.data as string) as Record<string, unknown>,
      }));
  }

  async remove(sink: string, ids: readonly number[]): Promise<void> {
    if (ids.length === 0) return;
    this.#q.write(() => {
      const del = this.#q.stmt('DELETE FROM sink_outbox WHERE sink = ? AND id = ?');
      let removed = 0;
      for (const id of ids) removed += del.run(sink, id).changes;
      this.#q.stmt('UPDATE sink_targets SET pending = pending - ? WHERE name = ?').run(removed, sink);
    });
  }

  async depth(sink: string): Promise<OutboxDepth> {
    const t = this.#q.one<TargetRow>('SELECT * FROM sink_targets WHERE name = ?', sink);
    if (!t) return { pending: 0, dropped: 0, oldestReceivedAt: null };
    const oldest = this.#q.one<{ received_at: number | null }>(
      `SELECT r.received_at FROM sink_outbox o
       LEFT JOIN readings r ON r.device_id = o.device_id AND r.seq = o.seq AND r.idx = o.idx
       WHERE o.sink = ? ORDER BY o.id LIMIT 1`,
      sink,
    );
    return { pending: t.pending, dropped: t.dropped, oldestReceivedAt: oldest?.received_at ?? null };
  }
}
