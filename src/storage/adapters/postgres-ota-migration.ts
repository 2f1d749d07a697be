import type { PgMigration } from './postgres-migrations.ts';

/** Bytes of one stored piece of a firmware image (postgres-firmware-images.ts). */
export const PG_IMAGE_CHUNK_BYTES = 256 * 1024;

/**
 * Firmware uploads, their images and OTA campaigns on PostgreSQL (docs/ota.md), the same as the
 * SQLite adapter's migration 16 (sqlite-ota-migration.ts) but for the images, which live here
 * rather than in one machine's data directory, so every `--role all` process serves the same
 * bytes and the database's backup carries them. Nothing here is secret (manifests and images
 * are public to every device of the profile); what an operator of the database could alter
 * undetected is authenticated instead: each firmware row and each image chunk carries an
 * HMAC under the data key (ColumnCipher.mac), checked on every read.
 */
export const PG_OTA_MIGRATION: PgMigration = {
  version: 7,
  name: 'firmware, images in chunks, OTA campaigns, device report index',
  sql: `
CREATE TABLE firmware (
  version text PRIMARY KEY,
  profile text NOT NULL,
  manifest text NOT NULL,
  added_by text NOT NULL,
  added_at bigint NOT NULL,
  mac bytea NOT NULL
);

-- An image by its SHA-256; its bytes in chunks of chunk_bytes (the last one shorter), so a Range
-- request reads only the chunks it covers.
CREATE TABLE firmware_images (
  sha256 text PRIMARY KEY CHECK (sha256 ~ '^[0-9a-f]{64}$'),
  size bigint NOT NULL CHECK (size >= 0),
  chunk_bytes integer NOT NULL CHECK (chunk_bytes > 0),
  mac bytea NOT NULL
);
CREATE TABLE firmware_chunks (
  sha256 text NOT NULL REFERENCES firmware_images (sha256),
  n integer NOT NULL CHECK (n >= 0),
  data bytea NOT NULL,
  mac bytea NOT NULL,
  PRIMARY KEY (sha256, n)
);
-- Firmware images are mostly compressed already: TOAST does not try to compress chunks again.
ALTER TABLE firmware_chunks ALTER COLUMN data SET STORAGE EXTERNAL;

CREATE TABLE ota_campaigns (
  n bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  id text NOT NULL UNIQUE,
  version text NOT NULL REFERENCES firmware (version),
  target text NOT NULL,
  wave_pct integer NOT NULL CHECK (wave_pct BETWEEN 1 AND 100),
  max_failures_pct integer NOT NULL CHECK (max_failures_pct BETWEEN 0 AND 100),
  state text NOT NULL CHECK (state IN ('running', 'paused', 'aborted', 'completed')),
  waves_released integer NOT NULL,
  failures_accepted integer NOT NULL,
  reason text,
  created_by text NOT NULL,
  created_at bigint NOT NULL,
  updated_at bigint NOT NULL
);
CREATE INDEX ota_campaigns_state ON ota_campaigns (state);

CREATE TABLE ota_campaign_devices (
  campaign_id text NOT NULL REFERENCES ota_campaigns (id),
  device_id text NOT NULL REFERENCES devices (id),
  wave integer NOT NULL,
  state text NOT NULL CHECK (state IN ('pending', 'sent', 'downloading', 'installing', 'succeeded', 'failed', 'cancelled')),
  command_id text,
  progress_pct integer NOT NULL,
  error text,
  updated_at bigint NOT NULL,
  PRIMARY KEY (campaign_id, device_id)
);
CREATE INDEX ota_campaign_devices_device ON ota_campaign_devices (device_id, state);

-- Event bodies are encrypted here, so a device's reports (its running firmware, its outputs) are
-- found by walking its events newest first (postgres-device-reports.ts): this index gives that
-- order without a sort.
CREATE INDEX messages_events_newest ON messages (device_id, ts DESC, seq DESC) WHERE channel = 'events';
`,
};
