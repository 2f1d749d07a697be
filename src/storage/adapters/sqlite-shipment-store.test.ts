import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import { runShipmentStoreContract } from '../../shipments/shipment-store-contract.ts';
import { sampleDevice, sampleKey } from '../store-records.fixture.ts';
import { openSqliteAdapters } from './sqlite-adapters.ts';

const root = mkdtempSync(join(tmpdir(), 'vigil-shipment-store-'));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;

runShipmentStoreContract({
  name: 'SqliteShipmentStore',
  make: async () => {
    const db = openSqliteAdapters({
      path: join(root, `s-${++n}.sqlite`),
      key: randomBytes(32),
      synchronous: 'NORMAL',
    });
    return {
      shipments: db.shipments,
      registerDevice: (id) => db.store.addDevice(sampleDevice(id), sampleKey(id)),
      cleanup: () => db.store.close(),
    };
  },
});
