import type { PgMigration } from './postgres-migrations.ts';

/**
 * Bed and ward labels of patient monitors (src/device-labels/device-label-store.ts) on
 * PostgreSQL, as the SQLite adapter has them (sqlite-device-label-migration.ts). A bed and a ward
 * place a patient: both are column-encrypted (postgres-cipher.ts, bound to the device id), so
 * their length checks live in the service (src/protocol/device-labels.ts), not here. Who set them
 * and when stay in clear, like every other actor and time. The row goes with its device.
 */
export const PG_DEVICE_LABEL_MIGRATION: PgMigration = {
  version: 8,
  name: 'device bed and ward labels (encrypted)',
  sql: `
CREATE TABLE device_labels (
  device_id text PRIMARY KEY REFERENCES devices (id) ON DELETE CASCADE,
  bed bytea,
  ward bytea,
  updated_at bigint NOT NULL,
  updated_by text NOT NULL,
  CHECK (bed IS NOT NULL OR ward IS NOT NULL)
);
`,
};
