import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runGatewayStoreContract } from '../../gateways/gateway-store-contract.ts';
import { sampleDevice, sampleKey } from '../store-records.fixture.ts';
import { freshSqlite } from './sqlite.fixture.ts';

const fresh = freshSqlite('gateways');

runGatewayStoreContract({
  name: 'SqliteGatewayStore',
  make: async () => {
    const db = fresh();
    return {
      gateways: db.gateways,
      registerDevice: (id) => db.store.addDevice(sampleDevice(id), sampleKey(id)),
      cleanup: () => db.store.close(),
    };
  },
});

const gateway = (id: string, serial: string) => ({
  id,
  certSerial: serial,
  certPem: 'pem',
  createdAt: 1,
  createdBy: 'test',
  revokedAt: null,
});

describe('SqliteGatewayStore', () => {
  it('moves the registry change counter on every add, bind, unbind, revoke and remove, as device changes do', async () => {
    const db = fresh();
    try {
      await db.store.addDevice(sampleDevice('dev-1'), sampleKey('dev-1'));
      const steps: [string, () => Promise<unknown>][] = [
        ['add', () => db.gateways.addGateway(gateway('site-a', 'aa01'), [])],
        ['bind', () => db.gateways.bind('site-a', 'dev-1', 2)],
        ['unbind', () => db.gateways.unbind('site-a', 'dev-1')],
        ['revoke', () => db.gateways.revokeGateway('site-a', 3, 'keyCompromise')],
        ['remove', () => db.gateways.removeGateway('site-a', 4, 'cessationOfOperation')],
      ];
      for (const [name, step] of steps) {
        const before = await db.store.changeToken();
        await step();
        assert.notEqual(await db.store.changeToken(), before, name);
      }
    } finally {
      await db.store.close();
    }
  });

  it('drops the binding of a deleted device, so a new device of that id is not relayed', async () => {
    const db = fresh();
    try {
      await db.store.addDevice(sampleDevice('dev-1'), sampleKey('dev-1'));
      await db.gateways.addGateway(gateway('site-a', 'aa01'), ['dev-1']);
      await db.store.deleteDevice('dev-1');
      assert.deepEqual(await db.gateways.listBindings(), []);
    } finally {
      await db.store.close();
    }
  });
});
