/**
 * Connections to PostgreSQL for the adapters: a small pool over `pg` (node-postgres) clients that
 * follows Vigil's connection policy (src/storage/adapters/postgres-url.ts):
 *
 * - TLS with the server certificate verified against the CA and the host name (verify-full);
 * - SCRAM-SHA-256 only (SCRAM-SHA-256-PLUS, bound to the TLS channel, when the server offers it):
 *   a server asking for a cleartext or MD5 password, or for none, is refused; SCRAM also proves
 *   that the server knows the password's verifier;
 * - several hosts tried in order, skipping read-only ones (standbys) for `read-write`;
 * - transactions retried with backoff on transient failures (connection lost, server shutting
 *   down or starting, failover, serialization conflicts), within a time budget. Until a write
 *   commits, the caller withholds its acknowledgement, so devices keep their data meanwhile.
 *
 * node-postgres has no multi-host URLs, so the pool picks the host itself.
 */
import pg from 'pg';
import type { Logger } from 'pino';
import { VigilError } from '../../errors.ts';
import type { PgConnectionSpec } from './postgres-url.ts';

/** int8 (OID 20) as a JS number: ids, seqs and ms timestamps stay far below 2^53. */
const TYPES = {
  getTypeParser: (oid: number, format?: 'text' | 'binary') =>
    oid === 20 ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format),
} as unknown as pg.CustomTypesConfig;

/** A node-postgres client that authenticates with SCRAM only (see the module comment). */
class ScramOnlyClient extends pg.Client {
  scramDone = false;
  #refuse(what: string): void {
    // biome-ignore lint/suspicious/noExplicitAny: node-postgres internals (its wire connection) are untyped
    (this as any).connection.emit(
      'error',
      new Error(`[postgres] the server asked for ${what}: only SCRAM-SHA-256 is accepted`),
    );
  }
  // Overrides of node-postgres's (untyped) authentication handlers, lib/client.js.
  _handleAuthCleartextPassword(): void {
    this.#refuse('a cleartext password');
  }
  _handleAuthMD5Password(): void {
    this.#refuse('an MD5 password');
  }
  _handleAuthSASLFinal(msg: unknown): void {
    // biome-ignore lint/suspicious/noExplicitAny: node-postgres internals are untyped
    (pg.Client.prototype as any)._handleAuthSASLFinal.call(this, msg);
    this.scramDone = true;
  }
}

/** SQLSTATE classes and codes after which the same transaction may succeed on a retry. */
const TRANSIENT_STATES = new Set([
  '40001', // serialization_failure
  '40P01', // deadlock_detected
  '25006', // read_only_sql_transaction: connected to a standby (failover in progress)
  '53300', // too_many_connections
  '55P03', // lock_not_available
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now (starting up, in recovery)
  '58000', // system_error
]);
const TRANSIENT_NODE = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENOTCONN',
]);

const NO_HOST = 'no read-write host reachable';

/** True when retrying the transaction may succeed (a failover, a restart, a conflict). */
export function isTransientPgError(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown; cause?: unknown } | null;
  if (!e) return false;
  const msg = typeof e.message === 'string' ? e.message : '';
  // No host would take writes (the primary is gone, no standby promoted yet): a failover.
  if (err instanceof VigilError)
    return msg.includes(NO_HOST) || (e.cause !== undefined && isTransientPgError(e.cause));
  const code = typeof e.code === 'string' ? e.code : '';
  if (TRANSIENT_STATES.has(code) || code.startsWith('08') || TRANSIENT_NODE.has(code)) return true;
  return /Connection terminated|connection is closed|not queryable|Client has encountered a connection error|timeout expired/i.test(
    msg,
  );
}

export interface PgPoolOptions {
  spec: PgConnectionSpec;
  /** Clients kept at most (default 10). */
  max?: number;
  /** `search_path` of every connection (tests give each a schema). */
  schema?: string | undefined;
  /** How long a transaction is retried on transient failures (default 30 s; 0 = no retry). */
  retryForMs?: number;
  logger?: Pick<Logger, 'warn' | 'info'> | undefined;
}

/** What a transaction body gets: the client, and whether this is a retry of the same work. */
export interface TxContext {
  client: pg.ClientBase;
  /** 1 on the first attempt; on a later one the previous attempt's COMMIT may have succeeded. */
  attempt: number;
}

/** The connection pool (see the module comment). */
export class PgPool {
  readonly #o: PgPoolOptions;
  readonly #idle: ScramOnlyClient[] = [];
  readonly #waiters: ((c: ScramOnlyClient | Error) => void)[] = [];
  #open = 0;
  #closed = false;
  /** Index of the host that answered last (tried first next time). */
  #preferred = 0;

  constructor(o: PgPoolOptions) {
    this.#o = o;
  }

  get spec(): PgConnectionSpec {
    return this.#o.spec;
  }

  /** Options of one client to `h` (also used by LISTEN connections). */
  clientConfig(h: { host: string; port: number }): pg.ClientConfig {
    const s = this.#o.spec;
    const isIp = /^[0-9.]+$|:/.test(h.host);
    return {
      host: h.host,
      port: h.port,
      user: s.user,
      ...(s.password !== undefined ? { password: s.password } : {}),
      database: s.database,
      application_name: s.applicationName,
      connectionTimeoutMillis: s.connectTimeoutMs,
      keepAlive: true,
      types: TYPES,
      // No JIT: Vigil's statements are short OLTP ones, and a cost estimate inflated by a table
      // never analysed yet (an empty sink outbox joined in every ingest statement) made PostgreSQL
      // spend over a second compiling a statement that runs in milliseconds.
      options: `-c jit=off${this.#o.schema ? ` -c search_path=${this.#o.schema}` : ''}`,
      ssl: s.tls
        ? {
            rejectUnauthorized: true,
            ...(s.ca !== undefined ? { ca: s.ca } : {}),
            // verify-full: the certificate must name the host (checkServerIdentity, RFC 6125).
            ...(isIp ? {} : { servername: h.host }),
            minVersion: 'TLSv1.2',
          }
        : false,
      ...(s.tls ? { enableChannelBinding: true } : {}),
    } as pg.ClientConfig;
  }

  /** A new connected client on the first acceptable host. */
  async connectClient(): Promise<ScramOnlyClient> {
    const { hosts, targetSessionAttrs, redacted } = this.#o.spec;
    const errors: string[] = [];
    for (let i = 0; i < hosts.length; i++) {
      const idx = (this.#preferred + i) % hosts.length;
      const h = hosts[idx] as { host: string; port: number };
      const c = new ScramOnlyClient(this.clientConfig(h));
      c.on('error', () => {
        /* a broken idle client is dropped on its next use */
      });
      try {
        await c.connect();
        if (!c.scramDone) throw new Error('[postgres] the server did not authenticate with SCRAM');
        if (targetSessionAttrs === 'read-write') {
          const r = await c.query<{ transaction_read_only: string }>('SHOW transaction_read_only');
          if (r.rows[0]?.transaction_read_only === 'on') throw new Error('read-only (a standby)');
        }
        this.#preferred = idx;
        return c;
      } catch (err) {
        errors.push(`${h.host}:${h.port}: ${(err as Error).message}`);
        await c.end().catch(() => {});
      }
    }
    throw new VigilError('VIGIL_ERR_STORE', `[postgres] ${NO_HOST} (${redacted}): ${errors.join('; ')}`);
  }

  async #acquire(): Promise<ScramOnlyClient> {
    if (this.#closed) throw new VigilError('VIGIL_ERR_STORE', '[postgres] pool closed');
    const c = this.#idle.pop();
    if (c) return c;
    if (this.#open < (this.#o.max ?? 10)) {
      this.#open++;
      try {
        return await this.connectClient();
      } catch (err) {
        this.#open--;
        this.#wakeOne();
        throw err;
      }
    }
    return new Promise((resolve, reject) =>
      this.#waiters.push((x) => (x instanceof Error ? reject(x) : resolve(x))),
    );
  }

  #wakeOne(): void {
    const w = this.#waiters.shift();
    if (!w) return;
    this.#acquire().then(w, (e: Error) => w(e));
  }

  #release(c: ScramOnlyClient, broken: boolean): void {
    if (broken || this.#closed) {
      this.#open--;
      void c.end().catch(() => {});
      this.#wakeOne();
      return;
    }
    const w = this.#waiters.shift();
    if (w) w(c);
    else this.#idle.push(c);
  }

  /** Runs `fn` with a client from the pool (one statement or a read). Not retried. */
  async withClient<T>(fn: (c: pg.ClientBase) => Promise<T>): Promise<T> {
    const c = await this.#acquire();
    let broken = false;
    try {
      return await fn(c);
    } catch (err) {
      broken = isTransientPgError(err);
      throw err;
    } finally {
      this.#release(c, broken);
    }
  }

  /** One query outside a transaction, retried like a transaction on transient failures. */
  async query<R extends pg.QueryResultRow>(sql: string, params: unknown[] = []): Promise<pg.QueryResult<R>> {
    return this.transaction(({ client }) => client.query<R>(sql, params), { begin: false });
  }

  /**
   * Runs `fn` in one transaction (BEGIN ... COMMIT), retrying the whole of it with backoff on a
   * transient failure for up to `retryForMs`. `fn` must be safe to run again: its `attempt` says
   * when the previous attempt's commit may have landed.
   */
  async transaction<T>(fn: (tx: TxContext) => Promise<T>, o: { begin?: boolean } = {}): Promise<T> {
    const budget = this.#o.retryForMs ?? 30_000;
    const start = Date.now();
    let delay = 50;
    for (let attempt = 1; ; attempt++) {
      let c: ScramOnlyClient | undefined;
      let broken = false;
      try {
        c = await this.#acquire();
        if (o.begin === false) return await fn({ client: c, attempt });
        await c.query('BEGIN');
        try {
          const out = await fn({ client: c, attempt });
          await c.query('COMMIT');
          return out;
        } catch (err) {
          await c.query('ROLLBACK').catch(() => {
            broken = true;
          });
          throw err;
        }
      } catch (err) {
        const transient = isTransientPgError(err);
        if (transient) broken = true;
        if (!transient || this.#closed || Date.now() - start + delay > budget) throw err;
        this.#o.logger?.warn(
          { attempt, retryInMs: delay, err: (err as Error).message },
          'postgres: transient failure, retrying',
        );
        await new Promise((r) => setTimeout(r, delay));
        delay = Math.min(delay * 2, 2000);
      } finally {
        if (c) this.#release(c, broken);
      }
    }
  }

  /** Closes every idle client; clients in use close when released. Idempotent. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const w of this.#waiters.splice(0)) w(new VigilError('VIGIL_ERR_STORE', '[postgres] pool closed'));
    await Promise.all(this.#idle.splice(0).map((c) => c.end().catch(() => {})));
  }
}
