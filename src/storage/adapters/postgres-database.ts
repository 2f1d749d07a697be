import type pg from 'pg';
import type { Logger } from 'pino';
import { VigilError } from '../../errors.ts';
import type { MasterKey } from '../../keys/master-key.ts';
import { ColumnCipher } from './postgres-cipher.ts';
import { DATA_KEY_IDENTITY, migratePostgres, type PgMigration } from './postgres-migrations.ts';
import { PgPool, type TxContext } from './postgres-pool.ts';
import { type PgConnectionSpec, parsePostgresUrl } from './postgres-url.ts';

/** Options of {@link PostgresDatabase.open}. */
export interface PostgresDatabaseOptions {
  /** `storage.url` (see postgres-url.ts for what is accepted). */
  url: string;
  /** `storage.allowInsecure`: accept `sslmode=disable` (logged loudly at every start). */
  allowInsecure?: boolean;
  /** Opens the data key (and creates it on first migration); gives the audit chain's key. */
  master: Pick<MasterKey, 'seal' | 'open' | 'auditKey'>;
  /** A schema to work in (`search_path`); default the user's (public). Tests use one each. */
  schema?: string;
  logger?: Pick<Logger, 'warn' | 'info' | 'error'>;
  /** Connections kept at most (default 10). */
  poolSize?: number;
  /** How long a transaction is retried on transient failures (default 30 s). */
  retryForMs?: number;
  migrations?: readonly PgMigration[];
}

const MONTH_RE = /^\d{4}m\d{2}$/;

/** First instant (ms, UTC) of the month containing `ts`, and of the month after. */
export function monthBounds(ts: number): { from: number; to: number; name: string } {
  const d = new Date(ts);
  const y = d.getUTCFullYear();
  const m = d.getUTCMonth();
  const from = Date.UTC(y, m, 1);
  const to = Date.UTC(y, m + 1, 1);
  return { from, to, name: `${String(y).padStart(4, '0')}m${String(m + 1).padStart(2, '0')}` };
}

/**
 * One PostgreSQL database for every port's adapter (postgres-adapters.ts): the connection pool,
 * the column cipher (its data key opened with the master key), migrations, and the monthly
 * partitions of `readings`.
 */
export class PostgresDatabase {
  readonly pool: PgPool;
  readonly spec: PgConnectionSpec;
  readonly #o: PostgresDatabaseOptions;
  #cipher: ColumnCipher | undefined;
  readonly #auditKey: Buffer;
  /** Month partitions known to exist (name -> true). */
  readonly #partitions = new Set<string>();

  private constructor(o: PostgresDatabaseOptions, spec: PgConnectionSpec) {
    this.#o = o;
    this.spec = spec;
    this.#auditKey = o.master.auditKey();
    this.pool = new PgPool({
      spec,
      max: o.poolSize ?? 10,
      schema: o.schema,
      retryForMs: o.retryForMs ?? 30_000,
      logger: o.logger,
    });
  }

  /** Checks the URL against the connection policy; connects lazily. */
  static open(o: PostgresDatabaseOptions): PostgresDatabase {
    const spec = parsePostgresUrl(o.url, { allowInsecure: o.allowInsecure ?? false });
    if (o.schema !== undefined && !/^[a-z_][a-z0-9_]{0,62}$/.test(o.schema)) {
      throw new VigilError('VIGIL_ERR_CONFIG', 'postgres schema must be a lowercase identifier');
    }
    if (!spec.tls) {
      o.logger?.warn(
        { url: spec.redacted },
        'STORAGE IS INSECURE: storage.allowInsecure is set and the PostgreSQL connection is NOT encrypted; passwords and data cross the network in clear',
      );
    }
    return new PostgresDatabase(o, spec);
  }

  get auditKey(): Buffer {
    return this.#auditKey;
  }

  get schema(): string | undefined {
    return this.#o.schema;
  }

  get logger(): PostgresDatabaseOptions['logger'] {
    return this.#o.logger;
  }

  /** The column cipher; VIGIL_ERR_STORE until migrate() (or open of a migrated database) loaded it. */
  get cipher(): ColumnCipher {
    if (!this.#cipher)
      throw new VigilError('VIGIL_ERR_STORE', '[postgres] database not migrated (no data key yet)');
    return this.#cipher;
  }

  /** Applies pending migrations (advisory lock) and opens the data key. Idempotent. */
  async migrate(): Promise<void> {
    await this.pool.transaction(({ client }) =>
      migratePostgres(client, {
        master: this.#o.master,
        ...(this.#o.migrations ? { migrations: this.#o.migrations } : {}),
      }),
    );
    await this.loadKey();
  }

  /** Opens the data key of an already migrated database. */
  async loadKey(): Promise<void> {
    const r = await this.pool.query<{ sealed: Buffer }>(`SELECT sealed FROM vigil_keys WHERE name = 'data'`);
    const sealed = r.rows[0]?.sealed;
    if (!sealed) throw new VigilError('VIGIL_ERR_STORE', '[postgres] no data key: run migrations first');
    this.#cipher = new ColumnCipher(this.#o.master.open('data-key', sealed, DATA_KEY_IDENTITY));
  }

  /** Runs `fn` in a transaction (retried on transient failures: see PgPool.transaction). */
  tx<T>(fn: (tx: TxContext) => Promise<T>): Promise<T> {
    return this.pool.transaction(fn);
  }

  /** One statement, retried on transient failures. */
  async q<R extends pg.QueryResultRow>(sql: string, params: unknown[] = []): Promise<R[]> {
    return (await this.pool.query<R>(sql, params)).rows;
  }

  /**
   * Makes sure `readings` has a partition for the month of every given sample time. Runs in its
   * own short transaction under an advisory lock (creating a partition locks the parent briefly;
   * two workers must not race on the same name). Called before the batch that needs them.
   */
  async ensurePartitions(times: Iterable<number>): Promise<void> {
    const missing = new Map<string, { from: number; to: number }>();
    for (const t of times) {
      const b = monthBounds(t);
      if (!this.#partitions.has(b.name)) missing.set(b.name, b);
    }
    if (missing.size === 0) return;
    await this.pool.transaction(async ({ client }) => {
      await client.query(`SELECT pg_advisory_xact_lock(hashtext(current_schema() || ':vigil-partitions'))`);
      for (const [name, b] of missing) {
        if (!MONTH_RE.test(name)) throw new Error(`bad partition name ${name}`);
        await client.query(
          `CREATE TABLE IF NOT EXISTS readings_${name} PARTITION OF readings FOR VALUES FROM (${b.from}) TO (${b.to})`,
        );
      }
    });
    for (const name of missing.keys()) this.#partitions.add(name);
  }

  /** The month partitions of `readings` that exist, oldest first, with their bounds. */
  async listPartitions(): Promise<{ name: string; from: number; to: number }[]> {
    const rows = await this.q<{ name: string }>(
      `SELECT c.relname AS name FROM pg_inherits i
         JOIN pg_class c ON c.oid = i.inhrelid
         JOIN pg_class p ON p.oid = i.inhparent
         JOIN pg_namespace n ON n.oid = p.relnamespace
       WHERE p.relname = 'readings' AND n.nspname = current_schema()
       ORDER BY c.relname`,
    );
    return rows
      .map((r) => r.name.replace(/^readings_/, ''))
      .filter((n) => MONTH_RE.test(n))
      .map((n) => {
        const from = Date.UTC(Number(n.slice(0, 4)), Number(n.slice(5, 7)) - 1, 1);
        return { name: n, from, to: monthBounds(from).to };
      });
  }

  /** Forgets a dropped partition (so a late sample of that month creates it again). */
  forgetPartition(name: string): void {
    this.#partitions.delete(name);
  }

  async close(): Promise<void> {
    await this.pool.close();
  }
}
