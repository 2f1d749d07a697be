import type { PgMigration } from './postgres-migrations.ts';

/**
 * The notification tables (src/notifications/notification-store.ts) on PostgreSQL, as the SQLite
 * adapter has them (sqlite-notification-migration.ts), with column encryption
 * (postgres-cipher.ts): configuration documents (contacts' addresses), recipients, message texts
 * (they quote readings) and push subscription keys are ciphertext. Channel credentials are
 * already sealed under the master key. Ids, states and times stay in clear for the queues.
 */
export const PG_NOTIFICATION_MIGRATION: PgMigration = {
  version: 3,
  name: 'notifications: configuration, sealed credentials, outbox, attempts, routing, escalations, push',
  sql: `
CREATE TABLE notify_config (
  kind text NOT NULL CHECK (kind IN ('contact', 'group', 'rule', 'policy', 'schedule', 'channel')),
  id text NOT NULL CHECK (length(id) BETWEEN 1 AND 48),
  body bytea NOT NULL,
  created_at bigint NOT NULL,
  updated_at bigint NOT NULL,
  PRIMARY KEY (kind, id)
);

CREATE TABLE notify_secrets (
  name text PRIMARY KEY CHECK (length(name) BETWEEN 1 AND 100),
  sealed bytea NOT NULL,
  updated_at bigint NOT NULL
);

CREATE TABLE notify_outbox (
  id bigserial PRIMARY KEY,
  alarm_id text,
  event text NOT NULL,
  channel text NOT NULL CHECK (channel IN ('email', 'sms', 'voice', 'webhook', 'push')),
  contact_id text,
  recipient bytea NOT NULL,
  target jsonb NOT NULL,
  message bytea NOT NULL,
  escalation_level integer NOT NULL,
  level text,
  state text NOT NULL CHECK (state IN ('pending', 'sending', 'sent', 'failed', 'cancelled', 'skipped')),
  attempts integer NOT NULL,
  next_attempt_at bigint,
  created_at bigint NOT NULL,
  updated_at bigint NOT NULL,
  sent_at bigint,
  last_response text,
  CHECK (state NOT IN ('pending', 'sending') OR next_attempt_at IS NOT NULL)
);
CREATE INDEX notify_outbox_due ON notify_outbox (state, next_attempt_at) WHERE state IN ('pending', 'sending');
CREATE INDEX notify_outbox_alarm ON notify_outbox (alarm_id, id) WHERE alarm_id IS NOT NULL;
CREATE INDEX notify_outbox_created ON notify_outbox (created_at);

CREATE TABLE notify_attempts (
  n bigserial PRIMARY KEY,
  outbox_id bigint NOT NULL REFERENCES notify_outbox (id),
  at bigint NOT NULL,
  ok boolean NOT NULL,
  response text NOT NULL,
  duration_ms integer NOT NULL
);
CREATE INDEX notify_attempts_outbox ON notify_attempts (outbox_id, at);
CREATE FUNCTION notify_attempts_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'notification attempts are append-only'; END $$;
CREATE TRIGGER notify_attempts_no_update BEFORE UPDATE ON notify_attempts
  FOR EACH ROW EXECUTE FUNCTION notify_attempts_append_only();

CREATE TABLE notify_routing (
  alarm_id text PRIMARY KEY,
  level text NOT NULL,
  at bigint NOT NULL
);

CREATE TABLE notify_escalations (
  alarm_id text PRIMARY KEY,
  policy_id text NOT NULL,
  rule_id text NOT NULL,
  sent integer NOT NULL,
  next_at bigint,
  state text NOT NULL CHECK (state IN ('active', 'stopped', 'exhausted')),
  reason text,
  started_at bigint NOT NULL,
  updated_at bigint NOT NULL,
  CHECK (state <> 'active' OR next_at IS NOT NULL)
);
CREATE INDEX notify_escalations_due ON notify_escalations (next_at) WHERE state = 'active';
CREATE INDEX notify_escalations_updated ON notify_escalations (updated_at);

CREATE TABLE notify_push_subscriptions (
  endpoint text PRIMARY KEY,
  user_name text NOT NULL,
  keys bytea NOT NULL,
  created_at bigint NOT NULL
);
CREATE INDEX notify_push_subscriptions_user ON notify_push_subscriptions (user_name);
`,
};
