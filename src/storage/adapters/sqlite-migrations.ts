import type Database from 'better-sqlite3-multiple-ciphers';
import { VigilError } from '../../errors.ts';
import type { MasterKey } from '../../keys/master-key.ts';
import { deviceSecretIdentity, totpSecretIdentity } from '../../keys/master-key.ts';
import { legacyAuditHash } from '../audit-chain.ts';
import { rechainAuditRows, verifyAuditRows } from './sqlite-audit-log.ts';
import { DEVICE_LABEL_MIGRATION } from './sqlite-device-label-migration.ts';
import { INGEST_MIGRATIONS } from './sqlite-ingest-migrations.ts';
import { SINK_OUTBOX_MIGRATION } from './sqlite-sink-migration.ts';

/** What a migration step written in code gets, inside the migration transaction. */
export interface MigrationRun {
  db: Database.Database;
  /** Key of the audit HMAC chain. */
  auditKey: Buffer;
  /** To re-seal stored blobs; absent when the caller opened the database with its key only. */
  master: Pick<MasterKey, 'reseal'> | undefined;
  /** Appends an audit entry (actor `system`) once every pending step has run, in the same transaction. */
  audit(action: string, object: string | null, detail: Record<string, unknown>): void;
  /** Wall-clock time of this migration run (ms). */
  now: number;
}

import { GATEWAY_MIGRATION } from './sqlite-gateway-migration.ts';
import { LIFECYCLE_MIGRATION } from './sqlite-lifecycle-migration.ts';
import { NOTIFICATION_MIGRATION } from './sqlite-notification-migration.ts';
import { OTA_MIGRATION } from './sqlite-ota-migration.ts';

/** One schema step. Versions are applied in ascending order and never edited once released. */
export interface SqliteMigration {
  version: number;
  /** What the step does, recorded in `schema_migrations` for humans. */
  name: string;
  /** SQL run first (may be empty). */
  sql: string;
  /** Then code, for what SQL cannot do (keys, re-chaining). */
  run?: (m: MigrationRun) => void;
}

/**
 * The SQLite schema, as ordered steps. Tables are STRICT (type-checked columns) and timestamps
 * are INTEGER milliseconds since the Unix epoch. `schema_migrations` itself is created by the
 * migrator, not here, so that it exists before the first step is recorded.
 */
const BASE_MIGRATIONS: readonly SqliteMigration[] = [
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
    name: 'sign-in failures per account and address',
    sql: `
-- One row per failed password or second-factor check, with both the account name tried and the
-- client address ('' when none), so the throttle can count per (account, address), per address
-- and per account. Replaces auth_failures, whose rows (one per subject) could not be paired;
-- they only lived for the lockout window, so they are dropped rather than converted.
DROP TABLE auth_failures;
CREATE TABLE sign_in_failures (
  account TEXT NOT NULL,
  address TEXT NOT NULL,
  at INTEGER NOT NULL
) STRICT;
CREATE INDEX sign_in_failures_pair ON sign_in_failures (account, address, at);
CREATE INDEX sign_in_failures_address ON sign_in_failures (address, at);
CREATE INDEX sign_in_failures_account ON sign_in_failures (account, at);
CREATE INDEX sign_in_failures_at ON sign_in_failures (at);
`,
  },
  {
    version: 7,
    name: 'audit chain keyed: HMAC-SHA256 under a key derived from the master key',
    sql: `
-- Signed checkpoints of the chain head (src/audit/audit-checkpoints.ts). A copy lives here for
-- reports and \`vigil audit verify\`; the newest is also kept outside the database.
CREATE TABLE audit_checkpoints (
  seq INTEGER PRIMARY KEY CHECK (seq >= 1),
  at INTEGER NOT NULL,
  entries INTEGER NOT NULL,
  head_id INTEGER NOT NULL,
  head_hash TEXT NOT NULL,
  key_fingerprint TEXT NOT NULL,
  signature TEXT NOT NULL
) STRICT;
CREATE TRIGGER audit_checkpoints_no_update BEFORE UPDATE ON audit_checkpoints
BEGIN SELECT RAISE(ABORT, 'checkpoints are append-only'); END;
CREATE TRIGGER audit_checkpoints_no_delete BEFORE DELETE ON audit_checkpoints
BEGIN SELECT RAISE(ABORT, 'checkpoints are append-only'); END;
`,
    run: (m) => {
      // The old chain is checked before it is replaced, and the outcome is recorded: re-chaining
      // must not launder an earlier edit.
      const old = verifyAuditRows((sql) => m.db.prepare(sql), m.auditKey, legacyAuditHash);
      if (old.entries === 0) return;
      rechainAuditRows(m.db, m.auditKey);
      m.audit('audit.rechain', null, {
        from: 'sha256',
        to: 'hmac-sha256',
        entries: old.entries,
        oldHeadHash: old.head?.hash ?? null,
        oldChainIntact: old.ok,
        oldFirstBroken: old.firstBroken,
      });
    },
  },
  {
    version: 8,
    name: 'API tokens belong to their creator',
    sql: `
ALTER TABLE api_tokens ADD COLUMN owner TEXT REFERENCES users (name);
UPDATE api_tokens SET owner = substr(created_by, 6)
  WHERE created_by LIKE 'user:%' AND substr(created_by, 6) IN (SELECT name FROM users);
`,
    run: (m) => {
      // A token with no known creator (made by \`cli\` or a vanished account) cannot be bound to
      // anyone's role: it is revoked rather than guessed an owner.
      const unbound = m.db
        .prepare('SELECT id FROM api_tokens WHERE owner IS NULL AND revoked_at IS NULL ORDER BY id')
        .pluck()
        .all() as string[];
      const bound = m.db
        .prepare('SELECT count(*) FROM api_tokens WHERE owner IS NOT NULL')
        .pluck()
        .get() as number;
      if (unbound.length === 0 && bound === 0) return;
      m.db
        .prepare('UPDATE api_tokens SET revoked_at = ? WHERE owner IS NULL AND revoked_at IS NULL')
        .run(m.now);
      m.audit('token.migrate_owner', null, { bound, revokedWithoutOwner: unbound });
    },
  },
  {
    version: 9,
    name: 'sealed secrets bound to their row (device and key generation, user)',
    sql: '',
    run: (m) => {
      const devices = m.db.prepare('SELECT device_id, kid, secret_enc FROM device_keys').all() as {
        device_id: string;
        kid: number;
        secret_enc: Buffer;
      }[];
      const users = m.db
        .prepare(
          'SELECT name, totp_secret_enc, totp_pending_enc FROM users WHERE totp_secret_enc IS NOT NULL OR totp_pending_enc IS NOT NULL',
        )
        .all() as { name: string; totp_secret_enc: Buffer | null; totp_pending_enc: Buffer | null }[];
      if (devices.length === 0 && users.length === 0) return;
      const master = m.master;
      if (!master)
        throw new VigilError(
          'VIGIL_ERR_MASTER_KEY',
          'this migration re-seals secrets: open with the master key',
        );
      const dev = m.db.prepare('UPDATE device_keys SET secret_enc = ? WHERE device_id = ? AND kid = ?');
      for (const d of devices) {
        dev.run(
          master.reseal('device-secret', d.secret_enc, deviceSecretIdentity(d.device_id, d.kid)),
          d.device_id,
          d.kid,
        );
      }
      const usr = m.db.prepare('UPDATE users SET totp_secret_enc = ?, totp_pending_enc = ? WHERE name = ?');
      const totp = (name: string, b: Buffer | null) =>
        b ? master.reseal('totp-secret', b, totpSecretIdentity(name)) : null;
      for (const u of users)
        usr.run(totp(u.name, u.totp_secret_enc), totp(u.name, u.totp_pending_enc), u.name);
      m.audit('keys.reseal', null, { deviceKeys: devices.length, totpSecrets: users.length });
    },
  },
  NOTIFICATION_MIGRATION,
];

export const SQLITE_MIGRATIONS: readonly SqliteMigration[] = [
  ...BASE_MIGRATIONS,
  ...INGEST_MIGRATIONS,
  LIFECYCLE_MIGRATION,
  SINK_OUTBOX_MIGRATION,
  GATEWAY_MIGRATION,
  OTA_MIGRATION,
  DEVICE_LABEL_MIGRATION,
];
