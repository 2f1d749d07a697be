import { runOtaStoreContract } from '../../ota/ota-store-contract.ts';
import { sampleDevice, sampleKey } from '../store-records.fixture.ts';
import { freshSqlite } from './sqlite.fixture.ts';

const fresh = freshSqlite('ota');

runOtaStoreContract({
  name: 'SqliteOtaStore',
  make: async () => {
    const db = fresh();
    return {
      ota: db.ota,
      registerDevice: (id) => db.store.addDevice(sampleDevice(id), sampleKey(id)),
      cleanup: () => db.store.close(),
    };
  },
});
