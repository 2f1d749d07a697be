import { VigilError } from '../../errors.ts';
import type { EscalationState } from '../../notifications/escalation.ts';
import type { Channel, ConfigKind, Level } from '../../notifications/notification-model.ts';
import type {
  AttemptOutcome,
  AttemptRecord,
  ConfigRecord,
  NotificationStore,
  OutboxInput,
  OutboxQuery,
  OutboxRecord,
  OutboxState,
  PushSubscriptionRecord,
  RoutingRecord,
} from '../../notifications/notification-store.ts';
import type { SqliteDatabase, SqliteScope } from './sqlite-database.ts';

interface OutboxRow {
  id: number;
  alarm_id: string | null;
  event: string;
  channel: Channel;
  contact_id: string | null;
  recipient: string;
  target: string;
  message: string;
  escalation_level: number;
  level: Level | null;
  state: OutboxState;
  attempts: number;
  next_attempt_at: number | null;
  created_at: number;
  updated_at: number;
  sent_at: number | null;
  last_response: string | null;
}

interface EscalationRow {
  alarm_id: string;
  policy_id: string;
  rule_id: string;
  sent: number;
  next_at: number | null;
  state: EscalationState['state'];
  reason: string | null;
  started_at: number;
  updated_at: number;
}

const toOutbox = (r: OutboxRow): OutboxRecord => ({
  id: r.id,
  alarmId: r.alarm_id,
  event: r.event,
  channel: r.channel,
  contactId: r.contact_id,
  recipient: r.recipient,
  target: JSON.parse(r.target) as Record<string, unknown>,
  message: JSON.parse(r.message) as OutboxRecord['message'],
  escalationLevel: r.escalation_level,
  level: r.level,
  state: r.state,
  attempts: r.attempts,
  nextAttemptAt: r.next_attempt_at,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
  sentAt: r.sent_at,
  lastResponse: r.last_response,
});

const toEscalation = (r: EscalationRow): EscalationState => ({
  alarmId: r.alarm_id,
  policyId: r.policy_id,
  ruleId: r.rule_id,
  sent: r.sent,
  nextAt: r.next_at,
  state: r.state,
  reason: r.reason,
  startedAt: r.started_at,
  updatedAt: r.updated_at,
});

/** Provider responses are kept short: enough to diagnose, never a whole page. */
const RESPONSE_MAX = 1000;
const DEFAULT_LIMIT = 100;
const MAX_LIMIT = 1000;
const limitOf = (n: number | undefined) => Math.min(Math.max(Math.trunc(n ?? DEFAULT_LIMIT), 0), MAX_LIMIT);

/** The notification tables (migration 10) on the store's own connection. */
export class SqliteNotificationStore implements NotificationStore {
  readonly #q: SqliteScope;

  constructor(db: SqliteDatabase) {
    this.#q = db.scope('notifications');
  }

  async listConfig(kind: ConfigKind): Promise<ConfigRecord[]> {
    const rows = this.#q.all<{ id: string; body: string; created_at: number; updated_at: number }>(
      'SELECT id, body, created_at, updated_at FROM notify_config WHERE kind = ? ORDER BY id',
      kind,
    );
    return rows.map((r) => ({
      kind,
      id: r.id,
      body: JSON.parse(r.body) as Record<string, unknown>,
      createdAt: r.created_at,
      updatedAt: r.updated_at,
    }));
  }

  async getConfig(kind: ConfigKind, id: string): Promise<ConfigRecord | null> {
    const r = this.#q.one<{ body: string; created_at: number; updated_at: number }>(
      'SELECT body, created_at, updated_at FROM notify_config WHERE kind = ? AND id = ?',
      kind,
      id,
    );
    return r
      ? {
          kind,
          id,
          body: JSON.parse(r.body) as Record<string, unknown>,
          createdAt: r.created_at,
          updatedAt: r.updated_at,
        }
      : null;
  }

  async putConfig(
    kind: ConfigKind,
    id: string,
    body: Record<string, unknown>,
    at: number,
  ): Promise<{ created: boolean }> {
    return this.#q.write(() => {
      const existed =
        this.#q.stmt('SELECT 1 FROM notify_config WHERE kind = ? AND id = ?').get(kind, id) !== undefined;
      this.#q
        .stmt(
          `INSERT INTO notify_config (kind, id, body, created_at, updated_at) VALUES (?, ?, ?, ?, ?)
           ON CONFLICT (kind, id) DO UPDATE SET body = excluded.body, updated_at = excluded.updated_at`,
        )
        .run(kind, id, JSON.stringify(body), at, at);
      return { created: !existed };
    });
  }

  async deleteConfig(kind: ConfigKind, id: string): Promise<boolean> {
    return this.#q.write(
      () => this.#q.stmt('DELETE FROM notify_config WHERE kind = ? AND id = ?').run(kind, id).changes > 0,
    );
  }

  async putSecret(name: string, sealed: Buffer, at: number): Promise<void> {
    this.#q.write(() =>
      this.#q
        .stmt(
          `INSERT INTO notify_secrets (name, sealed, updated_at) VALUES (?, ?, ?)
           ON CONFLICT (name) DO UPDATE SET sealed = excluded.sealed, updated_at = excluded.updated_at`,
        )
        .run(name, sealed, at),
    );
  }

  async getSecret(name: string): Promise<Buffer | null> {
    const r = this.#q.one<{ sealed: Buffer }>('SELECT sealed FROM notify_secrets WHERE name = ?', name);
    return r ? Buffer.from(r.sealed) : null;
  }

  async deleteSecret(name: string): Promise<void> {
    this.#q.write(() => this.#q.stmt('DELETE FROM notify_secrets WHERE name = ?').run(name));
  }

  #get(id: number): OutboxRecord | null {
    const r = this.#q.stmt('SELECT * FROM notify_outbox WHERE id = ?').get(id) as OutboxRow | undefined;
    return r ? toOutbox(r) : null;
  }

  async enqueue(items: readonly OutboxInput[], at: number): Promise<OutboxRecord[]> {
    return this.#q.write(() =>
      items.map((i) => {
        const skipped = i.state === 'skipped';
        const claimed = !skipped && i.leaseUntil !== undefined;
        const info = this.#q
          .stmt(
            `INSERT INTO notify_outbox (alarm_id, event, channel, contact_id, recipient, target, message,
               escalation_level, level, state, attempts, next_attempt_at, created_at, updated_at, sent_at, last_response)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?, NULL, ?)`,
          )
          .run(
            i.alarmId,
            i.event,
            i.channel,
            i.contactId,
            i.recipient,
            JSON.stringify(i.target),
            JSON.stringify(i.message),
            i.escalationLevel,
            i.level,
            skipped ? 'skipped' : claimed ? 'sending' : 'pending',
            skipped ? null : claimed ? (i.leaseUntil as number) : at,
            at,
            at,
            i.note?.slice(0, RESPONSE_MAX) ?? null,
          );
        return this.#get(Number(info.lastInsertRowid)) as OutboxRecord;
      }),
    );
  }

  async claimDue(now: number, limit: number, leaseUntil: number): Promise<OutboxRecord[]> {
    return this.#q.write(() => {
      const rows = this.#q
        .stmt(
          `SELECT * FROM notify_outbox WHERE state = 'pending' AND next_attempt_at <= ?
           ORDER BY next_attempt_at, id LIMIT ?`,
        )
        .all(now, limitOf(limit)) as OutboxRow[];
      const claim = this.#q.stmt(
        `UPDATE notify_outbox SET state = 'sending', next_attempt_at = ?, updated_at = ? WHERE id = ?`,
      );
      return rows.map((r) => {
        claim.run(leaseUntil, now, r.id);
        return this.#get(r.id) as OutboxRecord;
      });
    });
  }

  async recordAttempt(
    id: number,
    attempt: Omit<AttemptRecord, 'outboxId'>,
    outcome: AttemptOutcome,
  ): Promise<OutboxRecord> {
    return this.#q.write(() => {
      const cur = this.#get(id);
      if (!cur) throw new VigilError('VIGIL_ERR_NOT_FOUND', `notification ${id}`);
      const response = attempt.response.slice(0, RESPONSE_MAX);
      this.#q
        .stmt('INSERT INTO notify_attempts (outbox_id, at, ok, response, duration_ms) VALUES (?, ?, ?, ?, ?)')
        .run(id, attempt.at, attempt.ok ? 1 : 0, response, Math.max(0, Math.round(attempt.durationMs)));
      const next = outcome.state === 'pending' ? outcome.nextAttemptAt : null;
      this.#q
        .stmt(
          `UPDATE notify_outbox SET state = ?, attempts = attempts + 1, next_attempt_at = ?, updated_at = ?,
             sent_at = CASE WHEN ? = 'sent' THEN ? ELSE sent_at END, last_response = ? WHERE id = ?`,
        )
        .run(outcome.state, next, attempt.at, outcome.state, attempt.at, response, id);
      return this.#get(id) as OutboxRecord;
    });
  }

  async cancelPending(alarmId: string, reason: string, at: number): Promise<number> {
    return this.#q.write(
      () =>
        this.#q
          .stmt(
            `UPDATE notify_outbox SET state = 'cancelled', next_attempt_at = NULL, updated_at = ?, last_response = ?
             WHERE alarm_id = ? AND state = 'pending'`,
          )
          .run(at, reason.slice(0, RESPONSE_MAX), alarmId).changes,
    );
  }

  async releaseExpired(before: number): Promise<number> {
    return this.#q.write(
      () =>
        this.#q
          .stmt(
            // Due again at once: the claim time is in the past.
            `UPDATE notify_outbox SET state = 'pending', next_attempt_at = updated_at WHERE state = 'sending' AND next_attempt_at < ?`,
          )
          .run(before).changes,
    );
  }

  async listOutbox(q: OutboxQuery = {}): Promise<OutboxRecord[]> {
    const rows = this.#q.read(
      () =>
        this.#q.select(
          'notify_outbox',
          [
            ['alarm_id = ?', q.alarmId],
            ['state = ?', q.state],
            ['created_at >= ?', q.since],
          ],
          'ORDER BY id DESC LIMIT ?',
          limitOf(q.limit),
        ) as OutboxRow[],
    );
    return rows.map(toOutbox);
  }

  async attempts(outboxId: number): Promise<AttemptRecord[]> {
    return this.#q
      .all<{ at: number; ok: number; response: string; duration_ms: number }>(
        'SELECT at, ok, response, duration_ms FROM notify_attempts WHERE outbox_id = ? ORDER BY at, rowid',
        outboxId,
      )
      .map((r) => ({ outboxId, at: r.at, ok: r.ok === 1, response: r.response, durationMs: r.duration_ms }));
  }

  async getRouting(alarmId: string): Promise<RoutingRecord | null> {
    const r = this.#q.one<{ level: Level; at: number }>(
      'SELECT level, at FROM notify_routing WHERE alarm_id = ?',
      alarmId,
    );
    return r ? { alarmId, level: r.level, at: r.at } : null;
  }

  async putRouting(r: RoutingRecord): Promise<void> {
    this.#q.write(() =>
      this.#q
        .stmt(
          `INSERT INTO notify_routing (alarm_id, level, at) VALUES (?, ?, ?)
           ON CONFLICT (alarm_id) DO UPDATE SET level = excluded.level, at = excluded.at`,
        )
        .run(r.alarmId, r.level, r.at),
    );
  }

  async getEscalation(alarmId: string): Promise<EscalationState | null> {
    const r = this.#q.one<EscalationRow>('SELECT * FROM notify_escalations WHERE alarm_id = ?', alarmId);
    return r ? toEscalation(r) : null;
  }

  async putEscalation(s: EscalationState): Promise<void> {
    this.#q.write(() =>
      this.#q
        .stmt(
          `INSERT INTO notify_escalations (alarm_id, policy_id, rule_id, sent, next_at, state, reason, started_at, updated_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT (alarm_id) DO UPDATE SET policy_id = excluded.policy_id, rule_id = excluded.rule_id,
             sent = excluded.sent, next_at = excluded.next_at, state = excluded.state, reason = excluded.reason,
             started_at = excluded.started_at, updated_at = excluded.updated_at`,
        )
        .run(s.alarmId, s.policyId, s.ruleId, s.sent, s.nextAt, s.state, s.reason, s.startedAt, s.updatedAt),
    );
  }

  async dueEscalations(now: number, limit: number): Promise<EscalationState[]> {
    return this.#q
      .all<EscalationRow>(
        `SELECT * FROM notify_escalations WHERE state = 'active' AND next_at <= ? ORDER BY next_at, alarm_id LIMIT ?`,
        now,
        limitOf(limit),
      )
      .map(toEscalation);
  }

  async listEscalations(
    q: { state?: EscalationState['state']; limit?: number } = {},
  ): Promise<EscalationState[]> {
    const rows = this.#q.read(
      () =>
        this.#q.select(
          'notify_escalations',
          [['state = ?', q.state]],
          'ORDER BY updated_at DESC, alarm_id LIMIT ?',
          limitOf(q.limit),
        ) as EscalationRow[],
    );
    return rows.map(toEscalation);
  }

  async putPushSubscription(s: PushSubscriptionRecord): Promise<void> {
    this.#q.write(() =>
      this.#q
        .stmt(
          `INSERT INTO notify_push_subscriptions (endpoint, user_name, p256dh, auth, created_at) VALUES (?, ?, ?, ?, ?)
           ON CONFLICT (endpoint) DO UPDATE SET user_name = excluded.user_name, p256dh = excluded.p256dh,
             auth = excluded.auth, created_at = excluded.created_at`,
        )
        .run(s.endpoint, s.userName, s.p256dh, s.auth, s.createdAt),
    );
  }

  async deletePushSubscription(endpoint: string, userName?: string): Promise<boolean> {
    return this.#q.write(() =>
      userName === undefined
        ? this.#q.stmt('DELETE FROM notify_push_subscriptions WHERE endpoint = ?').run(endpoint).changes > 0
        : this.#q
            .stmt('DELETE FROM notify_push_subscriptions WHERE endpoint = ? AND user_name = ?')
            .run(endpoint, userName).changes > 0,
    );
  }

  async listPushSubscriptions(userName?: string): Promise<PushSubscriptionRecord[]> {
    const rows = this.#q.read(
      () =>
        this.#q.select(
          'notify_push_subscriptions',
          [['user_name = ?', userName]],
          'ORDER BY created_at, endpoint LIMIT ?',
          MAX_LIMIT,
        ) as { endpoint: string; user_name: string; p256dh: string; auth: string; created_at: number }[],
    );
    return rows.map((r) => ({
      endpoint: r.endpoint,
      userName: r.user_name,
      p256dh: r.p256dh,
      auth: r.auth,
      createdAt: r.created_at,
    }));
  }
}
