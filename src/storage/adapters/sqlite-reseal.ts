import {
  deviceSecretIdentity,
  notifyCredentialIdentity,
  type SealPurpose,
  totpSecretIdentity,
} from '../../keys/master-key.ts';
import { SECRET_NAMES } from '../../notifications/channels/channel-settings.ts';
import type { SqliteDatabase } from './sqlite-database.ts';

/** Re-seals one blob to the row identity it was sealed for (MasterKey.seal). */
export type Resealer = (purpose: SealPurpose, blob: Buffer, identity: string) => Buffer;

type Row = Record<string, unknown>;

/**
 * Every column that holds a blob sealed under the master key: its purpose, and the identity of
 * the row it is bound to (the same identity its reader opens it with).
 */
const SEALED_COLUMNS: readonly {
  table: string;
  key: string[];
  column: string;
  purpose: SealPurpose;
  identity: (r: Row) => string;
  /** Rows of the table that hold no sealed blob (a public key kept beside the credentials). */
  plain?: { column: string; value: string };
}[] = [
  {
    table: 'device_keys',
    key: ['device_id', 'kid'],
    column: 'secret_enc',
    purpose: 'device-secret',
    identity: (r) => deviceSecretIdentity(String(r.device_id), Number(r.kid)),
  },
  {
    table: 'users',
    key: ['name'],
    column: 'totp_secret_enc',
    purpose: 'totp-secret',
    identity: (r) => totpSecretIdentity(String(r.name)),
  },
  {
    table: 'users',
    key: ['name'],
    column: 'totp_pending_enc',
    purpose: 'totp-secret',
    identity: (r) => totpSecretIdentity(String(r.name)),
  },
  {
    table: 'notify_secrets',
    key: ['name'],
    column: 'sealed',
    purpose: 'notify-credential',
    identity: (r) => notifyCredentialIdentity(String(r.name)),
    plain: { column: 'name', value: SECRET_NAMES.vapidPublicKey },
  },
];

/**
 * Re-seals every sealed blob of the database in one transaction: `reseal` returns the blob sealed
 * under the new master key for the same purpose and row identity (or the same bytes when it
 * already is). Returns how many changed.
 */
export function resealSqlite(db: SqliteDatabase, reseal: Resealer): number {
  const q = db.scope('reseal');
  return q.write(() => {
    let changed = 0;
    for (const c of SEALED_COLUMNS) {
      const keyCols = c.key.join(', ');
      const rows = q.all<Row>(
        `SELECT ${keyCols}, ${c.column} AS blob FROM ${c.table} WHERE ${c.column} IS NOT NULL` +
          (c.plain ? ` AND ${c.plain.column} <> ?` : ''),
        ...(c.plain ? [c.plain.value] : []),
      );
      const upd = q.stmt(
        `UPDATE ${c.table} SET ${c.column} = ? WHERE ${c.key.map((k) => `${k} = ?`).join(' AND ')}`,
      );
      for (const r of rows) {
        const blob = r.blob as Buffer;
        const next = reseal(c.purpose, blob, c.identity(r));
        if (next.equals(blob)) continue;
        upd.run(next, ...c.key.map((k) => r[k]));
        changed++;
      }
    }
    return changed;
  });
}
