import { runShipmentStoreContract } from '../../shipments/shipment-store-contract.ts';
import { sampleDevice, sampleKey } from '../store-records.fixture.ts';
import { freshSqlite } from './sqlite.fixture.ts';

const fresh = freshSqlite('shipments');

runShipmentStoreContract({
  name: 'SqliteShipmentStore',
  make: async () => {
    const db = fresh();
    return {
      shipments: db.shipments,
      registerDevice: (id) => db.store.addDevice(sampleDevice(id), sampleKey(id)),
      cleanup: () => db.store.close(),
    };
  },
});
