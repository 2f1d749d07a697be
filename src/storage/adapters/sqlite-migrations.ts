/** One schema step. Versions are applied in ascending order and never edited once released. */
export interface SqliteMigration {
  version: number;
  /** What the step does, recorded in `schema_migrations` for humans. */
  name: string;
  sql: string;
}

/**
 * The SQLite schema, as ordered steps. Tables are STRICT (type-checked columns) and timestamps
 * are INTEGER milliseconds since the Unix epoch. `schema_migrations` itself is created by the
 * migrator, not here, so that it exists before the first step is recorded.
 */
export const SQLITE_MIGRATIONS: readonly SqliteMigration[] = [
  {
    version: 1,
    name: 'initial schema',
    sql: `
CREATE TABLE devices (
  id TEXT PRIMARY KEY,
  profile TEXT NOT NULL CHECK (profile IN ('vaccine-transport', 'patient-vitals', 'temperature-probe')),
  status TEXT NOT NULL CHECK (status IN ('enabled', 'disabled', 'revoked')),
  alg TEXT NOT NULL CHECK (alg IN ('A256GCM', 'ASCON128', 'none')),
  current_kid INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  cert_serial TEXT,
  cert_not_after INTEGER,
  last_seen_at INTEGER
) STRICT;

CREATE TABLE device_keys (
  device_id TEXT NOT NULL REFERENCES devices (id),
  kid INTEGER NOT NULL CHECK (kid >= 1),
  secret_enc BLOB NOT NULL,
  created_at INTEGER NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('active', 'retired')),
  PRIMARY KEY (device_id, kid)
) STRICT, WITHOUT ROWID;

CREATE TABLE certificates (
  serial TEXT PRIMARY KEY,
  subject TEXT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('device', 'server', 'service', 'ca')),
  not_before INTEGER NOT NULL,
  not_after INTEGER NOT NULL,
  pem TEXT NOT NULL,
  revoked_at INTEGER,
  revocation_reason TEXT
) STRICT;
CREATE INDEX certificates_subject ON certificates (subject);
CREATE INDEX certificates_revoked ON certificates (revoked_at) WHERE revoked_at IS NOT NULL;

-- A rowid table on purpose: rows (the bulk of the bytes) append at the right edge of the table
-- b-tree, and only the two narrow indexes take one insert per device. Clustering on
-- (device_id, seq, idx) (WITHOUT ROWID) touched ~40% more pages per batch when many devices
-- interleave, and every touched page is re-encrypted and HMACed on commit.
CREATE TABLE readings (
  device_id TEXT NOT NULL REFERENCES devices (id),
  seq INTEGER NOT NULL,
  idx INTEGER NOT NULL,
  ts INTEGER NOT NULL,
  received_at INTEGER NOT NULL,
  backfill INTEGER NOT NULL CHECK (backfill IN (0, 1)),
  data TEXT NOT NULL,
  PRIMARY KEY (device_id, seq, idx)
) STRICT;
CREATE INDEX readings_device_ts ON readings (device_id, ts);

CREATE TABLE messages (
  device_id TEXT NOT NULL REFERENCES devices (id),
  seq INTEGER NOT NULL,
  channel TEXT NOT NULL CHECK (channel IN ('events', 'acks')),
  ts INTEGER NOT NULL,
  received_at INTEGER NOT NULL,
  body TEXT NOT NULL,
  PRIMARY KEY (device_id, seq)
) STRICT, WITHOUT ROWID;
CREATE INDEX messages_device_ts ON messages (device_id, ts);
CREATE INDEX messages_ts ON messages (ts);

CREATE TABLE replay_state (
  device_id TEXT PRIMARY KEY REFERENCES devices (id),
  highest INTEGER NOT NULL,
  bitmap BLOB NOT NULL,
  nonces BLOB NOT NULL,
  updated_at INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

CREATE TABLE audit (
  id INTEGER PRIMARY KEY,
  ts INTEGER NOT NULL,
  actor TEXT NOT NULL,
  action TEXT NOT NULL,
  object TEXT,
  detail TEXT NOT NULL,
  prev_hash TEXT NOT NULL,
  hash TEXT NOT NULL
) STRICT;
CREATE INDEX audit_ts ON audit (ts);
CREATE INDEX audit_action ON audit (action, id);

-- Append-only: rows can be added, never changed or removed (a tamperer holding the key can drop
-- these triggers, which is why the rows are also hash-chained).
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;
-- Every insert must extend the chain: next id, and prev_hash = hash of the current head.
CREATE TRIGGER audit_chain_link BEFORE INSERT ON audit
WHEN NEW.id IS NOT (SELECT coalesce(max(id), 0) + 1 FROM audit)
  OR NEW.prev_hash IS NOT coalesce((SELECT hash FROM audit ORDER BY id DESC LIMIT 1), '${'0'.repeat(64)}')
BEGIN SELECT RAISE(ABORT, 'audit entry does not extend the chain'); END;

CREATE TABLE counters (
  name TEXT PRIMARY KEY,
  count INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

CREATE TABLE meta (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
) STRICT, WITHOUT ROWID;
`,
  },
  {
    version: 2,
    name: 'accounts, sessions, MFA, API tokens',
    sql: `
CREATE TABLE users (
  name TEXT PRIMARY KEY CHECK (length(name) BETWEEN 3 AND 32),
  role TEXT NOT NULL CHECK (role IN ('admin', 'operator', 'quality', 'receiver', 'viewer', 'auditor')),
  status TEXT NOT NULL CHECK (status IN ('active', 'disabled')),
  password_hash TEXT NOT NULL,
  must_change_password INTEGER NOT NULL CHECK (must_change_password IN (0, 1)),
  must_enrol_mfa INTEGER NOT NULL CHECK (must_enrol_mfa IN (0, 1)),
  totp_secret_enc BLOB,
  totp_pending_enc BLOB,
  totp_pending_at INTEGER,
  last_totp_step INTEGER,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  password_changed_at INTEGER NOT NULL,
  last_login_at INTEGER
) STRICT, WITHOUT ROWID;

CREATE TABLE recovery_codes (
  user_name TEXT NOT NULL REFERENCES users (name) ON DELETE CASCADE,
  code_hash TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  used_at INTEGER,
  PRIMARY KEY (user_name, code_hash)
) STRICT, WITHOUT ROWID;

-- id_hash = SHA-256 of the cookie value: a copy of this table cannot be replayed as cookies.
CREATE TABLE sessions (
  id_hash TEXT PRIMARY KEY,
  user_name TEXT NOT NULL REFERENCES users (name) ON DELETE CASCADE,
  state TEXT NOT NULL CHECK (state IN ('password_ok', 'mfa_ok')),
  auth_at INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  last_seen_at INTEGER NOT NULL,
  address TEXT
) STRICT, WITHOUT ROWID;
CREATE INDEX sessions_user ON sessions (user_name);

CREATE TABLE api_tokens (
  id TEXT PRIMARY KEY,
  secret_hash TEXT NOT NULL,
  label TEXT NOT NULL,
  role TEXT NOT NULL CHECK (role IN ('admin', 'operator', 'quality', 'receiver', 'viewer', 'auditor')),
  created_by TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  revoked_at INTEGER,
  last_used_at INTEGER
) STRICT, WITHOUT ROWID;

-- Failed sign-in attempts per account name (known or not) and per client address, kept for the
-- lockout window only. A rowid table: many rows per subject, appended and pruned by time.
CREATE TABLE auth_failures (
  kind TEXT NOT NULL CHECK (kind IN ('account', 'address')),
  subject TEXT NOT NULL,
  at INTEGER NOT NULL
) STRICT;
CREATE INDEX auth_failures_subject ON auth_failures (kind, subject, at);
CREATE INDEX auth_failures_at ON auth_failures (at);
`,
  },
  {
    version: 3,
    name: 'alarms',
    sql: `
-- Alarms raised by the rules (src/rules) and acknowledged by people (src/alarms). \`id\` is the
-- rules' stable id (<subject>/<rule>/<raisedAt>). An acknowledgement is a record of who reviewed the
-- alarm, when, why and with what meaning (21 CFR 11.50: a signed record shows the meaning).
CREATE TABLE alarms (
  id TEXT PRIMARY KEY CHECK (length(id) BETWEEN 1 AND 200),
  rule TEXT NOT NULL CHECK (length(rule) BETWEEN 1 AND 100),
  subject TEXT NOT NULL CHECK (length(subject) BETWEEN 1 AND 100),
  kind TEXT NOT NULL CHECK (kind IN ('rule', 'statistical')),
  state TEXT NOT NULL CHECK (state IN ('open', 'acknowledged', 'resolved')),
  started_at INTEGER NOT NULL,
  raised_at INTEGER NOT NULL,
  detected_at INTEGER NOT NULL,
  resolved_at INTEGER,
  detected_late INTEGER NOT NULL CHECK (detected_late IN (0, 1)),
  severity TEXT NOT NULL CHECK (severity IN ('info', 'warning', 'critical')),
  message TEXT NOT NULL,
  peak REAL,
  unit TEXT,
  ack_by TEXT,
  ack_at INTEGER,
  ack_reason TEXT,
  ack_meaning TEXT,
  detail TEXT NOT NULL,
  updated_at INTEGER NOT NULL,
  CHECK ((state = 'resolved') = (resolved_at IS NOT NULL)),
  CHECK ((ack_at IS NULL) = (ack_by IS NULL)),
  CHECK (state <> 'acknowledged' OR ack_at IS NOT NULL)
) STRICT, WITHOUT ROWID;
-- At most one active (not resolved) alarm per rule and subject.
CREATE UNIQUE INDEX alarms_one_active ON alarms (rule, subject) WHERE state <> 'resolved';
CREATE INDEX alarms_state_raised ON alarms (state, raised_at);
CREATE INDEX alarms_subject_raised ON alarms (subject, raised_at);
CREATE INDEX alarms_raised ON alarms (raised_at);
`,
  },
  {
    version: 4,
    name: 'shipments and chain of custody',
    sql: `
-- Shipments (src/shipments). The delivery token is kept only as its keyed hash (DESIGN.md §5).
-- profile: a preset name, or the JSON of a custom profile input; batches, origin, destination and
-- planned_route are JSON.
CREATE TABLE shipments (
  id TEXT PRIMARY KEY CHECK (length(id) = 14),
  device_id TEXT NOT NULL REFERENCES devices (id),
  profile TEXT NOT NULL,
  batches TEXT NOT NULL,
  origin TEXT NOT NULL,
  destination TEXT NOT NULL,
  planned_route TEXT,
  eta INTEGER,
  state TEXT NOT NULL CHECK (state IN ('planned', 'in_transit', 'delivered', 'closed', 'quarantined', 'released')),
  dispatch_at INTEGER,
  dispatch_batch TEXT,
  dispatch_token_hash TEXT,
  dispatch_received_at INTEGER,
  delivery_at INTEGER,
  delivery_by TEXT,
  delivery_lat REAL,
  delivery_lon REAL,
  delivery_fix_at INTEGER,
  closed_at INTEGER,
  decision_state TEXT CHECK (decision_state IN ('released', 'quarantined')),
  decision_by TEXT,
  decision_at INTEGER,
  decision_reason TEXT,
  decision_meaning TEXT,
  created_at INTEGER NOT NULL,
  created_by TEXT NOT NULL,
  updated_at INTEGER NOT NULL,
  CHECK (state = 'planned' OR dispatch_at IS NOT NULL),
  CHECK (state <> 'delivered' OR delivery_at IS NOT NULL),
  CHECK (state NOT IN ('released', 'quarantined') OR decision_at IS NOT NULL)
) STRICT, WITHOUT ROWID;
-- At most one trip in transit per device.
CREATE UNIQUE INDEX shipments_one_in_transit ON shipments (device_id) WHERE state = 'in_transit';
CREATE INDEX shipments_device_created ON shipments (device_id, created_at);
CREATE INDEX shipments_state_created ON shipments (state, created_at);
CREATE INDEX shipments_created ON shipments (created_at);

-- The chain of custody: appended, never changed (the audit log holds the same facts, chained).
CREATE TABLE shipment_events (
  id INTEGER PRIMARY KEY,
  shipment_id TEXT NOT NULL REFERENCES shipments (id),
  at INTEGER NOT NULL,
  action TEXT NOT NULL,
  actor TEXT NOT NULL,
  detail TEXT NOT NULL
) STRICT;
CREATE INDEX shipment_events_shipment ON shipment_events (shipment_id, at, id);
CREATE TRIGGER shipment_events_no_update BEFORE UPDATE ON shipment_events
BEGIN SELECT RAISE(ABORT, 'custody record is append-only'); END;
CREATE TRIGGER shipment_events_no_delete BEFORE DELETE ON shipment_events
BEGIN SELECT RAISE(ABORT, 'custody record is append-only'); END;

-- Wrong delivery tokens (never the token), kept for the rate-limit window only.
CREATE TABLE shipment_delivery_failures (
  shipment_id TEXT NOT NULL,
  actor TEXT NOT NULL,
  at INTEGER NOT NULL
) STRICT;
CREATE INDEX shipment_delivery_failures_shipment ON shipment_delivery_failures (shipment_id, at);
CREATE INDEX shipment_delivery_failures_actor ON shipment_delivery_failures (actor, at);
CREATE INDEX shipment_delivery_failures_at ON shipment_delivery_failures (at);
`,
  },
  {
    version: 5,
    name: 'disproved alarms',
    sql: `
-- An alarm that late data disproved stays on record, resolved, marked with when that was found and
-- what the data shows instead (docs/alarms.md). Both set or both null; only a resolved alarm.
ALTER TABLE alarms ADD COLUMN disproved_reason TEXT;
ALTER TABLE alarms ADD COLUMN disproved_at INTEGER
  CHECK ((disproved_at IS NULL) = (disproved_reason IS NULL) AND (disproved_at IS NULL OR state = 'resolved'));
`,
  },
  {
    version: 6,
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
  },
];
