import { runDeviceLabelStoreContract } from '../../device-labels/device-label-store-contract.ts';
import { sampleDevice, sampleKey } from '../store-records.fixture.ts';
import { freshSqlite } from './sqlite.fixture.ts';

const fresh = freshSqlite('device-labels');

runDeviceLabelStoreContract({
  name: 'SqliteDeviceLabelStore',
  make: async () => {
    const db = fresh();
    return {
      labels: db.deviceLabels,
      registerDevice: (id) =>
        db.store.addDevice({ ...sampleDevice(id), profile: 'patient-vitals' }, sampleKey(id)),
      deleteDevice: (id) => db.store.deleteDevice(id),
      cleanup: () => db.store.close(),
    };
  },
});
