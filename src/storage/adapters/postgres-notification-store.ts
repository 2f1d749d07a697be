import type pg from 'pg';
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
import type { ColumnCipher } from './postgres-cipher.ts';
import type { PostgresDatabase } from './postgres-database.ts';
import { pgStoreError, pgTx } from './postgres-store-rows.ts';

interface OutboxRow {
  id: number;
  alarm_id: string | null;
  event: string;
  channel: Channel;
  contact_id: string | null;
  recipient: Buffer;
  target: Record<string, unknown>;
  message: Buffer;
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
const configId = (kind: ConfigKind, id: string) => `${kind}|${id}`;

/**
 * The `NotificationStore` port on PostgreSQL (migration 3). Several processes may send: a claim
 * takes due rows with `FOR UPDATE SKIP LOCKED`, so two senders never claim one notification.
 * Configuration bodies, recipients, messages and push keys are column-encrypted, each bound to
 * its row (the outbox id, `kind|id`, the endpoint).
 */
export class PostgresNotificationStore implements NotificationStore {
  readonly #db: PostgresDatabase;

  constructor(db: PostgresDatabase) {
    this.#db = db;
  }

  get #c(): ColumnCipher {
    return this.#db.cipher;
  }

  #tx<T>(fn: (c: pg.ClientBase) => Promise<T>): Promise<T> {
    return pgTx(this.#db, 'notifications', fn);
  }

  async #q<R extends pg.QueryResultRow>(sql: string, params: unknown[] = []): Promise<R[]> {
    try {
      return await this.#db.q<R>(sql, params);
    } catch (err) {
      throw pgStoreError(err, 'notifications');
    }
  }

  #outbox(r: OutboxRow): OutboxRecord {
    const id = String(r.id);
    return {
      id: Number(r.id),
      alarmId: r.alarm_id,
      event: r.event,
      channel: r.channel,
      contactId: r.contact_id,
      recipient: this.#c.decryptJson<string>('notify_outbox.recipient', id, r.recipient),
      target: r.target,
      message: this.#c.decryptJson<OutboxRecord['message']>('notify_outbox.message', id, r.message),
      escalationLevel: r.escalation_level,
      level: r.level,
      state: r.state,
      attempts: r.attempts,
      nextAttemptAt: r.next_attempt_at,
      createdAt: r.created_at,
      updatedAt: r.updated_at,
      sentAt: r.sent_at,
      lastResponse: r.last_response,
    };
  }

  #config(kind: ConfigKind, r: { id: string; body: Buffer; created_at: number; updated_at: number }) {
    return {
      kind,
      id: r.id,
      body: this.#c.decryptJson<Record<string, unknown>>('notify_config.body', configId(kind, r.id), r.body),
      createdAt: r.created_at,
      updatedAt: r.updated_at,
    };
  }

  async listConfig(kind: ConfigKind): Promise<ConfigRecord[]> {
    const rows = await this.#q<{ id: string; body: Buffer; created_at: number; updated_at: number }>(
      'SELECT id, body, created_at, updated_at FROM notify_config WHERE kind = $1 ORDER BY id',
      [kind],
    );
    return rows.map((r) => this.#config(kind, r));
  }

  async getConfig(kind: ConfigKind, id: string): Promise<ConfigRecord | null> {
    const rows = await this.#q<{ id: string; body: Buffer; created_at: number; updated_at: number }>(
      'SELECT id, body, created_at, updated_at FROM notify_config WHERE kind = $1 AND id = $2',
      [kind, id],
    );
    return rows[0] ? this.#config(kind, rows[0]) : null;
  }

  async putConfig(
    kind: ConfigKind,
    id: string,
    body: Record<string, unknown>,
    at: number,
  ): Promise<{ created: boolean }> {
    const sealed = this.#c.encryptJson('notify_config.body', configId(kind, id), body);
    const rows = await this.#q<{ created: boolean }>(
      `INSERT INTO notify_config (kind, id, body, created_at, updated_at) VALUES ($1, $2, $3, $4, $4)
       ON CONFLICT (kind, id) DO UPDATE SET body = excluded.body, updated_at = excluded.updated_at
       RETURNING (xmax = 0) AS created`,
      [kind, id, sealed, at],
    );
    return { created: rows[0]?.created === true };
  }

  async deleteConfig(kind: ConfigKind, id: string): Promise<boolean> {
    const rows = await this.#q('DELETE FROM notify_config WHERE kind = $1 AND id = $2 RETURNING id', [
      kind,
      id,
    ]);
    return rows.length > 0;
  }

  async putSecret(name: string, sealed: Buffer, at: number): Promise<void> {
    await this.#q(
      `INSERT INTO notify_secrets (name, sealed, updated_at) VALUES ($1, $2, $3)
       ON CONFLICT (name) DO UPDATE SET sealed = excluded.sealed, updated_at = excluded.updated_at`,
      [name, sealed, at],
    );
  }

  async getSecret(name: string): Promise<Buffer | null> {
    const rows = await this.#q<{ sealed: Buffer }>('SELECT sealed FROM notify_secrets WHERE name = $1', [
      name,
    ]);
    return rows[0] ? Buffer.from(rows[0].sealed) : null;
  }

  async deleteSecret(name: string): Promise<void> {
    await this.#q('DELETE FROM notify_secrets WHERE name = $1', [name]);
  }

  async enqueue(items: readonly OutboxInput[], at: number): Promise<OutboxRecord[]> {
    if (items.length === 0) return [];
    return this.#tx(async (c) => {
      // Ids first: each row's ciphertexts are bound to its id.
      const ids = (
        await c.query<{ id: number }>(
          `SELECT nextval(pg_get_serial_sequence('notify_outbox', 'id')) AS id FROM generate_series(1, $1)`,
          [items.length],
        )
      ).rows.map((r) => Number(r.id));
      const out: OutboxRecord[] = [];
      for (const [k, i] of items.entries()) {
        const id = ids[k] as number;
        const skipped = i.state === 'skipped';
        const claimed = !skipped && i.leaseUntil !== undefined;
        const r = await c.query<OutboxRow>(
          `INSERT INTO notify_outbox (id, alarm_id, event, channel, contact_id, recipient, target, message,
             escalation_level, level, state, attempts, next_attempt_at, created_at, updated_at, sent_at, last_response)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 0, $12, $13, $13, NULL, $14) RETURNING *`,
          [
            id,
            i.alarmId,
            i.event,
            i.channel,
            i.contactId,
            this.#c.encryptJson('notify_outbox.recipient', String(id), i.recipient),
            JSON.stringify(i.target),
            this.#c.encryptJson('notify_outbox.message', String(id), i.message),
            i.escalationLevel,
            i.level,
            skipped ? 'skipped' : claimed ? 'sending' : 'pending',
            skipped ? null : claimed ? (i.leaseUntil as number) : at,
            at,
            i.note?.slice(0, RESPONSE_MAX) ?? null,
          ],
        );
        out.push(this.#outbox(r.rows[0] as OutboxRow));
      }
      return out;
    });
  }

  async claimDue(now: number, limit: number, leaseUntil: number): Promise<OutboxRecord[]> {
    return this.#tx(async (c) => {
      // SKIP LOCKED: a row another sender is claiming right now is left to it.
      const due = await c.query<{ id: number }>(
        `SELECT id FROM notify_outbox WHERE state = 'pending' AND next_attempt_at <= $1
         ORDER BY next_attempt_at, id LIMIT $2 FOR UPDATE SKIP LOCKED`,
        [now, limitOf(limit)],
      );
      const ids = due.rows.map((r) => Number(r.id));
      if (ids.length === 0) return [];
      const r = await c.query<OutboxRow>(
        `UPDATE notify_outbox SET state = 'sending', next_attempt_at = $2, updated_at = $3
         WHERE id = ANY($1::bigint[]) RETURNING *`,
        [ids, leaseUntil, now],
      );
      const byId = new Map(r.rows.map((x) => [Number(x.id), x]));
      return ids.map((id) => this.#outbox(byId.get(id) as OutboxRow));
    });
  }

  async recordAttempt(
    id: number,
    attempt: Omit<AttemptRecord, 'outboxId'>,
    outcome: AttemptOutcome,
  ): Promise<OutboxRecord> {
    return this.#tx(async (c) => {
      const cur = await c.query('SELECT id FROM notify_outbox WHERE id = $1 FOR UPDATE', [id]);
      if (cur.rows.length === 0) throw new VigilError('VIGIL_ERR_NOT_FOUND', `notification ${id}`);
      const response = attempt.response.slice(0, RESPONSE_MAX);
      await c.query(
        'INSERT INTO notify_attempts (outbox_id, at, ok, response, duration_ms) VALUES ($1, $2, $3, $4, $5)',
        [id, attempt.at, attempt.ok, response, Math.max(0, Math.round(attempt.durationMs))],
      );
      const next = outcome.state === 'pending' ? outcome.nextAttemptAt : null;
      const r = await c.query<OutboxRow>(
        `UPDATE notify_outbox SET state = $2, attempts = attempts + 1, next_attempt_at = $3, updated_at = $4,
           sent_at = CASE WHEN $2 = 'sent' THEN $4 ELSE sent_at END, last_response = $5
         WHERE id = $1 RETURNING *`,
        [id, outcome.state, next, attempt.at, response],
      );
      return this.#outbox(r.rows[0] as OutboxRow);
    });
  }

  async cancelPending(alarmId: string, reason: string, at: number): Promise<number> {
    const rows = await this.#q(
      `UPDATE notify_outbox SET state = 'cancelled', next_attempt_at = NULL, updated_at = $1, last_response = $2
       WHERE alarm_id = $3 AND state = 'pending' RETURNING id`,
      [at, reason.slice(0, RESPONSE_MAX), alarmId],
    );
    return rows.length;
  }

  async releaseExpired(before: number): Promise<number> {
    // Due again at once: the claim time is in the past.
    const rows = await this.#q(
      `UPDATE notify_outbox SET state = 'pending', next_attempt_at = updated_at
       WHERE state = 'sending' AND next_attempt_at < $1 RETURNING id`,
      [before],
    );
    return rows.length;
  }

  async listOutbox(q: OutboxQuery = {}): Promise<OutboxRecord[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    const add = (sql: string, v: unknown) => {
      if (v === undefined) return;
      params.push(v);
      where.push(sql.replace('?', `$${params.length}`));
    };
    add('alarm_id = ?', q.alarmId);
    add('state = ?', q.state);
    add('created_at >= ?', q.since);
    params.push(limitOf(q.limit));
    const rows = await this.#q<OutboxRow>(
      `SELECT * FROM notify_outbox ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
       ORDER BY id DESC LIMIT $${params.length}`,
      params,
    );
    return rows.map((r) => this.#outbox(r));
  }

  async attempts(outboxId: number): Promise<AttemptRecord[]> {
    const rows = await this.#q<{ at: number; ok: boolean; response: string; duration_ms: number }>(
      'SELECT at, ok, response, duration_ms FROM notify_attempts WHERE outbox_id = $1 ORDER BY at, n',
      [outboxId],
    );
    return rows.map((r) => ({
      outboxId,
      at: r.at,
      ok: r.ok,
      response: r.response,
      durationMs: r.duration_ms,
    }));
  }

  async getRouting(alarmId: string): Promise<RoutingRecord | null> {
    const rows = await this.#q<{ level: Level; at: number }>(
      'SELECT level, at FROM notify_routing WHERE alarm_id = $1',
      [alarmId],
    );
    return rows[0] ? { alarmId, level: rows[0].level, at: rows[0].at } : null;
  }

  async putRouting(r: RoutingRecord): Promise<void> {
    await this.#q(
      `INSERT INTO notify_routing (alarm_id, level, at) VALUES ($1, $2, $3)
       ON CONFLICT (alarm_id) DO UPDATE SET level = excluded.level, at = excluded.at`,
      [r.alarmId, r.level, r.at],
    );
  }

  async getEscalation(alarmId: string): Promise<EscalationState | null> {
    const rows = await this.#q<EscalationRow>('SELECT * FROM notify_escalations WHERE alarm_id = $1', [
      alarmId,
    ]);
    return rows[0] ? toEscalation(rows[0]) : null;
  }

  async putEscalation(s: EscalationState): Promise<void> {
    await this.#q(
      `INSERT INTO notify_escalations (alarm_id, policy_id, rule_id, sent, next_at, state, reason, started_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
       ON CONFLICT (alarm_id) DO UPDATE SET policy_id = excluded.policy_id, rule_id = excluded.rule_id,
         sent = excluded.sent, next_at = excluded.next_at, state = excluded.state, reason = excluded.reason,
         started_at = excluded.started_at, updated_at = excluded.updated_at`,
      [s.alarmId, s.policyId, s.ruleId, s.sent, s.nextAt, s.state, s.reason, s.startedAt, s.updatedAt],
    );
  }

  async dueEscalations(now: number, limit: number): Promise<EscalationState[]> {
    const rows = await this.#q<EscalationRow>(
      `SELECT * FROM notify_escalations WHERE state = 'active' AND next_at <= $1
       ORDER BY next_at, alarm_id LIMIT $2`,
      [now, limitOf(limit)],
    );
    return rows.map(toEscalation);
  }

  async listEscalations(
    q: { state?: EscalationState['state']; limit?: number } = {},
  ): Promise<EscalationState[]> {
    const rows = await this.#q<EscalationRow>(
      `SELECT * FROM notify_escalations WHERE ($1::text IS NULL OR state = $1)
       ORDER BY updated_at DESC, alarm_id LIMIT $2`,
      [q.state ?? null, limitOf(q.limit)],
    );
    return rows.map(toEscalation);
  }

  async putPushSubscription(s: PushSubscriptionRecord): Promise<void> {
    const keys = this.#c.encryptJson('notify_push_subscriptions.keys', s.endpoint, {
      p256dh: s.p256dh,
      auth: s.auth,
    });
    await this.#q(
      `INSERT INTO notify_push_subscriptions (endpoint, user_name, keys, created_at) VALUES ($1, $2, $3, $4)
       ON CONFLICT (endpoint) DO UPDATE SET user_name = excluded.user_name, keys = excluded.keys,
         created_at = excluded.created_at`,
      [s.endpoint, s.userName, keys, s.createdAt],
    );
  }

  async deletePushSubscription(endpoint: string, userName?: string): Promise<boolean> {
    const rows = await this.#q(
      `DELETE FROM notify_push_subscriptions WHERE endpoint = $1 AND ($2::text IS NULL OR user_name = $2)
       RETURNING endpoint`,
      [endpoint, userName ?? null],
    );
    return rows.length > 0;
  }

  async listPushSubscriptions(userName?: string): Promise<PushSubscriptionRecord[]> {
    const rows = await this.#q<{ endpoint: string; user_name: string; keys: Buffer; created_at: number }>(
      `SELECT endpoint, user_name, keys, created_at FROM notify_push_subscriptions
       WHERE ($1::text IS NULL OR user_name = $1) ORDER BY created_at, endpoint LIMIT $2`,
      [userName ?? null, MAX_LIMIT],
    );
    return rows.map((r) => {
      const k = this.#c.decryptJson<{ p256dh: string; auth: string }>(
        'notify_push_subscriptions.keys',
        r.endpoint,
        r.keys,
      );
      return {
        endpoint: r.endpoint,
        userName: r.user_name,
        p256dh: k.p256dh,
        auth: k.auth,
        createdAt: r.created_at,
      };
    });
  }
}
