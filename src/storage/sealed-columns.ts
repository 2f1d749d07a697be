import {
  deviceSecretIdentity,
  notifyCredentialIdentity,
  type SealPurpose,
  totpSecretIdentity,
} from '../keys/master-key.ts';

/**
 * Every value sealed under the master key inside the database: table, column, purpose and the
 * identity of its row (`MasterKey.seal`), the primary key to update it by, and which rows hold a
 * sealed value (`where`). A master-key rotation and a restore re-seal each under the new master
 * key to the same identity, on either engine (sqlite-reseal.ts, postgres-reseal.ts);
 * `sqlite-snapshots.test.ts` and `test/master-key-rotation-postgres.test.ts` fail when a `*_enc` or `sealed` column
 * is missing here.
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
