import type { DeviceLabelRecord, DeviceLabelStore } from '../../device-labels/device-label-store.ts';
import { VigilError } from '../../errors.ts';
import type { DeviceLabels } from '../../protocol/device-labels.ts';
import type { ColumnCipher } from './postgres-cipher.ts';
import type { PostgresDatabase } from './postgres-database.ts';
import { pgOps, pgStoreError } from './postgres-store-rows.ts';

interface Row {
  device_id: string;
  bed: Buffer | null;
  ward: Buffer | null;
  updated_at: number;
  updated_by: string;
}

/**
 * The `DeviceLabelStore` port on PostgreSQL (migration 8). Bed and ward are encrypted with the
 * device id as the row identity, so a label copied to another device's row does not open.
 */
export class PostgresDeviceLabelStore implements DeviceLabelStore {
  readonly #db: PostgresDatabase;
  readonly #ops: ReturnType<typeof pgOps>;

  constructor(db: PostgresDatabase) {
    this.#db = db;
    this.#ops = pgOps(db, (err) => pgStoreError(err, 'device_labels'));
  }

  get #cipher(): ColumnCipher {
    return this.#db.cipher;
  }

  #record(r: Row): DeviceLabelRecord {
    return {
      deviceId: r.device_id,
      bed: this.#cipher.decryptNullable<string>('device_labels.bed', r.device_id, r.bed),
      ward: this.#cipher.decryptNullable<string>('device_labels.ward', r.device_id, r.ward),
      updatedAt: r.updated_at,
      updatedBy: r.updated_by,
    };
  }

  async getLabels(deviceId: string): Promise<DeviceLabelRecord | null> {
    const r = await this.#ops.q<Row>('SELECT * FROM device_labels WHERE device_id = $1', [deviceId]);
    return r[0] ? this.#record(r[0]) : null;
  }

  async listLabels(): Promise<DeviceLabelRecord[]> {
    const rows = await this.#ops.q<Row>('SELECT * FROM device_labels ORDER BY device_id', []);
    return rows.map((r) => this.#record(r));
  }

  async setLabels(
    deviceId: string,
    labels: DeviceLabels,
    at: number,
    by: string,
  ): Promise<DeviceLabelRecord | null> {
    return this.#ops.tx(async (c) => {
      // Locks the device row: a concurrent delete waits, so labels never outlive their device.
      const found = await c.query('SELECT 1 FROM devices WHERE id = $1 FOR SHARE', [deviceId]);
      if (found.rowCount === 0) throw new VigilError('VIGIL_ERR_NOT_FOUND', `device ${deviceId}`);
      if (labels.bed === null && labels.ward === null) {
        await c.query('DELETE FROM device_labels WHERE device_id = $1', [deviceId]);
        return null;
      }
      await c.query(
        `INSERT INTO device_labels (device_id, bed, ward, updated_at, updated_by) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (device_id) DO UPDATE SET bed = excluded.bed, ward = excluded.ward,
           updated_at = excluded.updated_at, updated_by = excluded.updated_by`,
        [
          deviceId,
          this.#cipher.encryptNullable('device_labels.bed', deviceId, labels.bed),
          this.#cipher.encryptNullable('device_labels.ward', deviceId, labels.ward),
          at,
          by,
        ],
      );
      return { deviceId, bed: labels.bed, ward: labels.ward, updatedAt: at, updatedBy: by };
    });
  }
}
