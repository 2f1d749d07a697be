import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import { runAccountStoreContract } from '../../auth/account-store-contract.ts';
import { openSqliteAdapters } from './sqlite-adapters.ts';

const root = mkdtempSync(join(tmpdir(), 'vigil-accounts-'));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;

runAccountStoreContract({
  name: 'SqliteAccountStore',
  make: async () => {
    const db = openSqliteAdapters({
      path: join(root, `a-${++n}.sqlite`),
      key: randomBytes(32),
      synchronous: 'NORMAL',
    });
    return { accounts: db.accounts, cleanup: () => db.store.close() };
  },
});
