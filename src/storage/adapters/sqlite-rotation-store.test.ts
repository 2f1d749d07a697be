import { runRotationStoreContract } from '../../keys/rotation-store-contract.ts';
import { sampleDevice, sampleKey } from '../store-records.fixture.ts';
import { freshSqlite } from './sqlite.fixture.ts';

const fresh = freshSqlite('rotations');

runRotationStoreContract({
  name: 'SqliteRotationStore',
  make: async () => {
    const db = fresh();
    return {
      rotations: db.rotations,
      registerDevice: (id) => db.store.addDevice(sampleDevice(id), sampleKey(id)),
      cleanup: () => db.store.close(),
    };
  },
});
