/**
 * Fresh PostgreSQL databases for the adapters' contract suites: one server per test file
 * (postgres-server.fixture.ts), one schema per test, dropped after it. Without PostgreSQL the
 * suites are skipped with `postgres not reachable` (under CI that is an error).
 */
import { randomBytes } from 'node:crypto';
import { after } from 'node:test';
import { MasterKey } from '../../keys/master-key.ts';
import { openPostgresAdapters, type PostgresAdapters } from './postgres-adapters.ts';
import { type PgServer, postgresOrSkip } from './postgres-server.fixture.ts';

export interface PgFixture {
  /** Set when the suites must be skipped. */
  skip: string | undefined;
  server: PgServer | undefined;
  /** A fresh, migrated, empty database (its own schema); `dispose` drops it. */
  fresh(o?: { master?: MasterKey }): Promise<PostgresAdapters & { schema: string; dispose(): Promise<void> }>;
}

let n = 0;

/** Starts (once per test file) the shared server; stops it when the file ends. */
export async function postgresFixture(): Promise<PgFixture> {
  const s = await postgresOrSkip();
  const server = typeof s === 'string' ? undefined : s;
  if (server) after(() => server.stop());
  return {
    skip: typeof s === 'string' ? s : undefined,
    server,
    async fresh(o = {}) {
      if (!server) throw new Error('postgres not reachable');
      const schema = `t${process.pid}_${++n}`;
      await server.query(`CREATE SCHEMA ${schema}`);
      const adapters = await openPostgresAdapters({
        url: server.url(),
        master: o.master ?? new MasterKey(randomBytes(32)),
        schema,
        poolSize: 4,
        retryForMs: 0,
      });
      return {
        ...adapters,
        schema,
        async dispose() {
          await adapters.store.close();
          await server.query(`DROP SCHEMA ${schema} CASCADE`);
        },
      };
    },
  };
}
