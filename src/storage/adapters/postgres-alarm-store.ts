import type pg from 'pg';
import {
  type AlarmAck,
  type AlarmCorrection,
  type AlarmDisproof,
  type AlarmPatch,
  type AlarmQuery,
  type AlarmRecord,
  type AlarmStore,
  alarmId,
  type OpenAlarmInput,
} from '../../alarms/alarm-store.ts';
import { VigilError } from '../../errors.ts';
import type { ColumnCipher } from './postgres-cipher.ts';
import type { PostgresDatabase } from './postgres-database.ts';
import { ALARM_CHANNEL, notifyAll } from './postgres-notify.ts';
import { pgStoreError, pgTx } from './postgres-store-rows.ts';

interface AlarmRow {
  id: string;
  rule: string;
  subject: string;
  kind: AlarmRecord['kind'];
  state: AlarmRecord['state'];
  started_at: number;
  raised_at: number;
  detected_at: number;
  resolved_at: number | null;
  detected_late: boolean;
  severity: AlarmRecord['severity'];
  message: Buffer;
  peak: Buffer | null;
  unit: string | null;
  ack_by: string | null;
  ack_at: number | null;
  ack_reason: Buffer | null;
  ack_meaning: string | null;
  ack_signer: Buffer | null;
  detail: Buffer;
  updated_at: number;
  disproved_at: number | null;
  disproved_reason: Buffer | null;
}

function toAlarm(c: ColumnCipher, r: AlarmRow): AlarmRecord {
  const dec = <T>(col: string, b: Buffer | null) => c.decryptNullable<T>(`alarms.${col}`, r.id, b);
  const signer = dec<{ name: string; role: string }>('ack_signer', r.ack_signer);
  return {
    id: r.id,
    rule: r.rule,
    subject: r.subject,
    kind: r.kind,
    state: r.state,
    startedAt: r.started_at,
    raisedAt: r.raised_at,
    detectedAt: r.detected_at,
    resolvedAt: r.resolved_at,
    detectedLate: r.detected_late,
    severity: r.severity,
    message: dec<string>('message', r.message) ?? '',
    peak: dec<number>('peak', r.peak),
    unit: r.unit,
    ack:
      r.ack_by !== null && r.ack_at !== null
        ? {
            by: r.ack_by,
            at: r.ack_at,
            reason: dec<string>('ack_reason', r.ack_reason) ?? '',
            meaning: r.ack_meaning ?? '',
            ...(signer ? { name: signer.name, role: signer.role } : {}),
          }
        : null,
    disproved:
      r.disproved_at !== null
        ? { at: r.disproved_at, reason: dec<string>('disproved_reason', r.disproved_reason) ?? '' }
        : null,
    detail: dec<Record<string, unknown>>('detail', r.detail) ?? {},
    updatedAt: r.updated_at,
  };
}

const DEFAULT_LIMIT = 100;
const MAX_LIMIT = 1000;

/**
 * The `AlarmStore` port on PostgreSQL. Reads that precede a write lock the row (`FOR UPDATE`);
 * opening an alarm takes an advisory lock on (rule, subject), so two processes cannot both open
 * one. Texts, peaks and details are column-encrypted with the alarm id as AAD.
 */
export class PostgresAlarmStore implements AlarmStore {
  readonly #db: PostgresDatabase;

  constructor(db: PostgresDatabase) {
    this.#db = db;
  }

  get #c(): ColumnCipher {
    return this.#db.cipher;
  }

  #tx<T>(fn: (c: pg.ClientBase) => Promise<T>): Promise<T> {
    return pgTx(this.#db, 'alarms', fn);
  }

  async #get(c: pg.ClientBase, id: string, lock = false): Promise<AlarmRecord | null> {
    const r = await c.query<AlarmRow>(`SELECT * FROM alarms WHERE id = $1${lock ? ' FOR UPDATE' : ''}`, [id]);
    return r.rows[0] ? toAlarm(this.#c, r.rows[0]) : null;
  }

  /** Applies a patch (and extra plain assignments) to alarm `id`. */
  async #patch(
    c: pg.ClientBase,
    id: string,
    p: AlarmPatch & AlarmCorrection,
    at: number,
    extra: Record<string, unknown> = {},
  ): Promise<void> {
    const set: string[] = [];
    const values: unknown[] = [id];
    const add = (col: string, v: unknown) => {
      values.push(v);
      set.push(`${col} = $${values.length}`);
    };
    const enc = (col: string, v: unknown) => this.#c.encryptNullable(`alarms.${col}`, id, v);
    if (p.startedAt !== undefined) add('started_at', p.startedAt);
    if (p.raisedAt !== undefined) add('raised_at', p.raisedAt);
    if (p.severity !== undefined) add('severity', p.severity);
    if (p.message !== undefined) add('message', enc('message', p.message));
    if (p.peak !== undefined) add('peak', enc('peak', p.peak));
    if (p.unit !== undefined) add('unit', p.unit);
    if (p.resolvedAt !== undefined) add('resolved_at', p.resolvedAt);
    if (p.detail !== undefined) add('detail', enc('detail', p.detail));
    for (const [col, v] of Object.entries(extra)) add(col, v);
    add('updated_at', at);
    await c.query(`UPDATE alarms SET ${set.join(', ')} WHERE id = $1`, values);
    await notifyAll(c, ALARM_CHANNEL, [id]);
  }

  async open(input: OpenAlarmInput, at: number): Promise<{ alarm: AlarmRecord; created: boolean }> {
    return this.#tx(async (c) => {
      await c.query(
        `SELECT pg_advisory_xact_lock(hashtext(current_schema() || ':alarm:' || $1 || '|' || $2))`,
        [input.rule, input.subject],
      );
      const act = await c.query<AlarmRow>(
        "SELECT * FROM alarms WHERE rule = $1 AND subject = $2 AND state <> 'resolved' FOR UPDATE",
        [input.rule, input.subject],
      );
      const active = act.rows[0];
      if (active) {
        await this.#patch(
          c,
          active.id,
          {
            startedAt: input.startedAt,
            severity: input.severity,
            message: input.message,
            ...(input.peak !== undefined ? { peak: input.peak } : {}),
            ...(input.unit !== undefined ? { unit: input.unit } : {}),
            ...(input.detail !== undefined ? { detail: input.detail } : {}),
          },
          at,
        );
        return { alarm: (await this.#get(c, active.id)) as AlarmRecord, created: false };
      }
      const id = input.id ?? alarmId(input.subject, input.rule, input.raisedAt);
      const existing = await this.#get(c, id);
      // The same alarm opened again after it resolved (a restart replaying data): keep the record.
      if (existing) return { alarm: existing, created: false };
      const enc = (col: string, v: unknown) => this.#c.encryptNullable(`alarms.${col}`, id, v);
      await c.query(
        `INSERT INTO alarms (id, rule, subject, kind, state, started_at, raised_at, detected_at, detected_late, severity,
           message, peak, unit, detail, updated_at)
         VALUES ($1, $2, $3, $4, 'open', $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
        [
          id,
          input.rule,
          input.subject,
          input.kind ?? 'rule',
          input.startedAt,
          input.raisedAt,
          input.detectedAt ?? at,
          input.detectedLate ?? false,
          input.severity,
          enc('message', input.message),
          enc('peak', input.peak ?? null),
          input.unit ?? null,
          enc('detail', input.detail ?? {}),
          at,
        ],
      );
      await notifyAll(c, ALARM_CHANNEL, [id]);
      return { alarm: (await this.#get(c, id)) as AlarmRecord, created: true };
    });
  }

  async update(id: string, patch: AlarmPatch, at: number): Promise<AlarmRecord | null> {
    return this.#tx(async (c) => {
      const a = await this.#get(c, id, true);
      if (!a || a.state === 'resolved') return null;
      await this.#patch(c, id, patch, at);
      return this.#get(c, id);
    });
  }

  async resolve(
    id: string,
    resolvedAt: number,
    at: number,
    patch: AlarmPatch = {},
  ): Promise<AlarmRecord | null> {
    return this.#tx(async (c) => {
      const a = await this.#get(c, id, true);
      if (!a || a.state === 'resolved') return null;
      await this.#patch(c, id, patch, at, { state: 'resolved', resolved_at: resolvedAt });
      return this.#get(c, id);
    });
  }

  async correct(
    id: string,
    patch: AlarmCorrection,
    at: number,
  ): Promise<{ before: AlarmRecord; after: AlarmRecord } | null> {
    return this.#tx(async (c) => {
      const before = await this.#get(c, id, true);
      if (before?.state !== 'resolved' || before.disproved) return null;
      const { startedAt, raisedAt, resolvedAt, severity, message, peak } = patch;
      await this.#patch(c, id, { startedAt, raisedAt, resolvedAt, severity, message, peak }, at);
      return { before, after: (await this.#get(c, id)) as AlarmRecord };
    });
  }

  async disprove(
    id: string,
    disproof: AlarmDisproof,
    resolvedAt: number,
    at: number,
  ): Promise<AlarmRecord | null> {
    return this.#tx(async (c) => {
      const a = await this.#get(c, id, true);
      if (!a || a.disproved) return null;
      await this.#patch(c, id, {}, at, {
        ...(a.state === 'resolved' ? {} : { state: 'resolved', resolved_at: resolvedAt }),
        disproved_at: disproof.at,
        disproved_reason: this.#c.encryptJson('alarms.disproved_reason', id, disproof.reason),
      });
      return this.#get(c, id);
    });
  }

  async acknowledge(id: string, ack: AlarmAck): Promise<AlarmRecord> {
    return this.#tx(async (c) => {
      const a = await this.#get(c, id, true);
      if (!a) throw new VigilError('VIGIL_ERR_NOT_FOUND', 'alarm');
      if (a.ack) throw new VigilError('VIGIL_ERR_ALREADY_ACKNOWLEDGED', a.id.slice(0, 200));
      const signer =
        ack.name !== undefined && ack.role !== undefined ? { name: ack.name, role: ack.role } : null;
      await this.#patch(c, id, {}, ack.at, {
        state: a.state === 'open' ? 'acknowledged' : a.state,
        ack_by: ack.by,
        ack_at: ack.at,
        ack_reason: this.#c.encryptJson('alarms.ack_reason', id, ack.reason),
        ack_meaning: ack.meaning,
        ack_signer: this.#c.encryptNullable('alarms.ack_signer', id, signer),
      });
      return (await this.#get(c, id)) as AlarmRecord;
    });
  }

  async list(q: AlarmQuery = {}): Promise<AlarmRecord[]> {
    const where: string[] = [];
    const args: unknown[] = [];
    const add = (sql: string, v: unknown) => {
      args.push(v);
      where.push(sql.replace('?', `$${args.length}`));
    };
    if (q.state === 'active') where.push("state <> 'resolved'");
    else if (q.state !== undefined) add('state = ?', q.state);
    if (q.subject !== undefined) add('subject = ?', q.subject);
    if (q.rule !== undefined) add('rule = ?', q.rule);
    if (q.since !== undefined) add('raised_at >= ?', q.since);
    if (q.changedSince !== undefined) add('updated_at >= ?', q.changedSince);
    args.push(Math.min(Math.max(Math.trunc(q.limit ?? DEFAULT_LIMIT), 0), MAX_LIMIT));
    const order = q.changedSince !== undefined ? 'updated_at, id' : 'raised_at DESC, id';
    const sql = `SELECT * FROM alarms${where.length ? ` WHERE ${where.join(' AND ')}` : ''}
      ORDER BY ${order} LIMIT $${args.length}`;
    try {
      return (await this.#db.q<AlarmRow>(sql, args)).map((r) => toAlarm(this.#c, r));
    } catch (err) {
      throw pgStoreError(err, 'alarms');
    }
  }

  async get(id: string): Promise<AlarmRecord | null> {
    return this.#tx((c) => this.#get(c, id));
  }
}
