import type pg from 'pg';
import type {
  CommandQuery,
  CommandRecord,
  CommandScalar,
  CommandState,
  CommandStore,
} from '../../commands/command-store.ts';
import { VigilError } from '../../errors.ts';
import type { ColumnCipher } from './postgres-cipher.ts';
import type { PostgresDatabase } from './postgres-database.ts';
import { pgCode, pgOps, pgStoreError, pgTx } from './postgres-store-rows.ts';

interface CommandRow {
  id: string;
  device_id: string;
  op: string;
  args: Buffer;
  state: CommandState;
  outcome: 'ok' | 'error' | null;
  error: Buffer | null;
  result: Buffer | null;
  created_by: string;
  reason: Buffer | null;
  created_at: number;
  expires_at: number;
  sent_at: number | null;
  send_count: number;
  downlink_seq: number | null;
  acked_at: number | null;
  updated_at: number;
}

type Scalars = Record<string, CommandScalar>;

function toCommand(c: ColumnCipher, r: CommandRow): CommandRecord {
  const dec = <T>(col: string, b: Buffer | null) => c.decryptNullable<T>(`commands.${col}`, r.id, b);
  return {
    id: r.id,
    deviceId: r.device_id,
    op: r.op,
    args: dec<Scalars>('args', r.args) ?? {},
    state: r.state,
    outcome: r.outcome,
    error: dec<string>('error', r.error),
    result: dec<Scalars>('result', r.result),
    createdBy: r.created_by,
    reason: dec<string>('reason', r.reason),
    createdAt: r.created_at,
    expiresAt: r.expires_at,
    sentAt: r.sent_at,
    sendCount: r.send_count,
    downlinkSeq: r.downlink_seq,
    ackedAt: r.acked_at,
    updatedAt: r.updated_at,
  };
}

const PENDING = "state IN ('queued', 'sent')";
const EXPIRED = 'expired before the device acknowledged';

/**
 * The `CommandStore` port on PostgreSQL. A send locks its command row and takes the device's
 * next downlink seq with one upsert, so two processes sending at once never share a seq; acks and
 * expiry change a pending row only (a late or repeated one finds none). Arguments, results, errors
 * and reasons are column-encrypted with the command id as AAD.
 */
export class PostgresCommandStore implements CommandStore {
  readonly #db: PostgresDatabase;

  constructor(db: PostgresDatabase) {
    this.#db = db;
  }

  #enc(col: string, id: string, v: unknown): Buffer | null {
    return this.#db.cipher.encryptNullable(`commands.${col}`, id, v);
  }

  #rows(rows: CommandRow[]): CommandRecord[] {
    return rows.map((r) => toCommand(this.#db.cipher, r));
  }

  /** One statement outside a transaction (retried on a failover like the others). */
  #read<R extends pg.QueryResultRow>(sql: string, params: unknown[]): Promise<R[]> {
    return pgOps(this.#db, (err) => pgStoreError(err, 'commands')).q<R>(sql, params);
  }

  async enqueue(cmd: CommandRecord): Promise<void> {
    try {
      await this.#db.tx(({ client }) =>
        client.query(
          `INSERT INTO commands (id, device_id, op, args, state, outcome, error, result, created_by, reason,
             created_at, expires_at, sent_at, send_count, downlink_seq, acked_at, updated_at)
           VALUES ($1, $2, $3, $4, 'queued', NULL, NULL, NULL, $5, $6, $7, $8, NULL, 0, NULL, NULL, $7)`,
          [
            cmd.id,
            cmd.deviceId,
            cmd.op,
            this.#enc('args', cmd.id, cmd.args),
            cmd.createdBy,
            this.#enc('reason', cmd.id, cmd.reason),
            cmd.createdAt,
            cmd.expiresAt,
          ],
        ),
      );
    } catch (err) {
      if (pgCode(err) === '23505') throw new VigilError('VIGIL_ERR_COMMAND_EXISTS');
      if (pgCode(err) === '23503') throw new VigilError('VIGIL_ERR_NOT_FOUND', 'device');
      throw pgStoreError(err, 'commands');
    }
  }

  async get(id: string): Promise<CommandRecord | null> {
    return this.#rows(await this.#read<CommandRow>('SELECT * FROM commands WHERE id = $1', [id]))[0] ?? null;
  }

  async list(q: CommandQuery = {}): Promise<CommandRecord[]> {
    const where: string[] = [];
    const args: unknown[] = [];
    if (q.deviceId !== undefined) {
      args.push(q.deviceId);
      where.push(`device_id = $${args.length}`);
    }
    if (q.states && q.states.length > 0) {
      args.push([...q.states]);
      where.push(`state = ANY($${args.length}::text[])`);
    }
    args.push(Math.min(Math.max(Math.trunc(q.limit ?? 100), 0), 10_000));
    const sql = `SELECT * FROM commands ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
      ORDER BY n ${q.newestFirst ? 'DESC' : 'ASC'} LIMIT $${args.length}`;
    return this.#rows(await this.#read<CommandRow>(sql, args));
  }

  async recordSend(id: string, at: number): Promise<{ seq: number; command: CommandRecord } | null> {
    return pgTx(this.#db, 'commands', async (c) => {
      const cur = await c.query<{ device_id: string }>(
        `SELECT device_id FROM commands WHERE id = $1 AND ${PENDING} FOR UPDATE`,
        [id],
      );
      const deviceId = cur.rows[0]?.device_id;
      if (deviceId === undefined) return null;
      const s = await c.query<{ seq: number }>(
        `INSERT INTO downlink_seq (device_id, next_seq) VALUES ($1, 1)
         ON CONFLICT (device_id) DO UPDATE SET next_seq = downlink_seq.next_seq + 1
         RETURNING next_seq - 1 AS seq`,
        [deviceId],
      );
      const seq = Number(s.rows[0]?.seq);
      const upd = await c.query<CommandRow>(
        `UPDATE commands SET state = 'sent', sent_at = $2, send_count = send_count + 1, downlink_seq = $3,
           updated_at = $2 WHERE id = $1 RETURNING *`,
        [id, at, seq],
      );
      return { seq, command: this.#rows(upd.rows)[0] as CommandRecord };
    });
  }

  async recordAck(
    id: string,
    deviceId: string,
    ack: { ok: boolean; error?: string | undefined; result?: Scalars | undefined },
    at: number,
  ): Promise<CommandRecord | null> {
    return pgTx(this.#db, 'commands', async (c) => {
      const r = await c.query<CommandRow>(
        `UPDATE commands SET state = 'acked', outcome = $3, error = $4, result = $5, acked_at = $6, updated_at = $6
         WHERE id = $1 AND device_id = $2 AND ${PENDING} RETURNING *`,
        [
          id,
          deviceId,
          ack.ok ? 'ok' : 'error',
          this.#enc('error', id, ack.error ?? null),
          this.#enc('result', id, ack.result ?? null),
          at,
        ],
      );
      return this.#rows(r.rows)[0] ?? null;
    });
  }

  async expireDue(now: number): Promise<CommandRecord[]> {
    return pgTx(this.#db, 'commands', async (c) => {
      // Locked in queue order; a row another process is expiring or acking right now is skipped.
      const due = await c.query<{ id: string }>(
        `SELECT id FROM commands WHERE ${PENDING} AND expires_at <= $1 ORDER BY n FOR UPDATE SKIP LOCKED`,
        [now],
      );
      if (due.rows.length === 0) return [];
      const ids = due.rows.map((r) => r.id);
      const r = await c.query<CommandRow & { n: number }>(
        `UPDATE commands c SET state = 'expired', error = u.error, updated_at = $3
         FROM unnest($1::text[], $2::bytea[]) AS u(id, error) WHERE c.id = u.id RETURNING c.*`,
        [ids, ids.map((id) => this.#enc('error', id, EXPIRED)), now],
      );
      return this.#rows(r.rows.sort((a, b) => a.n - b.n));
    });
  }

  async devicesWithPending(): Promise<string[]> {
    const rows = await this.#read<{ device_id: string }>(
      `SELECT DISTINCT device_id FROM commands WHERE ${PENDING} ORDER BY device_id`,
      [],
    );
    return rows.map((r) => r.device_id);
  }

  async peekDownlinkSeq(deviceId: string): Promise<number> {
    const r = await this.#read<{ next_seq: number }>(
      'SELECT next_seq FROM downlink_seq WHERE device_id = $1',
      [deviceId],
    );
    return Number(r[0]?.next_seq ?? 0);
  }
}
