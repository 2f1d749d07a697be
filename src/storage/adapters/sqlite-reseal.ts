import {
  deviceSecretIdentity,
  notifyCredentialIdentity,
  type SealPurpose,
  totpSecretIdentity,
} from '../../keys/master-key.ts';
import type { Reseal } from '../database-snapshots.ts';
import type { SqliteDatabase } from './sqlite-database.ts';
import { quoteIdent } from './sqlite-snapshot-facts.ts';

/**
 * Every value sealed under the master key inside the database: table, column, purpose and the
 * identity of its row (`MasterKey.seal`), the primary key to update it by, and which rows hold a
 * sealed value (`where`). A master-key rotation and a restore re-seal each under the new master
 * key to the same identity; `sqlite-snapshots.test.ts` fails when a `*_enc` or `sealed` column is
 * missing here.
 */
export const SEALED_COLUMNS: readonly {
  table: string;
  column: string;
  purpose: SealPurpose;
  key: readonly string[];
  identity: (row: Record<string, unknown>) => string;
  where?: string;
}[] = [
  {
    table: 'device_keys',
    column: 'secret_enc',
    purpose: 'device-secret',
    key: ['device_id', 'kid'],
    identity: (r) => deviceSecretIdentity(String(r.device_id), Number(r.kid)),
  },
  {
    table: 'users',
    column: 'totp_secret_enc',
    purpose: 'totp-secret',
    key: ['name'],
    identity: (r) => totpSecretIdentity(String(r.name)),
  },
  {
    table: 'users',
    column: 'totp_pending_enc',
    purpose: 'totp-secret',
    key: ['name'],
    identity: (r) => totpSecretIdentity(String(r.name)),
  },
  {
    // Channel credentials and webhook secrets, each sealed to its row name; the VAPID public key
    // shares the table in clear (SECRET_NAMES in src/notifications/channels/channel-settings.ts).
    table: 'notify_secrets',
    column: 'sealed',
    purpose: 'notify-credential',
    key: ['name'],
    identity: (r) => notifyCredentialIdentity(String(r.name)),
    where: `name <> 'push.vapid-public-key'`,
  },
];

/**
 * Passes every sealed value of the database through `reseal` (same purpose, same row identity,
 * the new master key) in one transaction; a value `reseal` returns unchanged (already under the
 * new key, when a rotation is finished after a crash) is not written. Tables an older schema
 * lacks are skipped. Returns how many values changed.
 */
export function resealSqlite(db: SqliteDatabase, reseal: Reseal): number {
  const q = db.scope('reseal');
  const tables = new Set(
    q.all<{ name: string }>(`SELECT name FROM sqlite_master WHERE type = 'table'`).map((r) => r.name),
  );
  return q.write(() => {
    let changed = 0;
    for (const s of SEALED_COLUMNS) {
      if (!tables.has(s.table)) continue;
      const keyCols = s.key.map(quoteIdent).join(', ');
      const rows = q.all<Record<string, unknown>>(
        `SELECT ${keyCols}, ${quoteIdent(s.column)} AS v FROM ${quoteIdent(s.table)} WHERE ${quoteIdent(s.column)} IS NOT NULL${s.where ? ` AND ${s.where}` : ''}`,
      );
      const where = s.key.map((k) => `${quoteIdent(k)} = ?`).join(' AND ');
      const update = q.stmt(`UPDATE ${quoteIdent(s.table)} SET ${quoteIdent(s.column)} = ? WHERE ${where}`);
      for (const r of rows) {
        const blob = r.v as Buffer;
        const next = reseal(s.purpose, blob, s.identity(r));
        if (next.equals(blob)) continue;
        update.run(next, ...s.key.map((k) => r[k]));
        changed++;
      }
    }
    return changed;
  });
}
