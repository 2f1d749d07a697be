import type { SqliteMigration } from './sqlite-migrations.ts';

/**
 * Bed and ward labels of patient monitors (src/device-labels/device-label-store.ts). One row per
 * labelled device; it goes with the device (ON DELETE CASCADE). The file is encrypted as a whole,
 * labels included.
 */
export const DEVICE_LABEL_MIGRATION: SqliteMigration = {
  version: 17,
  name: 'device bed and ward labels',
  sql: `
CREATE TABLE device_labels (
  device_id TEXT PRIMARY KEY REFERENCES devices (id) ON DELETE CASCADE,
  bed TEXT CHECK (bed IS NULL OR length(bed) BETWEEN 1 AND 40),
  ward TEXT CHECK (ward IS NULL OR length(ward) BETWEEN 1 AND 40),
  updated_at INTEGER NOT NULL,
  updated_by TEXT NOT NULL,
  CHECK (bed IS NOT NULL OR ward IS NOT NULL)
) STRICT, WITHOUT ROWID;
`,
};
