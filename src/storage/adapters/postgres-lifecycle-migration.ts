import type { PgMigration } from './postgres-migrations.ts';

/**
 * The key and certificate lifecycle tables on PostgreSQL, as the SQLite adapter has them
 * (sqlite-lifecycle-migration.ts): durable commands and the downlink seq (src/commands), device
 * secret rotations (src/keys/rotation-store.ts), claim-based provisioning (src/claims), with
 * column encryption (postgres-cipher.ts): command arguments, results, errors and reasons, a
 * claim's CSR, reply and address, and a quarantined identity's address are ciphertext bound to
 * their row. Ids, states, serials, key fingerprints and times stay in clear for the queues.
 */
export const PG_LIFECYCLE_MIGRATION: PgMigration = {
  version: 4,
  name: 'commands and key lifecycle: commands, downlink seq, key rotations, claims, quarantine',
  sql: `
-- Durable server -> device commands (docs/protocol.md §7.3). n keeps the queue order.
CREATE TABLE commands (
  n bigserial PRIMARY KEY,
  id text NOT NULL UNIQUE,
  device_id text NOT NULL REFERENCES devices (id),
  op text NOT NULL,
  args bytea NOT NULL,
  state text NOT NULL CHECK (state IN ('queued', 'sent', 'acked', 'expired')),
  outcome text CHECK (outcome IN ('ok', 'error')),
  error bytea,
  result bytea,
  created_by text NOT NULL,
  reason bytea,
  created_at bigint NOT NULL,
  expires_at bigint NOT NULL,
  sent_at bigint,
  send_count integer NOT NULL,
  downlink_seq bigint,
  acked_at bigint,
  updated_at bigint NOT NULL,
  CHECK ((state = 'acked') = (outcome IS NOT NULL))
);
CREATE INDEX commands_device ON commands (device_id, n);
CREATE INDEX commands_pending ON commands (state, expires_at) WHERE state IN ('queued', 'sent');

-- The server's downlink seq per device: persisted, strictly increasing, never reused.
CREATE TABLE downlink_seq (
  device_id text PRIMARY KEY REFERENCES devices (id),
  next_seq bigint NOT NULL CHECK (next_seq >= 0)
);

-- Device secret rotations (docs/protocol.md §12): one row per new kid.
CREATE TABLE key_rotations (
  device_id text NOT NULL REFERENCES devices (id),
  kid integer NOT NULL,
  from_kid integer NOT NULL,
  command_id text NOT NULL,
  state text NOT NULL CHECK (state IN ('pending', 'acked', 'completed', 'failed')),
  started_at bigint NOT NULL,
  acked_at bigint,
  completed_at bigint,
  error text,
  started_by text NOT NULL,
  PRIMARY KEY (device_id, kid)
);
CREATE INDEX key_rotations_state ON key_rotations (state);
CREATE INDEX key_rotations_command ON key_rotations (command_id);

-- Claim-based provisioning (docs/protocol.md §14): shared claim certificates per factory batch,
-- claims by device serial, claim nonces seen (replays), and quarantined unknown identities.
CREATE TABLE claim_batches (
  name text PRIMARY KEY,
  cert_serial text NOT NULL UNIQUE,
  cert_pem text NOT NULL,
  max_uses integer NOT NULL CHECK (max_uses >= 1),
  uses integer NOT NULL CHECK (uses >= 0),
  expires_at bigint NOT NULL,
  created_at bigint NOT NULL,
  created_by text NOT NULL,
  revoked_at bigint
);

CREATE TABLE claims (
  serial text PRIMARY KEY,
  batch text NOT NULL REFERENCES claim_batches (name),
  profile text NOT NULL,
  csr bytea NOT NULL,
  key_fp text NOT NULL,
  state text NOT NULL CHECK (state IN ('pending', 'approved', 'refused')),
  device_id text,
  reply bytea,
  attempts integer NOT NULL,
  received_at bigint NOT NULL,
  last_seen_at bigint NOT NULL,
  address bytea,
  decided_at bigint,
  decided_by text,
  CHECK ((state = 'pending') = (decided_at IS NULL))
);
CREATE INDEX claims_state ON claims (state, received_at);

CREATE TABLE claim_nonces (
  nonce text PRIMARY KEY,
  serial text NOT NULL,
  at bigint NOT NULL
);

CREATE TABLE quarantine (
  cn text NOT NULL,
  cert_serial text NOT NULL,
  attempts integer NOT NULL,
  first_seen bigint NOT NULL,
  last_seen bigint NOT NULL,
  last_address bytea,
  PRIMARY KEY (cn, cert_serial)
);
`,
};

/**
 * The sinks' outbox on PostgreSQL (src/sinks/sink-outbox.ts). The ingest transaction adds one
 * entry per reading it really inserted and per matching sink (postgres-sink-fill.ts), so an
 * acknowledged reading is in every sink's outbox. An entry holds the reading's key only (its
 * values stay encrypted in `readings`); `ts` is part of it because it leads the readings' primary
 * key and partitioning, so the lookup is one index probe.
 *
 * Entry ids come from one sequence: increasing in insertion order, never reused, and taken
 * without a lock. The counts of each sink are striped over 16 rows (slot = the writing backend's
 * process id modulo 16): several ingest workers add to their own rows instead of queueing on one
 * row per sink until they commit.
 */
export const PG_SINK_MIGRATION: PgMigration = {
  version: 5,
  name: 'sink outbox: targets, device filters, entries, striped counts',
  sql: `
CREATE TABLE sink_targets (
  name text PRIMARY KEY CHECK (length(name) BETWEEN 1 AND 64),
  capacity bigint NOT NULL CHECK (capacity >= 1),
  filtered boolean NOT NULL
);

CREATE TABLE sink_target_devices (
  sink text NOT NULL REFERENCES sink_targets (name) ON DELETE CASCADE,
  device_id text NOT NULL,
  PRIMARY KEY (sink, device_id)
);

CREATE TABLE sink_outbox (
  sink text NOT NULL REFERENCES sink_targets (name) ON DELETE CASCADE,
  id bigint GENERATED ALWAYS AS IDENTITY,
  device_id text NOT NULL,
  ts bigint NOT NULL,
  seq bigint NOT NULL,
  idx integer NOT NULL,
  PRIMARY KEY (sink, id)
);

CREATE TABLE sink_counts (
  sink text NOT NULL REFERENCES sink_targets (name) ON DELETE CASCADE,
  slot smallint NOT NULL CHECK (slot >= 0 AND slot < 16),
  added bigint NOT NULL DEFAULT 0,
  removed bigint NOT NULL DEFAULT 0,
  dropped bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (sink, slot)
);
`,
};

/**
 * The gateway registry (src/gateways/gateway-store.ts, docs/gateway.md) on PostgreSQL, as the
 * SQLite adapter has it (sqlite-gateway-migration.ts). Its tables bump the registry change
 * counter like the device tables (Store.changeToken), so every process sees a `vigil gateway
 * bind|unbind|revoke|remove` made by another one. Nothing here is secret: ids, serials, public
 * certificates, bindings and revocation reasons.
 */
export const PG_GATEWAY_MIGRATION: PgMigration = {
  version: 6,
  name: 'gateways: identities, device bindings, revoked certificates',
  sql: `
CREATE TABLE gateways (
  id text PRIMARY KEY CHECK (length(id) BETWEEN 3 AND 64),
  cert_serial text NOT NULL UNIQUE,
  cert_pem text NOT NULL,
  created_at bigint NOT NULL,
  created_by text NOT NULL
);

-- Revoked gateway certificates stay on the CRL for good, also once the gateway is removed.
CREATE TABLE gateway_revocations (
  cert_serial text PRIMARY KEY,
  gateway_id text NOT NULL,
  revoked_at bigint NOT NULL,
  reason text NOT NULL
);

-- A device has at most one gateway (the primary key); a deleted device takes its binding along.
CREATE TABLE gateway_devices (
  device_id text PRIMARY KEY REFERENCES devices (id) ON DELETE CASCADE,
  gateway_id text NOT NULL REFERENCES gateways (id),
  bound_at bigint NOT NULL
);
CREATE INDEX gateway_devices_gateway ON gateway_devices (gateway_id, device_id);

CREATE TRIGGER gateways_changed AFTER INSERT OR UPDATE OR DELETE ON gateways
  FOR EACH STATEMENT EXECUTE FUNCTION registry_changed();
CREATE TRIGGER gateway_revocations_changed AFTER INSERT OR UPDATE OR DELETE ON gateway_revocations
  FOR EACH STATEMENT EXECUTE FUNCTION registry_changed();
CREATE TRIGGER gateway_devices_changed AFTER INSERT OR UPDATE OR DELETE ON gateway_devices
  FOR EACH STATEMENT EXECUTE FUNCTION registry_changed();
`,
};
