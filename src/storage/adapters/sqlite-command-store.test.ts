import { runCommandStoreContract } from '../../commands/command-store-contract.ts';
import { sampleDevice, sampleKey } from '../store-records.fixture.ts';
import { freshSqlite } from './sqlite.fixture.ts';

const fresh = freshSqlite('commands');

runCommandStoreContract({
  name: 'SqliteCommandStore',
  make: async () => {
    const db = fresh();
    return {
      commands: db.commands,
      registerDevice: (id) => db.store.addDevice(sampleDevice(id), sampleKey(id)),
      cleanup: () => db.store.close(),
    };
  },
});
