import type { SqliteMigration } from './sqlite-migrations.ts';

/**
 * The key and certificate lifecycle tables: durable commands and the downlink seq
 * (src/commands), device secret rotations (src/keys/rotation-store.ts), claim-based provisioning
 * (src/claims).
 */
export const LIFECYCLE_MIGRATION: SqliteMigration = {
  version: 13,
  name: 'commands and key lifecycle',
  sql: `
-- Durable server -> device commands (docs/protocol.md §7.3). n keeps the queue order.
CREATE TABLE commands (
  n INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  device_id TEXT NOT NULL REFERENCES devices (id),
  op TEXT NOT NULL,
  args TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('queued', 'sent', 'acked', 'expired')),
  outcome TEXT CHECK (outcome IN ('ok', 'error')),
  error TEXT,
  result TEXT,
  created_by TEXT NOT NULL,
  reason TEXT,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  sent_at INTEGER,
  send_count INTEGER NOT NULL,
  downlink_seq INTEGER,
  acked_at INTEGER,
  updated_at INTEGER NOT NULL,
  CHECK ((state = 'acked') = (outcome IS NOT NULL))
) STRICT;
CREATE INDEX commands_device ON commands (device_id, n);
CREATE INDEX commands_pending ON commands (state, expires_at) WHERE state IN ('queued', 'sent');

-- The server's downlink seq per device: persisted, strictly increasing, never reused.
CREATE TABLE downlink_seq (
  device_id TEXT PRIMARY KEY REFERENCES devices (id),
  next_seq INTEGER NOT NULL CHECK (next_seq >= 0)
) STRICT, WITHOUT ROWID;

-- Device secret rotations (docs/protocol.md §12): one row per new kid.
CREATE TABLE key_rotations (
  device_id TEXT NOT NULL REFERENCES devices (id),
  kid INTEGER NOT NULL,
  from_kid INTEGER NOT NULL,
  command_id TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('pending', 'acked', 'completed', 'failed')),
  started_at INTEGER NOT NULL,
  acked_at INTEGER,
  completed_at INTEGER,
  error TEXT,
  started_by TEXT NOT NULL,
  PRIMARY KEY (device_id, kid)
) STRICT, WITHOUT ROWID;
CREATE INDEX key_rotations_state ON key_rotations (state);

-- Claim-based provisioning (docs/protocol.md §14): shared claim certificates per factory batch,
-- claims by device serial, claim nonces seen (replays), and quarantined unknown identities.
CREATE TABLE claim_batches (
  name TEXT PRIMARY KEY,
  cert_serial TEXT NOT NULL UNIQUE,
  cert_pem TEXT NOT NULL,
  max_uses INTEGER NOT NULL CHECK (max_uses >= 1),
  uses INTEGER NOT NULL CHECK (uses >= 0),
  expires_at INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  created_by TEXT NOT NULL,
  revoked_at INTEGER
) STRICT, WITHOUT ROWID;

CREATE TABLE claims (
  serial TEXT PRIMARY KEY,
  batch TEXT NOT NULL REFERENCES claim_batches (name),
  profile TEXT NOT NULL,
  csr TEXT NOT NULL,
  key_fp TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('pending', 'approved', 'refused')),
  device_id TEXT,
  reply TEXT,
  attempts INTEGER NOT NULL,
  received_at INTEGER NOT NULL,
  last_seen_at INTEGER NOT NULL,
  address TEXT,
  decided_at INTEGER,
  decided_by TEXT,
  CHECK ((state = 'pending') = (decided_at IS NULL))
) STRICT, WITHOUT ROWID;
CREATE INDEX claims_state ON claims (state, received_at);

CREATE TABLE claim_nonces (
  nonce TEXT PRIMARY KEY,
  serial TEXT NOT NULL,
  at INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

CREATE TABLE quarantine (
  cn TEXT NOT NULL,
  cert_serial TEXT NOT NULL,
  attempts INTEGER NOT NULL,
  first_seen INTEGER NOT NULL,
  last_seen INTEGER NOT NULL,
  last_address TEXT,
  PRIMARY KEY (cn, cert_serial)
) STRICT, WITHOUT ROWID;
`,
};
