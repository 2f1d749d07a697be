import type { SqliteMigration } from './sqlite-migrations.ts';

/**
 * Firmware uploads and OTA campaigns (src/ota, docs/ota.md), and an index for what devices report
 * about themselves in their events (src/ota/device-reports.ts).
 */
export const OTA_MIGRATION: SqliteMigration = {
  version: 16,
  name: 'firmware, OTA campaigns, device report index',
  sql: `
-- Uploaded firmware: the verified manifest; the image lies in the data directory by its SHA-256.
CREATE TABLE firmware (
  version TEXT PRIMARY KEY,
  profile TEXT NOT NULL,
  manifest TEXT NOT NULL,
  added_by TEXT NOT NULL,
  added_at INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

CREATE TABLE ota_campaigns (
  n INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  version TEXT NOT NULL REFERENCES firmware (version),
  target TEXT NOT NULL,
  wave_pct INTEGER NOT NULL CHECK (wave_pct BETWEEN 1 AND 100),
  max_failures_pct INTEGER NOT NULL CHECK (max_failures_pct BETWEEN 0 AND 100),
  state TEXT NOT NULL CHECK (state IN ('running', 'paused', 'aborted', 'completed')),
  waves_released INTEGER NOT NULL,
  -- Failures an operator accepted by resuming: the threshold counts only those after them.
  failures_accepted INTEGER NOT NULL,
  reason TEXT,
  created_by TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
) STRICT;
CREATE INDEX ota_campaigns_state ON ota_campaigns (state);

CREATE TABLE ota_campaign_devices (
  campaign_id TEXT NOT NULL REFERENCES ota_campaigns (id),
  device_id TEXT NOT NULL REFERENCES devices (id),
  wave INTEGER NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('pending', 'sent', 'downloading', 'installing', 'succeeded', 'failed', 'cancelled')),
  command_id TEXT,
  progress_pct INTEGER NOT NULL,
  error TEXT,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (campaign_id, device_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX ota_campaign_devices_device ON ota_campaign_devices (device_id, state);

-- A device's newest event of a kind (its running firmware version, each output's state) in one
-- seek: src/storage/adapters/sqlite-device-reports.ts writes these expressions identically.
CREATE INDEX messages_event_kind ON messages (
  device_id, json_extract(body, '$.type'), json_extract(body, '$.name'), ts
) WHERE channel = 'events';
`,
};
