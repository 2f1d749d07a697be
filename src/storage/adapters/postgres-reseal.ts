/**
 * A master-key rotation on PostgreSQL (`vigil keys rotate-master`, src/data-dir/master-rotation.ts):
 * every value sealed under the master key inside the database is re-sealed under the new one in
 * ONE transaction, so the database is at any instant wholly on the old key or wholly on the new
 * one (a crash before COMMIT changes nothing; after it, a repeated run finds nothing to do).
 *
 * What is sealed: the column data key (`vigil_keys`), and the values of SEALED_COLUMNS (device
 * secrets, TOTP seeds, notification credentials). Device secrets and TOTP seeds are in addition
 * column-encrypted under the data key (postgres-cipher.ts); the data key itself does not change
 * (only its seal), so their column layer is opened and closed again with the same key.
 *
 * Processes that run on the database hold the old master key in memory and would go on sealing
 * new secrets under it: the transaction locks `vigil_keys` first (a process that starts now waits,
 * then must open the data key with the new master key), and refuses to commit while another
 * session of the same role is connected to the database.
 */
import type pg from 'pg';
import { VigilError } from '../../errors.ts';
import type { MasterKey } from '../../keys/master-key.ts';
import type { Reseal } from '../database-snapshots.ts';
import { SEALED_COLUMNS } from '../sealed-columns.ts';
import { ColumnCipher } from './postgres-cipher.ts';
import { DATA_KEY_IDENTITY } from './postgres-migrations.ts';
import { rowId } from './postgres-store-rows.ts';

/** The column-encryption layer over a sealed column: its AAD column name and row identity. */
export const PG_SEALED_COLUMN_LAYER: Readonly<Record<string, (r: Record<string, unknown>) => string>> = {
  'device_keys.secret_enc': (r) => rowId.key(String(r.device_id), Number(r.kid)),
  'users.totp_secret_enc': (r) => String(r.name),
  'users.totp_pending_enc': (r) => String(r.name),
};

/** How long a rotation waits for other sessions to go away before it refuses (closing pools). */
const OTHERS_GRACE_MS = 3000;

const ident = (s: string) => {
  if (!/^[a-z_][a-z0-9_]*$/.test(s)) throw new Error(`bad identifier ${s}`);
  return s;
};

/**
 * Re-seals, inside the caller's transaction on `c`, every sealed value with `reseal` (which
 * returns a blob unchanged when it already opens under the new key). `next` opens the re-sealed
 * data key; `midway` runs after each sealed column (a crash point of the tests). Returns how many values changed; VIGIL_ERR_DATA_DIR (and nothing committed, as the
 * caller rolls back) when values had to change while other sessions are connected.
 */
export async function resealPostgres(
  c: pg.ClientBase,
  reseal: Reseal,
  next: Pick<MasterKey, 'open'>,
  o: { othersGraceMs?: number; midway?: () => void } = {},
): Promise<number> {
  const migrated = await c.query<{ t: string | null }>(`SELECT to_regclass('vigil_keys')::text AS t`);
  if (!migrated.rows[0]?.t) return 0;
  // Blocks every process's data-key load (PostgresDatabase.loadKey) until this commits.
  await c.query('LOCK TABLE vigil_keys IN ACCESS EXCLUSIVE MODE');
  let changed = 0;
  let cipher: ColumnCipher | undefined;
  const keys = await c.query<{ name: string; sealed: Buffer }>('SELECT name, sealed FROM vigil_keys');
  for (const k of keys.rows) {
    const identity = `postgres:vigil_keys/${k.name}`;
    const sealed = reseal('data-key', k.sealed, identity);
    if (!sealed.equals(k.sealed)) {
      await c.query('UPDATE vigil_keys SET sealed = $2 WHERE name = $1', [k.name, sealed]);
      changed++;
    }
    if (identity === DATA_KEY_IDENTITY) cipher = new ColumnCipher(next.open('data-key', sealed, identity));
  }
  if (!cipher) throw new VigilError('VIGIL_ERR_STORE', '[postgres] no data key: not a Vigil database');
  for (const s of SEALED_COLUMNS) {
    const table = ident(s.table);
    const column = ident(s.column);
    const exists = await c.query<{ t: string | null }>('SELECT to_regclass($1)::text AS t', [table]);
    if (!exists.rows[0]?.t) continue;
    const layer = PG_SEALED_COLUMN_LAYER[`${table}.${column}`];
    const keyCols = s.key.map(ident);
    const rows = await c.query<Record<string, unknown>>(
      `SELECT ${keyCols.join(', ')}, ${column} AS v FROM ${table}
       WHERE ${column} IS NOT NULL${s.where ? ` AND ${s.where}` : ''} FOR UPDATE`,
    );
    const where = keyCols.map((k, i) => `${k} = $${i + 2}`).join(' AND ');
    for (const r of rows.rows) {
      const stored = r.v as Buffer;
      const inner = layer ? cipher.decrypt(`${table}.${column}`, layer(r), stored) : stored;
      const sealed = reseal(s.purpose, inner, s.identity(r));
      if (sealed.equals(inner)) continue;
      const value = layer ? cipher.encrypt(`${table}.${column}`, layer(r), sealed) : sealed;
      await c.query(`UPDATE ${table} SET ${column} = $1 WHERE ${where}`, [
        value,
        ...keyCols.map((k) => r[k]),
      ]);
      changed++;
    }
    o.midway?.();
  }
  if (changed > 0) await refuseWhileOthersConnected(c, o.othersGraceMs);
  return changed;
}

/**
 * VIGIL_ERR_DATA_DIR while another client session of this role is connected to this database
 * (a running Vigil keeps its pool's connections open), after waiting `graceMs` for closing ones.
 */
export async function refuseWhileOthersConnected(
  c: pg.ClientBase,
  graceMs: number = OTHERS_GRACE_MS,
): Promise<void> {
  const until = Date.now() + graceMs;
  for (let i = 0; i < 1000; i++) {
    const r = await c.query<{ n: number; names: string | null }>(
      `SELECT count(*)::int AS n,
              string_agg(DISTINCT coalesce(nullif(application_name, ''), '(unnamed)'), ', ') AS names
         FROM pg_stat_activity
        WHERE datname = current_database() AND usename = current_user
          AND backend_type = 'client backend' AND pid <> pg_backend_pid()`,
    );
    const { n, names } = r.rows[0] ?? { n: 0, names: null };
    if (n === 0) return;
    if (Date.now() >= until) {
      throw new VigilError(
        'VIGIL_ERR_DATA_DIR',
        `${n} other session(s) of this role are connected to the database (${names ?? ''}): every vigil process on it holds the old master key; stop them all first`,
      );
    }
    await new Promise((res) => setTimeout(res, 100));
  }
}
