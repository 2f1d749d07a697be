/**
 * A real PostgreSQL 15 for tests, started in a temporary directory: `initdb`, its own loopback
 * port, TLS with a certificate from a test CA, SCRAM-SHA-256 passwords. Never a system service.
 * Also hot standbys (`pg_basebackup`) with synchronous replication, for the failover tests.
 *
 * Running as root (CI), the server runs as the `postgres` user (initdb refuses root); the
 * temporary directory it creates is handed to that user. Without the binaries, `postgresOrSkip`
 * returns `postgres not reachable` so the suites report themselves skipped, except under CI,
 * where it throws: CI installs PostgreSQL and must run them.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chownSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { makeTestPki, type TestPki } from '../../pki/test-pki.fixture.ts';

const run = promisify(execFile);

/** Where Debian installs PostgreSQL 15 (`postgresql-15`). */
export const PG_BIN = process.env.VIGIL_PG_BIN ?? '/usr/lib/postgresql/15/bin';
/** The reason suites give when they cannot run. */
export const PG_SKIP = 'postgres not reachable';

export interface PgServerOptions {
  /** fsync on (default false: a killed process loses nothing either way; only the machine would). */
  durable?: boolean;
  /** Make this server a hot standby of `primary` (pg_basebackup), named `name`. */
  standbyOf?: PgServer;
  /** Application name this standby reports (what `synchronous_standby_names` lists). */
  name?: string;
  /** On a primary: wait for this standby (by name) on every commit, `remote_apply`. */
  synchronousStandby?: string;
  /** Shared test PKI (a standby reuses its primary's). */
  pki?: TestPki;
}

export interface PgServer {
  readonly host: '127.0.0.1';
  readonly port: number;
  readonly dir: string;
  readonly user: string;
  readonly password: string;
  /** The test CA's certificate (PEM) and its file. */
  readonly caPem: string;
  readonly caFile: string;
  readonly pki: TestPki;
  /** `postgres://user:pass@127.0.0.1:port/db?sslmode=verify-full&sslrootcert=...`. */
  url(database?: string, params?: Record<string, string>): string;
  /** Runs SQL as the superuser over TLS. */
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(sql: string, database?: string): Promise<R[]>;
  /** A PostgreSQL client binary with the connection's environment (PGPASSWORD, sslmode, ...). */
  exec(bin: string, args: string[]): Promise<string>;
  /** kill -9 of the server's whole process group (postmaster and backends). */
  kill9(): void;
  /** `pg_ctl promote` (a standby becomes a primary). */
  promote(): Promise<void>;
  /** Fast shutdown; also removes the directory unless `keep`. Idempotent. */
  stop(opts?: { keep?: boolean }): Promise<void>;
}

/** Servers of this process, killed if it exits without stopping them (a crashed test file). */
const running = new Set<PgServer>();
process.once('exit', () => {
  for (const s of running) s.kill9();
});

function pgUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('postgres:'));
  if (!line) throw new Error('running as root needs a postgres user to run PostgreSQL as');
  const f = line.split(':');
  return { uid: Number(f[2]), gid: Number(f[3]) };
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/** True when the PostgreSQL 15 binaries are installed. */
export function postgresInstalled(): boolean {
  return existsSync(join(PG_BIN, 'initdb')) && existsSync(join(PG_BIN, 'postgres'));
}

/**
 * Starts a server; throws when it cannot. Stop it with `stop()` (suites do it in `after`).
 */
export async function startPostgres(o: PgServerOptions = {}): Promise<PgServer> {
  const owner = pgUser();
  const pki = o.pki ?? o.standbyOf?.pki ?? (await makeTestPki());
  const dir = mkdtempSync(join(tmpdir(), 'vigil-pg-'));
  const user = 'vigil';
  const password = o.standbyOf?.password ?? randomBytes(18).toString('base64url');
  const data = join(dir, 'data');
  const files = {
    ca: join(dir, 'ca.crt'),
    cert: join(dir, 'server.crt'),
    key: join(dir, 'server.key'),
    pw: join(dir, 'pw'),
    log: join(dir, 'postgres.log'),
  };
  writeFileSync(files.ca, pki.certPem);
  writeFileSync(files.cert, pki.server.certPem);
  writeFileSync(files.key, pki.server.keyPkcs8Pem, { mode: 0o600 });
  writeFileSync(files.pw, `${password}\n`, { mode: 0o600 });
  const chown = (p: string) => owner && chownSync(p, owner.uid, owner.gid);
  for (const p of [dir, ...Object.values(files)]) {
    if (existsSync(p)) chown(p);
  }
  const port = await freePort();
  const env = {
    ...process.env,
    // libpq reads ~/.postgresql (client certificates); the server's user may not reach root's home.
    HOME: dir,
    PGPASSWORD: password,
    PGSSLMODE: 'verify-full',
    PGSSLROOTCERT: files.ca,
    PGCONNECT_TIMEOUT: '5',
  };
  const as = owner ? { uid: owner.uid, gid: owner.gid } : {};
  const bin = (name: string) => join(PG_BIN, name);
  const primary = o.standbyOf;
  if (primary) {
    await run(
      bin('pg_basebackup'),
      ['-h', primary.host, '-p', String(primary.port), '-U', user, '-D', data, '-X', 'stream', '-c', 'fast'],
      { env, ...as },
    );
  } else {
    await run(
      bin('initdb'),
      ['-D', data, '-U', user, `--pwfile=${files.pw}`, '--auth=scram-sha-256', '-E', 'UTF8', '--no-sync'],
      { env, ...as },
    );
  }
  const name = o.name ?? 'primary';
  const conf = [
    `listen_addresses = '127.0.0.1'`,
    `port = ${port}`,
    `unix_socket_directories = '${dir}'`,
    'ssl = on',
    `ssl_cert_file = '${files.cert}'`,
    `ssl_key_file = '${files.key}'`,
    `ssl_ca_file = '${files.ca}'`,
    `password_encryption = 'scram-sha-256'`,
    `fsync = ${o.durable ? 'on' : 'off'}`,
    `synchronous_commit = ${o.synchronousStandby ? 'remote_apply' : 'on'}`,
    `synchronous_standby_names = '${o.synchronousStandby ?? ''}'`,
    'wal_level = replica',
    'max_wal_senders = 5',
    'hot_standby = on',
    'max_connections = 200',
    'shared_buffers = 64MB',
    `cluster_name = '${name}'`,
    ...(primary
      ? [
          `primary_conninfo = 'host=${primary.host} port=${primary.port} user=${user} password=${password} sslmode=verify-full sslrootcert=${files.ca} application_name=${name}'`,
        ]
      : []),
    '',
  ].join('\n');
  // postgresql.auto.conf is read last and wins over a copied primary's settings.
  writeFileSync(join(data, 'postgresql.auto.conf'), conf);
  const hba = [
    '# Two roles for the client-side SCRAM checks: one with an MD5 password, one without any.',
    'hostssl all vigil_md5 127.0.0.1/32 md5',
    'hostssl all vigil_trust 127.0.0.1/32 trust',
    '# TLS + SCRAM; plain TCP with SCRAM too, so that the client-side refusal can be shown.',
    'hostssl all all 127.0.0.1/32 scram-sha-256',
    'host all all 127.0.0.1/32 scram-sha-256',
    'hostssl replication all 127.0.0.1/32 scram-sha-256',
    '',
  ].join('\n');
  writeFileSync(join(data, 'pg_hba.conf'), hba);
  if (primary) writeFileSync(join(data, 'standby.signal'), '');
  for (const f of ['postgresql.auto.conf', 'pg_hba.conf', 'standby.signal']) {
    if (existsSync(join(data, f))) chown(join(data, f));
  }

  let child: ChildProcess | undefined;
  const start = () => {
    const log = openSync(files.log, 'a');
    child = spawn(bin('postgres'), ['-D', data], {
      ...as,
      env,
      detached: true,
      stdio: ['ignore', log, log],
    });
    child.unref();
  };
  start();

  const clientConfig = (database = 'postgres'): pg.ClientConfig => ({
    host: '127.0.0.1',
    port,
    user,
    password,
    database,
    ssl: { ca: pki.certPem, rejectUnauthorized: true, servername: 'localhost' },
    connectionTimeoutMillis: 5000,
  });
  const query = async <R extends pg.QueryResultRow>(sql: string, database?: string): Promise<R[]> => {
    const c = new pg.Client(clientConfig(database));
    await c.connect();
    try {
      return (await c.query<R>(sql)).rows;
    } finally {
      await c.end();
    }
  };
  await waitReady(query, files.log);

  let stopped = false;
  const server: PgServer = {
    host: '127.0.0.1',
    port,
    dir,
    user,
    password,
    caPem: pki.certPem,
    caFile: files.ca,
    pki,
    url(database = 'postgres', params = {}) {
      const q = new URLSearchParams({ sslmode: 'verify-full', sslrootcert: files.ca, ...params });
      return `postgres://${user}:${encodeURIComponent(password)}@localhost:${port}/${database}?${q}`;
    },
    query,
    async exec(b, args) {
      const r = await run(bin(b), ['-h', 'localhost', '-p', String(port), '-U', user, ...args], {
        env,
        maxBuffer: 256 * 1024 * 1024,
      });
      return r.stdout;
    },
    kill9() {
      if (child?.pid) {
        try {
          process.kill(-child.pid, 'SIGKILL');
        } catch {
          /* already gone */
        }
      }
    },
    async promote() {
      await run(bin('pg_ctl'), ['-D', data, '-w', '-t', '30', 'promote'], { env, ...as });
    },
    async stop(opts = {}) {
      if (stopped) return;
      stopped = true;
      running.delete(server);
      const pid = child?.pid;
      // A postmaster killed (-9) earlier has exited with a signal: its 'exit' already fired.
      if (pid && child?.exitCode === null && child.signalCode === null) {
        const exited = new Promise<void>((r) => child?.once('exit', () => r()));
        try {
          process.kill(pid, 'SIGINT'); // fast shutdown
        } catch {
          /* gone */
        }
        const t = setTimeout(() => server.kill9(), 15_000);
        await exited;
        clearTimeout(t);
        // Backends of a postmaster killed earlier may linger a moment: end the group.
        server.kill9();
      }
      if (!opts.keep) rmSync(dir, { recursive: true, force: true });
    },
  };
  running.add(server);
  return server;
}

async function waitReady(
  query: (sql: string) => Promise<unknown>,
  log: string,
  timeoutMs = 30_000,
): Promise<void> {
  const until = Date.now() + timeoutMs;
  let last: unknown;
  for (let i = 0; i < 300 && Date.now() < until; i++) {
    try {
      await query('SELECT 1');
      return;
    } catch (err) {
      last = err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  const tail = existsSync(log) ? readFileSync(log, 'utf8').slice(-2000) : '';
  throw new Error(`postgres did not start: ${String(last)}\n${tail}`);
}

/**
 * The server a test file's suites share (started on first use, stopped when the file ends), or
 * the skip reason when PostgreSQL is not installed (under CI that is an error).
 */
export async function postgresOrSkip(o: PgServerOptions = {}): Promise<PgServer | string> {
  if (!postgresInstalled()) {
    if (process.env.CI) throw new Error(`CI must run the PostgreSQL suites: no ${PG_BIN}/initdb`);
    return PG_SKIP;
  }
  return startPostgres(o);
}
