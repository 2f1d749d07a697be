import type Database from 'better-sqlite3-multiple-ciphers';
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
import type { SqliteDatabase, SqliteScope } from './sqlite-database.ts';

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
  detected_late: number;
  severity: AlarmRecord['severity'];
  message: string;
  peak: number | null;
  unit: string | null;
  ack_by: string | null;
  ack_at: number | null;
  ack_reason: string | null;
  ack_meaning: string | null;
  detail: string;
  updated_at: number;
  disproved_at: number | null;
  disproved_reason: string | null;
}

/**
 * The signer of an e-signed acknowledgement (printed name and role) is kept in `detail` under
 * this key: the alarms table of migration 3 has no columns for it. It is moved into `ack` on read.
 */
const SIGNER_KEY = 'ack_signer';

interface Signer {
  name: string;
  role: string;
}

function splitDetail(json: string): { detail: Record<string, unknown>; signer: Signer | null } {
  const { [SIGNER_KEY]: raw, ...detail } = JSON.parse(json) as Record<string, unknown>;
  const s = raw as Partial<Signer> | null | undefined;
  const signer =
    s && typeof s.name === 'string' && typeof s.role === 'string' ? { name: s.name, role: s.role } : null;
  return { detail, signer };
}

const toAlarm = (r: AlarmRow): AlarmRecord => {
  const { detail, signer } = splitDetail(r.detail);
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
    detectedLate: r.detected_late === 1,
    severity: r.severity,
    message: r.message,
    peak: r.peak,
    unit: r.unit,
    ack:
      r.ack_by !== null && r.ack_at !== null
        ? {
            by: r.ack_by,
            at: r.ack_at,
            reason: r.ack_reason ?? '',
            meaning: r.ack_meaning ?? '',
            ...(signer ? { name: signer.name, role: signer.role } : {}),
          }
        : null,
    disproved: r.disproved_at !== null ? { at: r.disproved_at, reason: r.disproved_reason ?? '' } : null,
    detail,
    updatedAt: r.updated_at,
  };
};

const DEFAULT_LIMIT = 100;
const MAX_LIMIT = 1000;

/** Column assignments of a patch, in a fixed order (few statement shapes for the cache). */
function patchSql(p: AlarmPatch & AlarmCorrection): { set: string[]; values: (string | number | null)[] } {
  const set: string[] = [];
  const values: (string | number | null)[] = [];
  const add = (col: string, v: string | number | null) => {
    set.push(`${col} = ?`);
    values.push(v);
  };
  if (p.startedAt !== undefined) add('started_at', p.startedAt);
  if (p.raisedAt !== undefined) add('raised_at', p.raisedAt);
  if (p.severity !== undefined) add('severity', p.severity);
  if (p.message !== undefined) add('message', p.message);
  if (p.peak !== undefined) add('peak', p.peak);
  if (p.unit !== undefined) add('unit', p.unit);
  if (p.resolvedAt !== undefined) add('resolved_at', p.resolvedAt);
  if (p.detail !== undefined) {
    // a new detail never drops the signer of an acknowledgement
    set.push(`detail = json_set(?, '$.${SIGNER_KEY}', json_extract(detail, '$.${SIGNER_KEY}'))`);
    values.push(JSON.stringify(p.detail));
  }
  return { set, values };
}

/**
 * The alarms table (migration 3) on the store's own connection. better-sqlite3 is synchronous:
 * each method runs its statements in one IMMEDIATE transaction and resolves at once.
 */
export class SqliteAlarmStore implements AlarmStore {
  readonly #q: SqliteScope;

  constructor(db: SqliteDatabase) {
    this.#q = db.scope('alarms');
  }

  #stmt(sql: string): Database.Statement {
    return this.#q.stmt(sql);
  }

  #run<T>(fn: () => T, write: boolean): T {
    return write ? this.#q.write(fn) : this.#q.read(fn);
  }

  #get(id: string): AlarmRecord | null {
    const row = this.#stmt('SELECT * FROM alarms WHERE id = ?').get(id) as AlarmRow | undefined;
    return row ? toAlarm(row) : null;
  }

  #active(rule: string, subject: string): AlarmRecord | null {
    const row = this.#stmt("SELECT * FROM alarms WHERE rule = ? AND subject = ? AND state <> 'resolved'").get(
      rule,
      subject,
    ) as AlarmRow | undefined;
    return row ? toAlarm(row) : null;
  }

  #patch(
    id: string,
    patch: AlarmPatch & AlarmCorrection,
    at: number,
    extra: string[] = [],
    extraValues: (number | string)[] = [],
  ) {
    const { set, values } = patchSql(patch);
    const cols = [...set, ...extra, 'updated_at = ?'];
    this.#stmt(`UPDATE alarms SET ${cols.join(', ')} WHERE id = ?`).run(...values, ...extraValues, at, id);
  }

  async open(input: OpenAlarmInput, at: number): Promise<{ alarm: AlarmRecord; created: boolean }> {
    return this.#run(() => {
      const active = this.#active(input.rule, input.subject);
      if (active) {
        const patch: AlarmPatch = {
          startedAt: input.startedAt,
          severity: input.severity,
          message: input.message,
          ...(input.peak !== undefined ? { peak: input.peak } : {}),
          ...(input.unit !== undefined ? { unit: input.unit } : {}),
          ...(input.detail !== undefined ? { detail: input.detail } : {}),
        };
        this.#patch(active.id, patch, at);
        return { alarm: this.#get(active.id) as AlarmRecord, created: false };
      }
      const id = input.id ?? alarmId(input.subject, input.rule, input.raisedAt);
      const existing = this.#get(id);
      // The same alarm opened again after it resolved (a restart replaying data): keep the record.
      if (existing) return { alarm: existing, created: false };
      this.#stmt(
        `INSERT INTO alarms (id, rule, subject, kind, state, started_at, raised_at, detected_at, resolved_at,
           detected_late, severity, message, peak, unit, ack_by, ack_at, ack_reason, ack_meaning, detail, updated_at)
         VALUES (?, ?, ?, ?, 'open', ?, ?, ?, NULL, ?, ?, ?, ?, ?, NULL, NULL, NULL, NULL, ?, ?)`,
      ).run(
        id,
        input.rule,
        input.subject,
        input.kind ?? 'rule',
        input.startedAt,
        input.raisedAt,
        input.detectedAt ?? at,
        input.detectedLate ? 1 : 0,
        input.severity,
        input.message,
        input.peak ?? null,
        input.unit ?? null,
        JSON.stringify(input.detail ?? {}),
        at,
      );
      return { alarm: this.#get(id) as AlarmRecord, created: true };
    }, true);
  }

  async update(id: string, patch: AlarmPatch, at: number): Promise<AlarmRecord | null> {
    return this.#run(() => {
      const a = this.#get(id);
      if (!a || a.state === 'resolved') return null;
      this.#patch(id, patch, at);
      return this.#get(id);
    }, true);
  }

  async resolve(
    id: string,
    resolvedAt: number,
    at: number,
    patch: AlarmPatch = {},
  ): Promise<AlarmRecord | null> {
    return this.#run(() => {
      const a = this.#get(id);
      if (!a || a.state === 'resolved') return null;
      this.#patch(id, patch, at, ["state = 'resolved'", 'resolved_at = ?'], [resolvedAt]);
      return this.#get(id);
    }, true);
  }

  async correct(
    id: string,
    patch: AlarmCorrection,
    at: number,
  ): Promise<{ before: AlarmRecord; after: AlarmRecord } | null> {
    return this.#run(() => {
      const before = this.#get(id);
      if (before?.state !== 'resolved' || before.disproved) return null;
      const { startedAt, raisedAt, resolvedAt, severity, message, peak } = patch;
      this.#patch(id, { startedAt, raisedAt, resolvedAt, severity, message, peak }, at);
      return { before, after: this.#get(id) as AlarmRecord };
    }, true);
  }

  async disprove(
    id: string,
    disproof: AlarmDisproof,
    resolvedAt: number,
    at: number,
  ): Promise<AlarmRecord | null> {
    return this.#run(() => {
      const a = this.#get(id);
      if (!a || a.disproved) return null;
      const resolve = a.state === 'resolved' ? [] : ["state = 'resolved'", 'resolved_at = ?'];
      this.#patch(
        id,
        {},
        at,
        [...resolve, 'disproved_at = ?', 'disproved_reason = ?'],
        [...(a.state === 'resolved' ? [] : [resolvedAt]), disproof.at, disproof.reason],
      );
      return this.#get(id);
    }, true);
  }

  async acknowledge(id: string, ack: AlarmAck): Promise<AlarmRecord> {
    return this.#run(() => {
      const a = this.#get(id);
      if (!a) throw new VigilError('VIGIL_ERR_NOT_FOUND', 'alarm');
      if (a.ack) throw new VigilError('VIGIL_ERR_ALREADY_ACKNOWLEDGED', a.id.slice(0, 200));
      const signer =
        ack.name !== undefined && ack.role !== undefined
          ? JSON.stringify({ name: ack.name, role: ack.role })
          : null;
      this.#stmt(
        `UPDATE alarms SET state = CASE WHEN state = 'open' THEN 'acknowledged' ELSE state END,
           ack_by = ?, ack_at = ?, ack_reason = ?, ack_meaning = ?,
           detail = CASE WHEN ? IS NULL THEN detail ELSE json_set(detail, '$.${SIGNER_KEY}', json(?)) END,
           updated_at = ? WHERE id = ?`,
      ).run(ack.by, ack.at, ack.reason, ack.meaning, signer, signer, ack.at, id);
      return this.#get(id) as AlarmRecord;
    }, true);
  }

  async list(q: AlarmQuery = {}): Promise<AlarmRecord[]> {
    const where: string[] = [];
    const args: (string | number)[] = [];
    if (q.state === 'active') where.push("state <> 'resolved'");
    else if (q.state !== undefined) {
      where.push('state = ?');
      args.push(q.state);
    }
    if (q.subject !== undefined) {
      where.push('subject = ?');
      args.push(q.subject);
    }
    if (q.rule !== undefined) {
      where.push('rule = ?');
      args.push(q.rule);
    }
    if (q.since !== undefined) {
      where.push('raised_at >= ?');
      args.push(q.since);
    }
    if (q.changedSince !== undefined) {
      where.push('updated_at >= ?');
      args.push(q.changedSince);
    }
    const limit = Math.min(Math.max(Math.trunc(q.limit ?? DEFAULT_LIMIT), 0), MAX_LIMIT);
    const order = q.changedSince !== undefined ? 'updated_at, id' : 'raised_at DESC, id';
    const sql = `SELECT * FROM alarms${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY ${order} LIMIT ?`;
    return this.#run(() => (this.#stmt(sql).all(...args, limit) as AlarmRow[]).map(toAlarm), false);
  }

  async get(id: string): Promise<AlarmRecord | null> {
    return this.#run(() => this.#get(id), false);
  }
}
