import assert from 'node:assert/strict';
import { describe } from 'node:test';
import { type ContractOptions, contractTest, rejectsWith } from '../storage/contract.fixture.ts';
import type { Shipment } from './shipment.ts';
import type { ShipmentStore } from './shipment-store.ts';

/** A fresh, migrated, empty shipment store and a way to dispose of it. */
export interface ShipmentStoreFixture {
  shipments: ShipmentStore;
  /** Registers a device in the same database (a shipment is bound to a provisioned device). */
  registerDevice: (id: string) => Promise<void>;
  cleanup: () => Promise<void>;
}

const T = 1_795_305_600_000;

function planned(id: string, over: Partial<Shipment> = {}): Shipment {
  return {
    id,
    deviceId: 'truck-0001',
    profile: 'refrigerated',
    batches: [{ lot: 'LOT-1', product: 'MMR', quantity: 100, vvm: 'VVM14' }],
    origin: { name: 'Central store', lat: 48.85, lon: 2.35 },
    destination: { name: 'Clinic' },
    plannedRoute: null,
    eta: null,
    state: 'planned',
    dispatch: null,
    delivery: null,
    closedAt: null,
    decision: null,
    createdAt: T,
    createdBy: 'user:dana',
    updatedAt: T,
    ...over,
  };
}

/** Two planned shipments, `shp-aaaaaaaaaa` and `shp-bbbbbbbbbb`, of truck-0001. */
async function twoPlanned(f: ShipmentStoreFixture): Promise<ShipmentStoreFixture> {
  await f.registerDevice('truck-0001');
  await f.shipments.create(planned('shp-aaaaaaaaaa'));
  await f.shipments.create(planned('shp-bbbbbbbbbb'));
  return f;
}

/**
 * The behaviour every `ShipmentStore` adapter must show (see `runStoreContract` for the options):
 * shipments read back as written, compare-and-set transitions, the chain of custody in recorded
 * order, and the wrong-token counts behind the delivery rate limit.
 */
export function runShipmentStoreContract(o: ContractOptions<ShipmentStoreFixture>): void {
  const test = contractTest(o);
  describe(`ShipmentStore contract: ${o.name}`, () => {
    test('reads a shipment back as written; a duplicate id is refused', async ({
      shipments,
      registerDevice,
    }) => {
      await registerDevice('truck-0001');
      const a = planned('shp-aaaaaaaaaa');
      const b = planned('shp-bbbbbbbbbb', {
        profile: { preset: 'refrigerated', heat: { durationMs: 1_800_000 } },
        batches: [],
        plannedRoute: [
          { lat: 48.85, lon: 2.35 },
          { lat: 48.9, lon: 2.4 },
        ],
        eta: T + 3_600_000,
        state: 'in_transit',
        dispatch: { at: T + 10, batchId: 'B-1', tokenHash: 'ab'.repeat(16), receivedAt: T + 20 },
      });
      await shipments.create(a);
      await shipments.create(b);
      assert.deepEqual(await shipments.get(a.id), a);
      assert.deepEqual(await shipments.get(b.id), b);
      assert.equal(await shipments.get('shp-cccccccccc'), null);
      await rejectsWith(shipments.create(a), 'VIGIL_ERR_SHIPMENT_EXISTS');
    });

    test('lists newest created first, by state and device, within the limit', async ({
      shipments,
      registerDevice,
    }) => {
      await registerDevice('truck-0001');
      await registerDevice('truck-0002');
      await shipments.create(planned('shp-aaaaaaaaaa', { createdAt: T + 1 }));
      await shipments.create(
        planned('shp-bbbbbbbbbb', {
          createdAt: T + 2,
          state: 'in_transit',
          dispatch: { at: T + 2, batchId: 'B-2', tokenHash: 'ef'.repeat(16), receivedAt: T + 2 },
        }),
      );
      await shipments.create(planned('shp-cccccccccc', { createdAt: T + 3, deviceId: 'truck-0002' }));
      const ids = async (q?: Parameters<ShipmentStore['list']>[0]) =>
        (await shipments.list(q)).map((s) => s.id);
      assert.deepEqual(await ids(), ['shp-cccccccccc', 'shp-bbbbbbbbbb', 'shp-aaaaaaaaaa']);
      assert.deepEqual(await ids({ state: 'planned' }), ['shp-cccccccccc', 'shp-aaaaaaaaaa']);
      assert.deepEqual(await ids({ deviceId: 'truck-0001' }), ['shp-bbbbbbbbbb', 'shp-aaaaaaaaaa']);
      assert.deepEqual(await ids({ state: 'planned', deviceId: 'truck-0001' }), ['shp-aaaaaaaaaa']);
      assert.deepEqual(await ids({ limit: 1 }), ['shp-cccccccccc']);
    });

    test('moves a shipment only from the listed states, applying the patch', async ({
      shipments,
      registerDevice,
    }) => {
      await registerDevice('truck-0001');
      await shipments.create(planned('shp-aaaaaaaaaa'));
      const dispatch = { at: T + 10, batchId: 'B-1', tokenHash: 'cd'.repeat(16), receivedAt: T + 11 };
      assert.equal(
        await shipments.transition('shp-aaaaaaaaaa', ['in_transit'], 'delivered', {}, T + 5),
        null,
      );
      const moved = await shipments.transition(
        'shp-aaaaaaaaaa',
        ['planned'],
        'in_transit',
        { dispatch },
        T + 12,
      );
      assert.equal(moved?.state, 'in_transit');
      assert.deepEqual(moved?.dispatch, dispatch);
      assert.equal(moved?.updatedAt, T + 12);
      assert.equal(await shipments.transition('shp-aaaaaaaaaa', ['planned'], 'in_transit', {}, T + 13), null);
      const delivery = { at: T + 100, by: 'user:rita', lat: 48.9, lon: 2.4, fixAt: T + 90 };
      const decision = {
        state: 'released' as const,
        by: 'user:quinn',
        at: T + 200,
        reason: 'ok',
        meaning: 'approved',
      };
      await shipments.transition('shp-aaaaaaaaaa', ['in_transit'], 'delivered', { delivery }, T + 100);
      const done = await shipments.transition(
        'shp-aaaaaaaaaa',
        ['delivered'],
        'released',
        { decision },
        T + 200,
      );
      assert.deepEqual(
        [done?.state, done?.dispatch, done?.delivery, done?.decision],
        ['released', dispatch, delivery, decision],
      );
      assert.deepEqual(await shipments.get('shp-aaaaaaaaaa'), done);
      assert.equal(await shipments.transition('shp-zzzzzzzzzz', ['planned'], 'in_transit', {}, T), null);
    });

    test('keeps the chain of custody in recorded order, per shipment', async ({
      shipments,
      registerDevice,
    }) => {
      await registerDevice('truck-0001');
      await shipments.create(planned('shp-aaaaaaaaaa'));
      await shipments.create(planned('shp-bbbbbbbbbb'));
      const ev = (shipmentId: string, at: number, action: string) => ({
        shipmentId,
        at,
        action,
        actor: 'device:truck-0001',
        detail: { batch_id: 'B-1', n: at },
      });
      await shipments.addEvent(ev('shp-aaaaaaaaaa', T + 20, 'shipment.create'));
      // A dispatch reported late carries an earlier time than the step before it.
      await shipments.addEvent(ev('shp-aaaaaaaaaa', T + 10, 'shipment.dispatch'));
      await shipments.addEvent(ev('shp-bbbbbbbbbb', T + 30, 'shipment.create'));
      assert.deepEqual(await shipments.listEvents('shp-aaaaaaaaaa'), [
        ev('shp-aaaaaaaaaa', T + 20, 'shipment.create'),
        ev('shp-aaaaaaaaaa', T + 10, 'shipment.dispatch'),
      ]);
      assert.deepEqual(await shipments.listEvents('shp-cccccccccc'), []);
    });

    test('counts wrong delivery tokens by shipment, actor and time, and forgets old ones', async (f) => {
      const { shipments } = await twoPlanned(f);
      await shipments.addDeliveryFailure('shp-aaaaaaaaaa', 'user:rita', T + 10);
      await shipments.addDeliveryFailure('shp-aaaaaaaaaa', 'user:mal', T + 20);
      await shipments.addDeliveryFailure('shp-bbbbbbbbbb', 'user:mal', T + 30);
      assert.equal(await shipments.countDeliveryFailures({ shipmentId: 'shp-aaaaaaaaaa', since: 0 }), 2);
      assert.equal(await shipments.countDeliveryFailures({ actor: 'user:mal', since: 0 }), 2);
      assert.equal(
        await shipments.countDeliveryFailures({ shipmentId: 'shp-aaaaaaaaaa', actor: 'user:mal', since: 0 }),
        1,
      );
      assert.equal(await shipments.countDeliveryFailures({ actor: 'user:mal', since: T + 21 }), 1);
      assert.equal(await shipments.oldestDeliveryFailure({ actor: 'user:mal', since: 0 }), T + 20);
      assert.equal(await shipments.oldestDeliveryFailure({ actor: 'user:nobody', since: 0 }), null);
      await shipments.pruneDeliveryFailures(T + 20);
      assert.equal(await shipments.countDeliveryFailures({ since: 0 }), 2);
      assert.equal(await shipments.oldestDeliveryFailure({ since: 0 }), T + 20);
    });
  });
}
