import type {
  CommandQuery,
  CommandRecord,
  CommandScalar,
  CommandState,
  CommandStore,
} from '../../commands/command-store.ts';
import { VigilError } from '../../errors.ts';
import type { SqliteDatabase, SqliteScope } from './sqlite-database.ts';

interface CommandRow {
  id: string;
  device_id: string;
  op: string;
  args: string;
  state: CommandState;
  outcome: 'ok' | 'error' | null;
  error: string | null;
  result: string | null;
  created_by: string;
  reason: string | null;
  created_at: number;
  expires_at: number;
  sent_at: number | null;
  send_count: number;
  downlink_seq: number | null;
  acked_at: number | null;
  updated_at: number;
}

const toCommand = (r: CommandRow): CommandRecord => ({
  id: r.id,
  deviceId: r.device_id,
  op: r.op,
  args: JSON.parse(r.args) as Record<string, CommandScalar>,
  state: r.state,
  outcome: r.outcome,
  error: r.error,
  result: r.result === null ? null : (JSON.parse(r.result) as Record<string, CommandScalar>),
  createdBy: r.created_by,
  reason: r.reason,
  createdAt: r.created_at,
  expiresAt: r.expires_at,
  sentAt: r.sent_at,
  sendCount: r.send_count,
  downlinkSeq: r.downlink_seq,
  ackedAt: r.acked_at,
  updatedAt: r.updated_at,
});

const PENDING = "state IN ('queued', 'sent')";

/** The commands tables on the store's connection (one IMMEDIATE transaction per write). */
export class SqliteCommandStore implements CommandStore {
  readonly #q: SqliteScope;

  constructor(db: SqliteDatabase) {
    this.#q = db.scope('commands', (code) =>
      code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY'
        ? new VigilError('VIGIL_ERR_COMMAND_EXISTS')
        : code === 'SQLITE_CONSTRAINT_FOREIGNKEY'
          ? new VigilError('VIGIL_ERR_NOT_FOUND', 'device')
          : undefined,
    );
  }

  #get(id: string): CommandRecord | null {
    const row = this.#q.one<CommandRow>('SELECT * FROM commands WHERE id = ?', id);
    return row ? toCommand(row) : null;
  }

  async enqueue(c: CommandRecord): Promise<void> {
    this.#q.write(() =>
      this.#q
        .stmt(
          `INSERT INTO commands (id, device_id, op, args, state, outcome, error, result, created_by, reason,
             created_at, expires_at, sent_at, send_count, downlink_seq, acked_at, updated_at)
           VALUES (?, ?, ?, ?, 'queued', NULL, NULL, NULL, ?, ?, ?, ?, NULL, 0, NULL, NULL, ?)`,
        )
        .run(
          c.id,
          c.deviceId,
          c.op,
          JSON.stringify(c.args),
          c.createdBy,
          c.reason,
          c.createdAt,
          c.expiresAt,
          c.createdAt,
        ),
    );
  }

  async get(id: string): Promise<CommandRecord | null> {
    return this.#q.read(() => this.#get(id));
  }

  async list(q: CommandQuery = {}): Promise<CommandRecord[]> {
    const where: string[] = [];
    const args: (string | number)[] = [];
    if (q.deviceId !== undefined) {
      where.push('device_id = ?');
      args.push(q.deviceId);
    }
    if (q.states && q.states.length > 0) {
      where.push(`state IN (${q.states.map(() => '?').join(', ')})`);
      args.push(...q.states);
    }
    const limit = Math.min(Math.max(Math.trunc(q.limit ?? 100), 0), 10_000);
    const sql = `SELECT * FROM commands ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
      ORDER BY n ${q.newestFirst ? 'DESC' : 'ASC'} LIMIT ?`;
    return this.#q.all<CommandRow>(sql, ...args, limit).map(toCommand);
  }

  async recordSend(id: string, at: number): Promise<{ seq: number; command: CommandRecord } | null> {
    return this.#q.write(() => {
      const cur = this.#q.one<CommandRow>(`SELECT * FROM commands WHERE id = ? AND ${PENDING}`, id);
      if (!cur) return null;
      const seqRow = this.#q.one<{ next_seq: number }>(
        'SELECT next_seq FROM downlink_seq WHERE device_id = ?',
        cur.device_id,
      );
      const seq = seqRow?.next_seq ?? 0;
      this.#q
        .stmt(
          `INSERT INTO downlink_seq (device_id, next_seq) VALUES (?, ?)
           ON CONFLICT (device_id) DO UPDATE SET next_seq = excluded.next_seq`,
        )
        .run(cur.device_id, seq + 1);
      this.#q
        .stmt(
          `UPDATE commands SET state = 'sent', sent_at = ?, send_count = send_count + 1, downlink_seq = ?,
             updated_at = ? WHERE id = ?`,
        )
        .run(at, seq, at, id);
      return { seq, command: this.#get(id) as CommandRecord };
    });
  }

  async recordAck(
    id: string,
    deviceId: string,
    ack: { ok: boolean; error?: string | undefined; result?: Record<string, CommandScalar> | undefined },
    at: number,
  ): Promise<CommandRecord | null> {
    return this.#q.write(() => {
      const r = this.#q
        .stmt(
          `UPDATE commands SET state = 'acked', outcome = ?, error = ?, result = ?, acked_at = ?, updated_at = ?
           WHERE id = ? AND device_id = ? AND ${PENDING}`,
        )
        .run(
          ack.ok ? 'ok' : 'error',
          ack.error ?? null,
          ack.result === undefined ? null : JSON.stringify(ack.result),
          at,
          at,
          id,
          deviceId,
        );
      return r.changes === 1 ? this.#get(id) : null;
    });
  }

  async expireDue(now: number): Promise<CommandRecord[]> {
    return this.#q.write(() => {
      const due = this.#q.all<CommandRow>(
        `SELECT * FROM commands WHERE ${PENDING} AND expires_at <= ? ORDER BY n`,
        now,
      );
      const upd = this.#q.stmt(
        "UPDATE commands SET state = 'expired', error = 'expired before the device acknowledged', updated_at = ? WHERE id = ?",
      );
      for (const r of due) upd.run(now, r.id);
      return due.map((r) => this.#get(r.id) as CommandRecord);
    });
  }

  async devicesWithPending(): Promise<string[]> {
    return this.#q
      .all<{ device_id: string }>(
        `SELECT DISTINCT device_id FROM commands WHERE ${PENDING} ORDER BY device_id`,
      )
      .map((r) => r.device_id);
  }

  async peekDownlinkSeq(deviceId: string): Promise<number> {
    return (
      this.#q.one<{ next_seq: number }>('SELECT next_seq FROM downlink_seq WHERE device_id = ?', deviceId)
        ?.next_seq ?? 0
    );
  }
}
