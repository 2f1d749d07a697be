import { VigilError } from '../../errors.ts';
import { type SqliteScope, sqliteCode } from './sqlite-database.ts';

/**
 * `Store.deleteDevice` on SQLite: the device row and its keys in one transaction. Readings,
 * events, replay state and shipments refer to `devices (id)` with enforced foreign keys, so a
 * device that has delivered anything or carries a shipment cannot be deleted (the transaction
 * rolls back and nothing changes).
 */
export function deleteDeviceRows(q: SqliteScope, id: string): void {
  q.write(() => {
    if (!q.one('SELECT 1 FROM devices WHERE id = ?', id)) {
      throw new VigilError('VIGIL_ERR_NOT_FOUND', `device ${id}`);
    }
    try {
      q.stmt('DELETE FROM device_keys WHERE device_id = ?').run(id);
      q.stmt('DELETE FROM devices WHERE id = ?').run(id);
    } catch (err) {
      if (sqliteCode(err) === 'SQLITE_CONSTRAINT_FOREIGNKEY') {
        throw new VigilError('VIGIL_ERR_DEVICE_IN_USE', `device ${id} has readings, events or shipments`);
      }
      throw err;
    }
  });
}
