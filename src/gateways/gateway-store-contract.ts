import assert from 'node:assert/strict';
import { describe } from 'node:test';
import { type ContractOptions, contractTest, rejectsWith } from '../storage/contract.fixture.ts';
import type { GatewayRecord, GatewayStore } from './gateway-store.ts';

/** A fresh, migrated, empty gateway store. */
export interface GatewayStoreFixture {
  gateways: GatewayStore;
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

/** The behaviour every GatewayStore adapter must show. */
export function runGatewayStoreContract(o: ContractOptions<GatewayStoreFixture>): void {
  const test = contractTest(o);
  describe(`GatewayStore contract: ${o.name}`, () => {
    test('adds a gateway with its devices and finds it by id and by certificate serial', async ({
      gateways,
    }) => {
      await gateways.addGateway(gw('site-a', { certSerial: 'aa01' }), ['dev-1', 'dev-2']);
      assert.equal((await gateways.getGateway('site-a'))?.certSerial, 'aa01');
      assert.equal((await gateways.gatewayBySerial('aa01'))?.id, 'site-a');
      assert.equal(await gateways.gatewayBySerial('bb02'), null);
      assert.deepEqual(
        (await gateways.listBindings()).map((b) => `${b.gatewayId}:${b.deviceId}`),
        ['site-a:dev-1', 'site-a:dev-2'],
      );
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
      assert.deepEqual(
        (await gateways.listBindings()).map((b) => `${b.gatewayId}:${b.deviceId}`),
        ['site-a:dev-1', 'site-b:dev-2'],
      );
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
  });
}
