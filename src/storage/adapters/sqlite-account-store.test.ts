import { runAccountStoreContract } from '../../auth/account-store-contract.ts';
import { freshSqlite } from './sqlite.fixture.ts';

const fresh = freshSqlite('accounts');

runAccountStoreContract({
  name: 'SqliteAccountStore',
  make: async () => {
    const db = fresh();
    return { accounts: db.accounts, cleanup: () => db.store.close() };
  },
});
