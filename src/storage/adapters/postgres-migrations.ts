/**
 * The PostgreSQL schema, as versioned steps. `migratePostgres` applies the pending ones in ONE
 * transaction (PostgreSQL DDL is transactional: a failed step leaves nothing half-done) under a
 * transaction-scoped advisory lock, so two workers starting at once cannot both migrate: the
 * second waits, then finds nothing to do.
 *
 * Differences from the SQLite schema (src/storage/adapters/sqlite-migrations.ts), which started
 * earlier and grew by steps; this one starts at the same end state:
 * - readings are partitioned by month of the sample time (declarative range partitioning on
 *   `ts`); partitions are created on demand (postgres-partitions.ts) and dropped by retention.
 *   The primary key (device_id, ts, seq, idx) includes the partition key, as PostgreSQL requires;
 *   a redelivered message carries the same samples, so it still conflicts with itself.
 * - sensitive columns are `bytea` holding ciphertext (postgres-cipher.ts), never plaintext.
 * - booleans are `boolean`, times `bigint` milliseconds.
 */
import { randomBytes } from 'node:crypto';
import type pg from 'pg';
import { VigilError } from '../../errors.ts';
import type { MasterKey } from '../../keys/master-key.ts';
import { PG_DEVICE_LABEL_MIGRATION } from './postgres-device-label-migration.ts';
import {
  PG_GATEWAY_MIGRATION,
  PG_LIFECYCLE_MIGRATION,
  PG_SINK_MIGRATION,
} from './postgres-lifecycle-migration.ts';
import { PG_NOTIFICATION_MIGRATION } from './postgres-notification-migration.ts';
import { PG_OTA_MIGRATION } from './postgres-ota-migration.ts';

/** One schema step; versions only grow and a released step is never edited. */
export interface PgMigration {
  version: number;
  name: string;
  sql: string;
  /** Then code (key generation), in the same transaction. */
  run?: (c: pg.ClientBase, m: { master: Pick<MasterKey, 'seal'> | undefined; now: number }) => Promise<void>;
}

/** Device buckets of rules ownership (src/cluster/device-bucket.ts). */
export const RULE_BUCKETS = 64;

/** Identity the data key is sealed to (MasterKey.seal('data-key', ..., DATA_KEY_IDENTITY)). */
export const DATA_KEY_IDENTITY = 'postgres:vigil_keys/data';

const APPEND_ONLY = (table: string, what: string) => `
CREATE FUNCTION ${table}_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION '${what} is append-only'; END $$;
CREATE TRIGGER ${table}_no_update BEFORE UPDATE OR DELETE ON ${table}
  FOR EACH ROW EXECUTE FUNCTION ${table}_append_only();
CREATE TRIGGER ${table}_no_truncate BEFORE TRUNCATE ON ${table}
  FOR EACH STATEMENT EXECUTE FUNCTION ${table}_append_only();`;

const ROLES = `('admin', 'operator', 'quality', 'receiver', 'viewer', 'auditor')`;

export const PG_MIGRATIONS: readonly PgMigration[] = [
  {
    version: 1,
    name: 'initial schema (registry, ingest, audit, accounts, alarms, shipments), column encryption key',
    sql: `
CREATE TABLE vigil_keys (
  name text PRIMARY KEY,
  sealed bytea NOT NULL,
  created_at bigint NOT NULL
);

CREATE TABLE devices (
  id text PRIMARY KEY,
  profile text NOT NULL CHECK (profile IN ('vaccine-transport', 'patient-vitals', 'temperature-probe')),
  status text NOT NULL CHECK (status IN ('enabled', 'disabled', 'revoked')),
  alg text NOT NULL CHECK (alg IN ('A256GCM', 'ASCON128', 'none')),
  current_kid integer NOT NULL,
  created_at bigint NOT NULL,
  updated_at bigint NOT NULL,
  cert_serial text,
  cert_not_after bigint,
  last_seen_at bigint
);

-- secret_enc: the secret sealed under the master key, then column-encrypted (device id + kid).
CREATE TABLE device_keys (
  device_id text NOT NULL REFERENCES devices (id),
  kid integer NOT NULL CHECK (kid >= 1),
  secret_enc bytea NOT NULL,
  created_at bigint NOT NULL,
  status text NOT NULL CHECK (status IN ('active', 'retired')),
  PRIMARY KEY (device_id, kid)
);

CREATE TABLE certificates (
  serial text PRIMARY KEY,
  subject text NOT NULL,
  kind text NOT NULL CHECK (kind IN ('device', 'server', 'service', 'ca')),
  not_before bigint NOT NULL,
  not_after bigint NOT NULL,
  pem text NOT NULL,
  revoked_at bigint,
  revocation_reason text
);
CREATE INDEX certificates_subject ON certificates (subject);
CREATE INDEX certificates_revoked ON certificates (revoked_at) WHERE revoked_at IS NOT NULL;

-- One row per sample; data = the sample's fields, encrypted (device id + seq + idx).
CREATE TABLE readings (
  device_id text NOT NULL REFERENCES devices (id),
  seq bigint NOT NULL,
  idx integer NOT NULL,
  ts bigint NOT NULL,
  received_at bigint NOT NULL,
  backfill boolean NOT NULL,
  data bytea NOT NULL,
  -- Commit order for following (Store.readingsAfter): the writing transaction's id * 65536 + the
  -- row's place in it; read only below the oldest transaction still running (postgres-readings-after.ts).
  commit_ord bigint NOT NULL,
  PRIMARY KEY (device_id, ts, seq, idx)
) PARTITION BY RANGE (ts);
CREATE INDEX readings_device_commit ON readings (device_id, commit_ord);

CREATE TABLE messages (
  device_id text NOT NULL REFERENCES devices (id),
  seq bigint NOT NULL,
  channel text NOT NULL CHECK (channel IN ('events', 'acks')),
  ts bigint NOT NULL,
  received_at bigint NOT NULL,
  body bytea NOT NULL,
  PRIMARY KEY (device_id, seq)
);
CREATE INDEX messages_device_ts ON messages (device_id, ts);
CREATE INDEX messages_ts ON messages (ts);

CREATE TABLE replay_state (
  device_id text PRIMARY KEY REFERENCES devices (id),
  highest bigint NOT NULL,
  bitmap bytea NOT NULL,
  nonces bytea NOT NULL,
  updated_at bigint NOT NULL
);

-- detail encrypted (audit id); the HMAC chain covers the plaintext.
CREATE TABLE audit (
  id bigint PRIMARY KEY,
  ts bigint NOT NULL,
  actor text NOT NULL,
  action text NOT NULL,
  object text,
  detail bytea NOT NULL,
  prev_hash text NOT NULL,
  hash text NOT NULL
);
CREATE INDEX audit_ts ON audit (ts);
CREATE INDEX audit_action ON audit (action, id);
${APPEND_ONLY('audit', 'audit log')}
CREATE FUNCTION audit_chain_link() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE head_id bigint; head_hash text;
BEGIN
  SELECT id, hash INTO head_id, head_hash FROM audit ORDER BY id DESC LIMIT 1;
  IF NEW.id IS DISTINCT FROM coalesce(head_id, 0) + 1
     OR NEW.prev_hash IS DISTINCT FROM coalesce(head_hash, '${'0'.repeat(64)}') THEN
    RAISE EXCEPTION 'audit entry does not extend the chain';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER audit_chain_link BEFORE INSERT ON audit FOR EACH ROW EXECUTE FUNCTION audit_chain_link();

CREATE TABLE audit_checkpoints (
  seq bigint PRIMARY KEY CHECK (seq >= 1),
  at bigint NOT NULL,
  entries bigint NOT NULL,
  head_id bigint NOT NULL,
  head_hash text NOT NULL,
  key_fingerprint text NOT NULL,
  signature text NOT NULL
);
${APPEND_ONLY('audit_checkpoints', 'checkpoints')}

-- Bumped by every change of the registry (not by last_seen_at): Store.changeToken, which every
-- process polls to drop its caches and rebuild its CRL when another one changed something.
CREATE SEQUENCE registry_changes;
CREATE FUNCTION registry_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN PERFORM nextval('registry_changes'); RETURN NULL; END $$;
CREATE TRIGGER devices_changed AFTER INSERT OR DELETE OR UPDATE OF profile, status, alg, current_kid, cert_serial, cert_not_after
  ON devices FOR EACH STATEMENT EXECUTE FUNCTION registry_changed();
CREATE TRIGGER device_keys_changed AFTER INSERT OR UPDATE OR DELETE ON device_keys
  FOR EACH STATEMENT EXECUTE FUNCTION registry_changed();
CREATE TRIGGER certificates_changed AFTER INSERT OR UPDATE OR DELETE ON certificates
  FOR EACH STATEMENT EXECUTE FUNCTION registry_changed();

CREATE TABLE counters (name text PRIMARY KEY, count bigint NOT NULL);
CREATE TABLE meta (key text PRIMARY KEY, value text NOT NULL);

-- password_hash, totp_*_enc encrypted (user name).
CREATE TABLE users (
  name text PRIMARY KEY CHECK (length(name) BETWEEN 3 AND 32),
  role text NOT NULL CHECK (role IN ${ROLES}),
  status text NOT NULL CHECK (status IN ('active', 'disabled')),
  password_hash bytea NOT NULL,
  must_change_password boolean NOT NULL,
  must_enrol_mfa boolean NOT NULL,
  totp_secret_enc bytea,
  totp_pending_enc bytea,
  totp_pending_at bigint,
  last_totp_step bigint,
  created_at bigint NOT NULL,
  updated_at bigint NOT NULL,
  password_changed_at bigint NOT NULL,
  last_login_at bigint
);

CREATE TABLE recovery_codes (
  user_name text NOT NULL REFERENCES users (name) ON DELETE CASCADE,
  code_hash text NOT NULL,
  created_at bigint NOT NULL,
  used_at bigint,
  PRIMARY KEY (user_name, code_hash)
);

CREATE TABLE sessions (
  id_hash text PRIMARY KEY,
  user_name text NOT NULL REFERENCES users (name) ON DELETE CASCADE,
  state text NOT NULL CHECK (state IN ('password_ok', 'mfa_ok')),
  auth_at bigint NOT NULL,
  created_at bigint NOT NULL,
  last_seen_at bigint NOT NULL,
  address text
);
CREATE INDEX sessions_user ON sessions (user_name);

CREATE TABLE api_tokens (
  id text PRIMARY KEY,
  secret_hash text NOT NULL,
  label text NOT NULL,
  role text NOT NULL CHECK (role IN ${ROLES}),
  created_by text NOT NULL,
  owner text REFERENCES users (name),
  created_at bigint NOT NULL,
  expires_at bigint NOT NULL,
  revoked_at bigint,
  last_used_at bigint
);

CREATE TABLE sign_in_failures (account text NOT NULL, address text NOT NULL, at bigint NOT NULL);
CREATE INDEX sign_in_failures_pair ON sign_in_failures (account, address, at);
CREATE INDEX sign_in_failures_address ON sign_in_failures (address, at);
CREATE INDEX sign_in_failures_account ON sign_in_failures (account, at);
CREATE INDEX sign_in_failures_at ON sign_in_failures (at);

-- message, peak, detail, ack_reason, ack_signer, disproved_reason encrypted (alarm id): an
-- alarm's text and peak carry reading values.
CREATE TABLE alarms (
  id text PRIMARY KEY CHECK (length(id) BETWEEN 1 AND 200),
  rule text NOT NULL CHECK (length(rule) BETWEEN 1 AND 100),
  subject text NOT NULL CHECK (length(subject) BETWEEN 1 AND 100),
  kind text NOT NULL CHECK (kind IN ('rule', 'statistical')),
  state text NOT NULL CHECK (state IN ('open', 'acknowledged', 'resolved')),
  started_at bigint NOT NULL,
  raised_at bigint NOT NULL,
  detected_at bigint NOT NULL,
  resolved_at bigint,
  detected_late boolean NOT NULL,
  severity text NOT NULL CHECK (severity IN ('info', 'warning', 'critical')),
  message bytea NOT NULL,
  peak bytea,
  unit text,
  ack_by text,
  ack_at bigint,
  ack_reason bytea,
  ack_meaning text,
  ack_signer bytea,
  detail bytea NOT NULL,
  updated_at bigint NOT NULL,
  disproved_at bigint,
  disproved_reason bytea,
  CHECK ((state = 'resolved') = (resolved_at IS NOT NULL)),
  CHECK ((ack_at IS NULL) = (ack_by IS NULL)),
  CHECK (state <> 'acknowledged' OR ack_at IS NOT NULL),
  CHECK ((disproved_at IS NULL) = (disproved_reason IS NULL) AND (disproved_at IS NULL OR state = 'resolved'))
);
CREATE UNIQUE INDEX alarms_one_active ON alarms (rule, subject) WHERE state <> 'resolved';
CREATE INDEX alarms_state_raised ON alarms (state, raised_at);
CREATE INDEX alarms_subject_raised ON alarms (subject, raised_at);
CREATE INDEX alarms_raised ON alarms (raised_at);

-- batches, dispatch_batch (batch ids), places, route, delivery fix, decision reason encrypted
-- (shipment id). The delivery token is only ever a keyed hash.
CREATE TABLE shipments (
  id text PRIMARY KEY CHECK (length(id) = 14),
  device_id text NOT NULL REFERENCES devices (id),
  profile text NOT NULL,
  batches bytea NOT NULL,
  origin bytea NOT NULL,
  destination bytea NOT NULL,
  planned_route bytea,
  eta bigint,
  state text NOT NULL CHECK (state IN ('planned', 'in_transit', 'delivered', 'closed', 'quarantined', 'released')),
  dispatch_at bigint,
  dispatch_batch bytea,
  dispatch_token_hash text,
  dispatch_received_at bigint,
  delivery_at bigint,
  delivery_by text,
  delivery_fix bytea,
  delivery_fix_at bigint,
  closed_at bigint,
  decision_state text CHECK (decision_state IN ('released', 'quarantined')),
  decision_by text,
  decision_at bigint,
  decision_reason bytea,
  decision_meaning text,
  created_at bigint NOT NULL,
  created_by text NOT NULL,
  updated_at bigint NOT NULL,
  CHECK (state = 'planned' OR dispatch_at IS NOT NULL),
  CHECK (state <> 'delivered' OR delivery_at IS NOT NULL),
  CHECK (state NOT IN ('released', 'quarantined') OR decision_at IS NOT NULL)
);
CREATE UNIQUE INDEX shipments_one_in_transit ON shipments (device_id) WHERE state = 'in_transit';
CREATE INDEX shipments_device_created ON shipments (device_id, created_at);
CREATE INDEX shipments_state_created ON shipments (state, created_at);
CREATE INDEX shipments_created ON shipments (created_at);

CREATE TABLE shipment_events (
  id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
  shipment_id text NOT NULL REFERENCES shipments (id),
  at bigint NOT NULL,
  action text NOT NULL,
  actor text NOT NULL,
  detail bytea NOT NULL
);
CREATE INDEX shipment_events_shipment ON shipment_events (shipment_id, at, id);
${APPEND_ONLY('shipment_events', 'custody record')}

CREATE TABLE shipment_delivery_failures (shipment_id text NOT NULL, actor text NOT NULL, at bigint NOT NULL);
CREATE INDEX shipment_delivery_failures_shipment ON shipment_delivery_failures (shipment_id, at);
CREATE INDEX shipment_delivery_failures_actor ON shipment_delivery_failures (actor, at);
CREATE INDEX shipment_delivery_failures_at ON shipment_delivery_failures (at);
`,
    run: async (c, m) => {
      if (!m.master) {
        throw new VigilError('VIGIL_ERR_MASTER_KEY', 'creating a PostgreSQL database needs the master key');
      }
      const sealed = m.master.seal('data-key', randomBytes(32), DATA_KEY_IDENTITY);
      await c.query('INSERT INTO vigil_keys (name, sealed, created_at) VALUES ($1, $2, $3)', [
        'data',
        sealed,
        m.now,
      ]);
    },
  },
  {
    version: 2,
    name: 'rules ownership: leases of device buckets',
    sql: `
-- Each device belongs to one of ${RULE_BUCKETS} buckets (src/cluster/device-bucket.ts); a rules process
-- judges the devices of the buckets it holds a lease on. Times are the server's clock (ms).
CREATE TABLE rule_leases (
  bucket integer PRIMARY KEY CHECK (bucket >= 0 AND bucket < ${RULE_BUCKETS}),
  owner text,
  expires_at bigint NOT NULL
);
INSERT INTO rule_leases (bucket, owner, expires_at) SELECT b, NULL, 0 FROM generate_series(0, ${RULE_BUCKETS - 1}) AS b;
`,
  },
  PG_NOTIFICATION_MIGRATION,
  PG_LIFECYCLE_MIGRATION,
  PG_SINK_MIGRATION,
  PG_GATEWAY_MIGRATION,
  PG_OTA_MIGRATION,
  PG_DEVICE_LABEL_MIGRATION,
];

/** The newest version this build knows. */
export const PG_SCHEMA_VERSION = Math.max(...PG_MIGRATIONS.map((m) => m.version));

/**
 * Applies pending migrations in one transaction under an advisory lock (keyed by the schema, so
 * databases in other schemas do not wait). Idempotent. VIGIL_ERR_SCHEMA_VERSION when the
 * database is newer than this build.
 */
export async function migratePostgres(
  c: pg.ClientBase,
  o: { master: Pick<MasterKey, 'seal'> | undefined; migrations?: readonly PgMigration[]; now?: number },
): Promise<number[]> {
  const migrations = [...(o.migrations ?? PG_MIGRATIONS)].sort((a, b) => a.version - b.version);
  const known = Math.max(0, ...migrations.map((m) => m.version));
  await c.query(`SELECT pg_advisory_xact_lock(hashtext(current_schema() || ':vigil-migrate'))`);
  await c.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version integer PRIMARY KEY, name text NOT NULL, applied_at bigint NOT NULL)`);
  const applied = new Set(
    (await c.query<{ version: number }>('SELECT version FROM schema_migrations')).rows.map((r) => r.version),
  );
  const newest = Math.max(0, ...applied);
  if (newest > known) {
    throw new VigilError(
      'VIGIL_ERR_SCHEMA_VERSION',
      `database at version ${newest}, this build knows ${known}`,
    );
  }
  const now = o.now ?? Date.now();
  const done: number[] = [];
  for (const m of migrations) {
    if (applied.has(m.version)) continue;
    await c.query(m.sql);
    await m.run?.(c, { master: o.master, now });
    await c.query('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)', [
      m.version,
      m.name,
      now,
    ]);
    done.push(m.version);
  }
  return done;
}
