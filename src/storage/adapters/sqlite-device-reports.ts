import {
  type DeviceReports,
  type FirmwareReport,
  type OutputReport,
  RUNNING_VERSION_STATES,
} from '../../ota/device-reports.ts';
import type { SqliteDatabase, SqliteScope } from './sqlite-database.ts';

interface ReportRow {
  value: string | number;
  value_type: string;
  ts: number;
  received_at: number;
}

// Written exactly as the index `messages_event_kind` (migration 16) and with its `channel =
// 'events'` condition, so that SQLite can seek it: (device, type[, name]) then newest `ts` first.
// INDEXED BY because without statistics the planner may walk all of a device's events by time
// instead (and the statement fails loudly, rather than slowly, should the index ever be missing).
const KIND = `channel = 'events' AND device_id = ? AND json_extract(body, '$.type') = ?`;

export const FIRMWARE_SQL = `SELECT json_extract(body, '$.version') AS value, json_type(body, '$.version') AS value_type,
    ts, received_at FROM messages INDEXED BY messages_event_kind
  WHERE ${KIND} AND json_extract(body, '$.state') IN (${RUNNING_VERSION_STATES.map(() => '?').join(', ')})
    AND json_type(body, '$.version') = 'text'
  ORDER BY ts DESC, seq DESC LIMIT 1`;

export const OUTPUT_SQL = `SELECT json_extract(body, '$.value') AS value, json_type(body, '$.value') AS value_type,
    ts, received_at FROM messages INDEXED BY messages_event_kind
  WHERE ${KIND} AND json_extract(body, '$.name') = ?
    AND json_type(body, '$.value') IN ('integer', 'real', 'true', 'false')
  ORDER BY ts DESC, seq DESC LIMIT 1`;

/**
 * Device reports on the store's connection, read from the `messages` table ingest writes
 * (src/ota/device-reports.ts): nothing derived is kept, so nothing can go stale.
 */
export class SqliteDeviceReports implements DeviceReports {
  readonly #q: SqliteScope;

  constructor(db: SqliteDatabase) {
    this.#q = db.scope('device-reports');
  }

  async firmware(deviceIds: readonly string[]): Promise<FirmwareReport[]> {
    const out: FirmwareReport[] = [];
    for (const deviceId of new Set(deviceIds)) {
      const r = this.#q.one<ReportRow>(FIRMWARE_SQL, deviceId, 'ota', ...RUNNING_VERSION_STATES);
      if (r) out.push({ deviceId, version: String(r.value), ts: r.ts, receivedAt: r.received_at });
    }
    return out;
  }

  async outputs(deviceId: string, names: readonly string[]): Promise<OutputReport[]> {
    const out: OutputReport[] = [];
    for (const name of new Set(names)) {
      const r = this.#q.one<ReportRow>(OUTPUT_SQL, deviceId, 'output', name);
      if (!r) continue;
      const value = r.value_type === 'true' ? true : r.value_type === 'false' ? false : Number(r.value);
      out.push({ name, value, ts: r.ts, receivedAt: r.received_at });
    }
    return out;
  }
}
