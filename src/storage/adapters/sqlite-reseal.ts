import type { SealPurpose } from '../../keys/master-key.ts';
import type { SqliteDatabase } from './sqlite-database.ts';

/** Every column that holds a blob sealed under the master key, with its purpose. */
const SEALED_COLUMNS: readonly { table: string; key: string[]; column: string; purpose: SealPurpose }[] = [
  { table: 'device_keys', key: ['device_id', 'kid'], column: 'secret_enc', purpose: 'device-secret' },
  { table: 'users', key: ['name'], column: 'totp_secret_enc', purpose: 'totp-secret' },
  { table: 'users', key: ['name'], column: 'totp_pending_enc', purpose: 'totp-secret' },
];

/**
 * Re-seals every sealed blob of the database in one transaction: `reseal` returns the blob sealed
 * under the new master key (or the same bytes when it already is). Returns how many changed.
 */
export function resealSqlite(
  db: SqliteDatabase,
  reseal: (purpose: SealPurpose, blob: Buffer) => Buffer,
): number {
  const q = db.scope('reseal');
  return q.write(() => {
    let changed = 0;
    for (const c of SEALED_COLUMNS) {
      const keyCols = c.key.join(', ');
      const rows = q.all<Record<string, unknown>>(
        `SELECT ${keyCols}, ${c.column} AS blob FROM ${c.table} WHERE ${c.column} IS NOT NULL`,
      );
      const upd = q.stmt(
        `UPDATE ${c.table} SET ${c.column} = ? WHERE ${c.key.map((k) => `${k} = ?`).join(' AND ')}`,
      );
      for (const r of rows) {
        const blob = r.blob as Buffer;
        const next = reseal(c.purpose, blob);
        if (next.equals(blob)) continue;
        upd.run(next, ...c.key.map((k) => r[k]));
        changed++;
      }
    }
    return changed;
  });
}
