import assert from 'node:assert/strict';
import { describe } from 'node:test';
import { type ContractOptions, contractTest } from '../storage/contract.fixture.ts';
import type { Store } from '../storage/store.ts';
import { sampleBatch, sampleDevice, sampleKey, sampleMessage, T0 } from '../storage/store-records.fixture.ts';
import type { DeviceReports } from './device-reports.ts';

/** A fresh, migrated, empty database through both ports: events go in by the store, as ingest writes them. */
export interface DeviceReportsFixture {
  reports: DeviceReports;
  store: Store;
  cleanup: () => Promise<void>;
}

/** Stores events of `deviceId` as ingest would: seq n, sent at T0 + ts minutes. */
async function events(store: Store, deviceId: string, list: [seq: number, ts: number, body: object][]) {
  await store.writeBatch(
    sampleBatch({
      messages: list.map(([seq, ts, body]) =>
        sampleMessage(deviceId, seq, {
          ts: T0 + ts * 60_000,
          receivedAt: T0 + seq * 60_000,
          body: body as Record<string, unknown>,
        }),
      ),
    }),
  );
}

/** The behaviour every DeviceReports adapter must show (src/ota/device-reports.ts). */
export function runDeviceReportsContract(o: ContractOptions<DeviceReportsFixture>): void {
  const test = contractTest(o);
  describe(`${o.name} (DeviceReports contract)`, () => {
    test('reports the version in the newest running, confirmed or rolled_back event, by event time', async ({
      reports,
      store,
    }) => {
      await store.addDevice(sampleDevice('fw-0001'), sampleKey('fw-0001'));
      await store.addDevice(sampleDevice('fw-0002'), sampleKey('fw-0002'));
      await store.addDevice(sampleDevice('fw-0003'), sampleKey('fw-0003'));
      assert.deepEqual(await reports.firmware(['fw-0001']), []);
      await events(store, 'fw-0001', [
        [1, 1, { type: 'ota', state: 'running', version: '1.0.0' }],
        [2, 2, { type: 'ota', state: 'downloading', version: '1.1.0', pct: 50 }],
        [3, 3, { type: 'ota', state: 'confirmed', version: '1.1.0' }],
        // A backfilled boot report from before the update arrives last: older, so not the answer.
        [4, 0, { type: 'ota', state: 'running', version: '0.9.0' }],
        // Not an ota event, and an ota event whose version is no string: both ignored.
        [5, 9, { type: 'door', state: 'open' }],
        [6, 9, { type: 'ota', state: 'running', version: 2 }],
      ]);
      await events(store, 'fw-0002', [
        [1, 1, { type: 'ota', state: 'running', version: '1.1.0' }],
        [2, 5, { type: 'ota', state: 'rolled_back', version: '1.0.0', tried: '1.1.0', error: 'self_test' }],
      ]);
      const got = await reports.firmware(['fw-0001', 'fw-0002', 'fw-0003', 'fw-0001']);
      assert.deepEqual(got.map((r) => [r.deviceId, r.version, r.ts, r.receivedAt]).sort(), [
        ['fw-0001', '1.1.0', T0 + 3 * 60_000, T0 + 3 * 60_000],
        ['fw-0002', '1.0.0', T0 + 5 * 60_000, T0 + 2 * 60_000],
      ]);
    });

    test("reports each output's newest value and leaves out the unreported and the malformed", async ({
      reports,
      store,
    }) => {
      await store.addDevice(sampleDevice('out-0001'), sampleKey('out-0001'));
      await store.addDevice(sampleDevice('out-0002'), sampleKey('out-0002'));
      await events(store, 'out-0001', [
        [1, 1, { type: 'output', name: 'led', value: 10 }],
        [2, 3, { type: 'output', name: 'led', value: 55 }],
        [3, 2, { type: 'output', name: 'led', value: 20 }],
        [4, 4, { type: 'output', name: 'relay', value: true }],
        [5, 5, { type: 'output', name: 'relay', value: false }],
        [6, 6, { type: 'output', name: 'buzzer', value: 'loud' }],
      ]);
      await events(store, 'out-0002', [[1, 9, { type: 'output', name: 'led', value: 99 }]]);
      const got = await reports.outputs('out-0001', ['led', 'relay', 'buzzer', 'fan']);
      assert.deepEqual(got.map((r) => [r.name, r.value, r.ts]).sort(), [
        ['led', 55, T0 + 3 * 60_000],
        ['relay', false, T0 + 5 * 60_000],
      ]);
      assert.deepEqual(await reports.outputs('out-0001', []), []);
    });
  });
}
