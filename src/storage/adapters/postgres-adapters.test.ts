/**
 * Every port's contract suite on PostgreSQL 15 (one real server for the whole file, started in a
 * temporary directory with TLS and SCRAM; one schema per test).
 */
import { runStoreContract } from '../store-contract.ts';
import { postgresFixture } from './postgres.fixture.ts';

const pg = await postgresFixture();

runStoreContract({
  name: 'PostgresStore',
  skip: pg.skip,
  make: async () => {
    const db = await pg.fresh();
    return { store: db.store, cleanup: () => db.dispose() };
  },
});
