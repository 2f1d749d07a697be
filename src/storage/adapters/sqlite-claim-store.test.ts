import { runClaimStoreContract } from '../../claims/claim-store-contract.ts';
import { freshSqlite } from './sqlite.fixture.ts';

const fresh = freshSqlite('claims');

runClaimStoreContract({
  name: 'SqliteClaimStore',
  make: async () => {
    const db = fresh();
    return { claims: db.claims, cleanup: () => db.store.close() };
  },
});
