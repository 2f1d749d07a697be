import type { DeviceLabelRecord, DeviceLabelStore } from '../../device-labels/device-label-store.ts';
import { VigilError } from '../../errors.ts';
import type { DeviceLabels } from '../../protocol/device-labels.ts';
import type { SqliteDatabase, SqliteScope } from './sqlite-database.ts';

interface Row {
  device_id: string;
  bed: string | null;
  ward: string | null;
  updated_at: number;
  updated_by: string;
}

const toRecord = (r: Row): DeviceLabelRecord => ({
  deviceId: r.device_id,
  bed: r.bed,
  ward: r.ward,
  updatedAt: r.updated_at,
  updatedBy: r.updated_by,
});

/** Bed and ward labels on the store's connection (migration 17). */
export class SqliteDeviceLabelStore implements DeviceLabelStore {
  readonly #q: SqliteScope;

  constructor(db: SqliteDatabase) {
    this.#q = db.scope('device_labels');
  }

  async getLabels(deviceId: string): Promise<DeviceLabelRecord | null> {
    const r = this.#q.one<Row>('SELECT * FROM device_labels WHERE device_id = ?', deviceId);
    return r ? toRecord(r) : null;
  }

  async listLabels(): Promise<DeviceLabelRecord[]> {
    return this.#q.all<Row>('SELECT * FROM device_labels ORDER BY device_id').map(toRecord);
  }

  async setLabels(
    deviceId: string,
    labels: DeviceLabels,
    at: number,
    by: string,
  ): Promise<DeviceLabelRecord | null> {
    return this.#q.write(() => {
      if (!this.#q.one('SELECT 1 FROM devices WHERE id = ?', deviceId))
        throw new VigilError('VIGIL_ERR_NOT_FOUND', `device ${deviceId}`);
      if (labels.bed === null && labels.ward === null) {
        this.#q.stmt('DELETE FROM device_labels WHERE device_id = ?').run(deviceId);
        return null;
      }
      this.#q
        .stmt(
          `INSERT INTO device_labels (device_id, bed, ward, updated_at, updated_by) VALUES (?, ?, ?, ?, ?)
           ON CONFLICT (device_id) DO UPDATE SET bed = excluded.bed, ward = excluded.ward,
             updated_at = excluded.updated_at, updated_by = excluded.updated_by`,
        )
        .run(deviceId, labels.bed, labels.ward, at, by);
      return { deviceId, bed: labels.bed, ward: labels.ward, updatedAt: at, updatedBy: by };
    });
  }
}
