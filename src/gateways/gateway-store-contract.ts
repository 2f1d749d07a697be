import assert from 'node:assert/strict';
import { describe } from 'node:test';
import { type ContractOptions, contractTest, rejectsWith } from '../storage/contract.fixture.ts';
import type { GatewayRecord, GatewayStore } from './gateway-store.ts';

/** A fresh, migrated, empty gateway store, and a way to register the devices it binds. */
export interface GatewayStoreFixture {
  gateways: GatewayStore;
  /** Registers a device in the same database (bindings name registered devices only). */
  registerDevice: (id: string) => Promise<void>;
  cleanup: () => Promise<void>;
}

const T = 1_795_305_600_000;

function gw(id: string, over: Partial<GatewayRecord> = {}): GatewayRecord {
  return {
    id,
    certSerial: `0a${id.length}b${id.replace(/[^0-9a-f]/g, '')}`,
    certPem: '-----BEGIN CERTIFICATE-----\nMA==\n-----END CERTIFICATE-----\n',
    createdAt: T,
    createdBy: 'cli',
    revokedAt: null,
    ...over,
  };
}

const pairs = async (s: GatewayStore) => (await s.listBindings()).map((b) => `${b.gatewayId}:${b.deviceId}`);

/** The behaviour every GatewayStore adapter must show. */
export function runGatewayStoreContract(o: ContractOptions<GatewayStoreFixture>): void {
  const test = contractTest<GatewayStoreFixture>({
    ...o,
    make: async () => {
      const f = await o.make();
      for (const d of ['dev-1', 'dev-2', 'dev-3', 'dev-9']) await f.registerDevice(d);
      return f;
    },
  });
  describe(`GatewayStore contract: ${o.name}`, () => {
    test('adds a gateway with its devices and finds it by id and by certificate serial', async ({
      gateways,
    }) => {
      await gateways.addGateway(gw('site-a', { certSerial: 'aa01' }), ['dev-1', 'dev-2']);
      assert.equal((await gateways.getGateway('site-a'))?.certSerial, 'aa01');
      assert.equal((await gateways.getGateway('site-a'))?.revokedAt, null);
      assert.equal((await gateways.gatewayBySerial('aa01'))?.id, 'site-a');
      assert.equal(await gateways.gatewayBySerial('bb02'), null);
      assert.deepEqual(await pairs(gateways), ['site-a:dev-1', 'site-a:dev-2']);
    });

    test('refuses a second gateway with the same id and changes nothing', async ({ gateways }) => {
      await gateways.addGateway(gw('site-a', { certSerial: 'aa01' }), []);
      await rejectsWith(
        gateways.addGateway(gw('site-a', { certSerial: 'aa02' }), ['dev-9']),
        'VIGIL_ERR_GATEWAY_STATE',
      );
      assert.equal((await gateways.listGateways()).length, 1);
      assert.deepEqual(await gateways.listBindings(), []);
    });

    test('binds a device to one gateway only; a second gateway is refused', async ({ gateways }) => {
      await gateways.addGateway(gw('site-a', { certSerial: 'aa01' }), ['dev-1']);
      await gateways.addGateway(gw('site-b', { certSerial: 'bb01' }), []);
      await rejectsWith(gateways.bind('site-b', 'dev-1', T), 'VIGIL_ERR_GATEWAY_STATE');
      await rejectsWith(
        gateways.addGateway(gw('site-c', { certSerial: 'cc01' }), ['dev-1']),
        'VIGIL_ERR_GATEWAY_STATE',
      );
      assert.equal(await gateways.getGateway('site-c'), null);
      await gateways.bind('site-a', 'dev-1', T + 1); // again: no change
      await gateways.bind('site-b', 'dev-2', T + 2);
      assert.deepEqual(await pairs(gateways), ['site-a:dev-1', 'site-b:dev-2']);
    });

    test('refuses to bind a device that is not registered', async ({ gateways }) => {
      await gateways.addGateway(gw('site-a', { certSerial: 'aa01' }), []);
      await rejectsWith(gateways.bind('site-a', 'dev-404', T), 'VIGIL_ERR_UNKNOWN_DEVICE');
      await rejectsWith(
        gateways.addGateway(gw('site-b', { certSerial: 'bb01' }), ['dev-404']),
        'VIGIL_ERR_UNKNOWN_DEVICE',
      );
      assert.equal(await gateways.getGateway('site-b'), null);
      assert.deepEqual(await gateways.listBindings(), []);
    });

    test('unbinds a device from its gateway only', async ({ gateways }) => {
      await gateways.addGateway(gw('site-a', { certSerial: 'aa01' }), ['dev-1']);
      assert.equal(await gateways.unbind('site-b', 'dev-1'), false);
      assert.equal(await gateways.unbind('site-a', 'dev-1'), true);
      assert.equal(await gateways.unbind('site-a', 'dev-1'), false);
      assert.deepEqual(await gateways.listBindings(), []);
    });

    test('refuses to bind to an unknown gateway', async ({ gateways }) => {
      await rejectsWith(gateways.bind('nope-gw', 'dev-1', T), 'VIGIL_ERR_GATEWAY_STATE');
    });

    test('revokes a gateway once; a revoked gateway takes no new device and keeps its bindings', async ({
      gateways,
    }) => {
      await gateways.addGateway(gw('site-a', { certSerial: 'aa01' }), ['dev-1']);
      assert.equal(await gateways.revokeGateway('site-a', T + 5, 'keyCompromise'), true);
      assert.equal(await gateways.revokeGateway('site-a', T + 9, 'superseded'), false);
      assert.equal((await gateways.getGateway('site-a'))?.revokedAt, T + 5);
      assert.equal((await gateways.gatewayBySerial('aa01'))?.revokedAt, T + 5);
      assert.deepEqual(await gateways.listRevoked(), [
        { certSerial: 'aa01', gatewayId: 'site-a', revokedAt: T + 5, reason: 'keyCompromise' },
      ]);
      await rejectsWith(gateways.bind('site-a', 'dev-2', T + 6), 'VIGIL_ERR_GATEWAY_STATE');
      assert.deepEqual(await pairs(gateways), ['site-a:dev-1']);
      await rejectsWith(gateways.revokeGateway('nope-gw', T, 'keyCompromise'), 'VIGIL_ERR_GATEWAY_STATE');
    });

    test('removes a gateway: its devices are unbound, its certificate stays revoked, its id is free again', async ({
      gateways,
    }) => {
      await gateways.addGateway(gw('site-a', { certSerial: 'aa01' }), ['dev-1', 'dev-2']);
      await gateways.addGateway(gw('site-b', { certSerial: 'bb01' }), ['dev-3']);
      assert.deepEqual(await gateways.removeGateway('site-a', T + 7, 'cessationOfOperation'), [
        'dev-1',
        'dev-2',
      ]);
      assert.equal(await gateways.getGateway('site-a'), null);
      assert.equal(await gateways.gatewayBySerial('aa01'), null);
      assert.deepEqual(await pairs(gateways), ['site-b:dev-3']);
      assert.deepEqual(
        (await gateways.listRevoked()).map((r) => `${r.certSerial}:${r.gatewayId}:${r.reason}`),
        ['aa01:site-a:cessationOfOperation'],
      );
      await rejectsWith(gateways.removeGateway('site-a', T + 8, 'superseded'), 'VIGIL_ERR_GATEWAY_STATE');
      // The same id with a new certificate: a new, unrevoked gateway; the old serial stays revoked.
      await gateways.addGateway(gw('site-a', { certSerial: 'aa02' }), ['dev-1']);
      assert.equal((await gateways.getGateway('site-a'))?.revokedAt, null);
      assert.deepEqual(
        (await gateways.listRevoked()).map((r) => r.certSerial),
        ['aa01'],
      );
    });

    test('removing a gateway revoked earlier keeps the first revocation', async ({ gateways }) => {
      await gateways.addGateway(gw('site-a', { certSerial: 'aa01' }), []);
      await gateways.revokeGateway('site-a', T + 1, 'keyCompromise');
      assert.deepEqual(await gateways.removeGateway('site-a', T + 2, 'cessationOfOperation'), []);
      assert.deepEqual(await gateways.listRevoked(), [
        { certSerial: 'aa01', gatewayId: 'site-a', revokedAt: T + 1, reason: 'keyCompromise' },
      ]);
    });
  });
}
