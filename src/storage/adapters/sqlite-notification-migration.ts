import type { SqliteMigration } from './sqlite-migrations.ts';

/** The notification tables (src/notifications/notification-store.ts). */
export const NOTIFICATION_MIGRATION: SqliteMigration = {
  version: 10,
  name: 'notifications',
  sql: `
-- Contacts, groups, routing rules, escalation policies, schedules and channel settings, each a
-- JSON document validated by src/notifications/notification-model.ts. Never a credential.
CREATE TABLE notify_config (
  kind TEXT NOT NULL CHECK (kind IN ('contact', 'group', 'rule', 'policy', 'schedule', 'channel')),
  id TEXT NOT NULL CHECK (length(id) BETWEEN 1 AND 48),
  body TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (kind, id)
) STRICT, WITHOUT ROWID;

-- Channel credentials sealed under the master key (purpose notify-credential).
CREATE TABLE notify_secrets (
  name TEXT PRIMARY KEY CHECK (length(name) BETWEEN 1 AND 100),
  sealed BLOB NOT NULL,
  updated_at INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

-- The durable outbox: every notification, its state and its last provider response.
CREATE TABLE notify_outbox (
  id INTEGER PRIMARY KEY,
  alarm_id TEXT,
  event TEXT NOT NULL,
  channel TEXT NOT NULL CHECK (channel IN ('email', 'sms', 'voice', 'webhook', 'push')),
  contact_id TEXT,
  recipient TEXT NOT NULL,
  target TEXT NOT NULL,
  message TEXT NOT NULL,
  escalation_level INTEGER NOT NULL,
  level TEXT,
  state TEXT NOT NULL CHECK (state IN ('pending', 'sending', 'sent', 'failed', 'cancelled', 'skipped')),
  attempts INTEGER NOT NULL,
  next_attempt_at INTEGER,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  sent_at INTEGER,
  last_response TEXT,
  CHECK (state NOT IN ('pending', 'sending') OR next_attempt_at IS NOT NULL)
) STRICT;
CREATE INDEX notify_outbox_due ON notify_outbox (state, next_attempt_at) WHERE state IN ('pending', 'sending');
CREATE INDEX notify_outbox_alarm ON notify_outbox (alarm_id, id) WHERE alarm_id IS NOT NULL;
CREATE INDEX notify_outbox_created ON notify_outbox (created_at);

-- Every delivery attempt with the provider's answer: appended, never changed.
CREATE TABLE notify_attempts (
  outbox_id INTEGER NOT NULL REFERENCES notify_outbox (id),
  at INTEGER NOT NULL,
  ok INTEGER NOT NULL CHECK (ok IN (0, 1)),
  response TEXT NOT NULL,
  duration_ms INTEGER NOT NULL
) STRICT;
CREATE INDEX notify_attempts_outbox ON notify_attempts (outbox_id, at);
CREATE TRIGGER notify_attempts_no_update BEFORE UPDATE ON notify_attempts
BEGIN SELECT RAISE(ABORT, 'notification attempts are append-only'); END;

-- The level each alarm was routed at (so a restart neither repeats nor forgets a first notice).
CREATE TABLE notify_routing (
  alarm_id TEXT PRIMARY KEY,
  level TEXT NOT NULL,
  at INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

CREATE TABLE notify_escalations (
  alarm_id TEXT PRIMARY KEY,
  policy_id TEXT NOT NULL,
  rule_id TEXT NOT NULL,
  sent INTEGER NOT NULL,
  next_at INTEGER,
  state TEXT NOT NULL CHECK (state IN ('active', 'stopped', 'exhausted')),
  reason TEXT,
  started_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  CHECK (state <> 'active' OR next_at IS NOT NULL)
) STRICT, WITHOUT ROWID;
CREATE INDEX notify_escalations_due ON notify_escalations (next_at) WHERE state = 'active';
CREATE INDEX notify_escalations_updated ON notify_escalations (updated_at);

-- Browsers that opted in to Web Push, per dashboard user.
CREATE TABLE notify_push_subscriptions (
  endpoint TEXT PRIMARY KEY,
  user_name TEXT NOT NULL,
  p256dh TEXT NOT NULL,
  auth TEXT NOT NULL,
  created_at INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
CREATE INDEX notify_push_subscriptions_user ON notify_push_subscriptions (user_name);
`,
};
