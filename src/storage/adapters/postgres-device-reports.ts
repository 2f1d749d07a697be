import {
  type DeviceReports,
  type FirmwareReport,
  type OutputReport,
  RUNNING_VERSION_STATES,
} from '../../ota/device-reports.ts';
import type { PostgresDatabase } from './postgres-database.ts';
import { type PgMessageRow, pgMessage, pgOps, pgStoreError } from './postgres-store-rows.ts';

/** Events decrypted per query while walking a device's events. */
const PAGE = 200;

type Body = Record<string, unknown>;

const RUNNING = new Set<unknown>(RUNNING_VERSION_STATES);

/**
 * Device reports on PostgreSQL, read from the `messages` table ingest writes, like the SQLite
 * adapter: nothing derived is kept, so nothing can go stale. Event bodies are column-encrypted
 * here (docs/security.md), so the database cannot look inside them: each answer walks the
 * device's events newest first (index `messages_events_newest`, pg migration 7), a page at a
 * time, and stops at the first that matches. A device's events are few beside its readings;
 * a device that never reported costs one walk over its events.
 */
export class PostgresDeviceReports implements DeviceReports {
  readonly #db: PostgresDatabase;
  readonly #ops: ReturnType<typeof pgOps>;

  constructor(db: PostgresDatabase) {
    this.#db = db;
    this.#ops = pgOps(db, (err) => pgStoreError(err, 'device-reports'));
  }

  async firmware(deviceIds: readonly string[]): Promise<FirmwareReport[]> {
    const out: FirmwareReport[] = [];
    for (const deviceId of new Set(deviceIds)) {
      const hit = await this.#newest(
        deviceId,
        (b) => b.type === 'ota' && RUNNING.has(b.state) && typeof b.version === 'string',
      );
      if (hit)
        out.push({ deviceId, version: hit.body.version as string, ts: hit.ts, receivedAt: hit.receivedAt });
    }
    return out;
  }

  async outputs(deviceId: string, names: readonly string[]): Promise<OutputReport[]> {
    const out: OutputReport[] = [];
    for (const name of new Set(names)) {
      const hit = await this.#newest(
        deviceId,
        (b) =>
          b.type === 'output' &&
          b.name === name &&
          ((typeof b.value === 'number' && Number.isFinite(b.value)) || typeof b.value === 'boolean'),
      );
      if (hit)
        out.push({ name, value: hit.body.value as number | boolean, ts: hit.ts, receivedAt: hit.receivedAt });
    }
    return out;
  }

  /** The device's newest event (by event time, then seq) whose body matches. */
  async #newest(
    deviceId: string,
    match: (b: Body) => boolean,
  ): Promise<{ body: Body; ts: number; receivedAt: number } | null> {
    let after: [number, number] | null = null;
    for (;;) {
      const rows: PgMessageRow[] = await this.#ops.q<PgMessageRow>(
        `SELECT device_id, seq, channel, ts, received_at, body FROM messages
         WHERE device_id = $1 AND channel = 'events' AND ($2::bigint IS NULL OR (ts, seq) < ($2, $3))
         ORDER BY ts DESC, seq DESC LIMIT ${PAGE}`,
        [deviceId, after?.[0] ?? null, after?.[1] ?? null],
      );
      for (const r of rows) {
        const m = pgMessage(this.#db.cipher, r);
        if (match(m.body)) return { body: m.body, ts: m.ts, receivedAt: m.receivedAt };
      }
      const last = rows[rows.length - 1];
      if (rows.length < PAGE || !last) return null;
      after = [last.ts, last.seq];
    }
  }
}
