import assert from 'node:assert/strict';
import { describe } from 'node:test';
import { type ContractOptions, contractTest, rejectsWith } from '../storage/contract.fixture.ts';
import type { DeviceLabelStore } from './device-label-store.ts';

/** A fresh, migrated, empty label store, and a way to register and delete devices beside it. */
export interface DeviceLabelStoreFixture {
  labels: DeviceLabelStore;
  registerDevice: (id: string) => Promise<void>;
  deleteDevice: (id: string) => Promise<void>;
  cleanup: () => Promise<void>;
}

const T = 1_795_305_600_000;

/** The behaviour every DeviceLabelStore adapter must show. */
export function runDeviceLabelStoreContract(o: ContractOptions<DeviceLabelStoreFixture>): void {
  const test = contractTest(o);
  describe(`DeviceLabelStore contract: ${o.name}`, () => {
    test('sets, reads back and replaces both labels with who and when', async (f) => {
      await f.registerDevice('bed-0001');
      assert.equal(await f.labels.getLabels('bed-0001'), null);
      const set = await f.labels.setLabels('bed-0001', { bed: 'Bed 4', ward: 'Ward B' }, T, 'user:olga');
      const want = {
        deviceId: 'bed-0001',
        bed: 'Bed 4',
        ward: 'Ward B',
        updatedAt: T,
        updatedBy: 'user:olga',
      };
      assert.deepEqual(set, want);
      assert.deepEqual(await f.labels.getLabels('bed-0001'), want);
      const moved = await f.labels.setLabels('bed-0001', { bed: 'Bed 7', ward: null }, T + 1, 'user:ada');
      assert.deepEqual(moved, {
        deviceId: 'bed-0001',
        bed: 'Bed 7',
        ward: null,
        updatedAt: T + 1,
        updatedBy: 'user:ada',
      });
      assert.deepEqual(await f.labels.getLabels('bed-0001'), moved);
    });

    test('clearing both labels removes the record', async (f) => {
      await f.registerDevice('bed-0001');
      await f.labels.setLabels('bed-0001', { bed: 'Bed 4', ward: 'Ward B' }, T, 'user:olga');
      assert.equal(await f.labels.setLabels('bed-0001', { bed: null, ward: null }, T + 1, 'user:olga'), null);
      assert.equal(await f.labels.getLabels('bed-0001'), null);
      assert.deepEqual(await f.labels.listLabels(), []);
    });

    test('lists every labelled device in id order', async (f) => {
      for (const id of ['bed-0003', 'bed-0001', 'bed-0002']) await f.registerDevice(id);
      await f.labels.setLabels('bed-0003', { bed: '3', ward: 'C' }, T, 'cli');
      await f.labels.setLabels('bed-0001', { bed: '1', ward: null }, T, 'cli');
      assert.deepEqual(
        (await f.labels.listLabels()).map((r) => [r.deviceId, r.bed, r.ward]),
        [
          ['bed-0001', '1', null],
          ['bed-0003', '3', 'C'],
        ],
      );
    });

    test('refuses labels for a device that is not registered, and stores nothing', async (f) => {
      await rejectsWith(
        f.labels.setLabels('bed-nope', { bed: '1', ward: 'A' }, T, 'cli'),
        'VIGIL_ERR_NOT_FOUND',
      );
      assert.deepEqual(await f.labels.listLabels(), []);
    });

    test("a deleted device's labels go with it", async (f) => {
      await f.registerDevice('bed-0001');
      await f.labels.setLabels('bed-0001', { bed: 'Bed 4', ward: 'Ward B' }, T, 'cli');
      await f.deleteDevice('bed-0001');
      assert.equal(await f.labels.getLabels('bed-0001'), null);
      assert.deepEqual(await f.labels.listLabels(), []);
    });

    test('keeps text as given: unicode, quotes and SQL-looking text are data', async (f) => {
      await f.registerDevice('bed-0001');
      const odd = { bed: "Lit 3 ' OR 1=1 --", ward: 'Station Süd – Kardiologie' };
      await f.labels.setLabels('bed-0001', odd, T, 'cli');
      const r = await f.labels.getLabels('bed-0001');
      assert.deepEqual([r?.bed, r?.ward], [odd.bed, odd.ward]);
    });
  });
}
