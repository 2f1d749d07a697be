import assert from 'node:assert/strict';
import { describe } from 'node:test';
import { type ContractOptions, contractTest } from '../storage/contract.fixture.ts';
import type { Store } from '../storage/store.ts';
import { sampleBatch, sampleDevice, sampleKey, sampleReading } from '../storage/store-records.fixture.ts';
import type { SinkOutbox } from './sink-outbox.ts';

/**
 * A fresh, migrated, empty outbox and the `Store` on the same database (the outbox is filled by
 * the store's ingest writes, in their transaction).
 */
export interface SinkOutboxFixture {
  store: Store;
  outbox: SinkOutbox;
  cleanup: () => Promise<void>;
}

async function devices(store: Store, ...ids: string[]): Promise<void> {
  for (const id of ids) await store.addDevice(sampleDevice(id), sampleKey(id));
}

/** Stores readings seq from..to (one sample each) of `deviceId`. */
async function write(store: Store, deviceId: string, from: number, to: number): Promise<void> {
  const readings = [];
  for (let seq = from; seq <= to; seq++) readings.push(sampleReading(deviceId, seq));
  await store.writeBatch(sampleBatch({ readings }));
}

const target = (name: string, capacity = 1000, devices: string[] | null = null) => ({
  name,
  capacity,
  devices,
});

/**
 * The behaviour every `SinkOutbox` adapter must show: filled in the readings' transaction, one
 * entry per stored reading and sink (duplicates of a reading are not queued twice), oldest first,
 * bounded with the oldest dropped and counted, device filters, removal.
 */
export function runSinkOutboxContract(o: ContractOptions<SinkOutboxFixture>): void {
  const test = contractTest(o);
  describe(`SinkOutbox contract: ${o.name}`, () => {
    test('queues every reading stored after a sink was set, for each sink, oldest first', async ({
      store,
      outbox,
    }) => {
      await devices(store, 'truck-0001');
      await write(store, 'truck-0001', 1, 2);
      await outbox.setTargets([target('influxdb'), target('webhook-a')]);
      await write(store, 'truck-0001', 3, 5);
      for (const sink of ['influxdb', 'webhook-a']) {
        const got = await outbox.peek(sink, 10);
        assert.deepEqual(
          got.map((r) => r.seq),
          [3, 4, 5],
          `${sink}: readings stored before the sink existed are not queued`,
        );
        assert.ok(got[0] && got[0].id < (got[1]?.id ?? 0), 'ids increase');
        assert.equal(got[0]?.profile, 'vaccine-transport');
        assert.deepEqual(got[0]?.data, sampleReading('truck-0001', 3).data);
        assert.equal(got[0]?.ts, sampleReading('truck-0001', 3).ts);
        assert.equal(got[0]?.backfill, false);
        assert.equal((await outbox.depth(sink)).pending, 3);
      }
      assert.deepEqual((await outbox.listTargets()).map((t) => t.name).sort(), ['influxdb', 'webhook-a']);
    });

    test('queues a redelivered reading once (idempotent on device, seq, idx)', async ({ store, outbox }) => {
      await devices(store, 'truck-0001');
      await outbox.setTargets([target('influxdb')]);
      await write(store, 'truck-0001', 1, 3);
      await write(store, 'truck-0001', 2, 4);
      const got = await outbox.peek('influxdb', 10);
      assert.deepEqual(
        got.map((r) => r.seq),
        [1, 2, 3, 4],
      );
    });

    test('removes delivered entries; the rest stay in order and survive other sinks', async ({
      store,
      outbox,
    }) => {
      await devices(store, 'truck-0001');
      await outbox.setTargets([target('a'), target('b')]);
      await write(store, 'truck-0001', 1, 4);
      const first = await outbox.peek('a', 2);
      await outbox.remove(
        'a',
        first.map((r) => r.id),
      );
      await outbox.remove('a', [999_999]);
      assert.deepEqual(
        (await outbox.peek('a', 10)).map((r) => r.seq),
        [3, 4],
      );
      assert.equal((await outbox.depth('a')).pending, 2);
      assert.equal((await outbox.depth('b')).pending, 4, 'another sink keeps its entries');
    });

    test('is bounded: a full outbox drops its oldest entries and counts them', async ({ store, outbox }) => {
      await devices(store, 'truck-0001');
      await outbox.setTargets([target('slow', 3), target('fast', 100)]);
      await write(store, 'truck-0001', 1, 5);
      assert.deepEqual(
        (await outbox.peek('slow', 10)).map((r) => r.seq),
        [3, 4, 5],
      );
      assert.deepEqual(await outbox.depth('slow'), {
        pending: 3,
        dropped: 2,
        oldestReceivedAt: sampleReading('truck-0001', 3).receivedAt,
      });
      assert.equal((await outbox.depth('fast')).pending, 5, 'one full outbox costs the others nothing');
      await outbox.setTargets([target('slow', 1), target('fast', 100)]);
      assert.deepEqual(
        (await outbox.peek('slow', 10)).map((r) => r.seq),
        [5],
        'a lowered capacity applies at once',
      );
      assert.equal((await outbox.depth('slow')).dropped, 4);
    });

    test('queues only the listed devices for a filtered sink', async ({ store, outbox }) => {
      await devices(store, 'truck-0001', 'truck-0002');
      await outbox.setTargets([target('ts', 100, ['truck-0002']), target('all')]);
      await write(store, 'truck-0001', 1, 2);
      await write(store, 'truck-0002', 1, 2);
      assert.deepEqual(
        (await outbox.peek('ts', 10)).map((r) => r.deviceId),
        ['truck-0002', 'truck-0002'],
      );
      assert.equal((await outbox.depth('all')).pending, 4);
      assert.deepEqual((await outbox.listTargets()).find((t) => t.name === 'ts')?.devices, ['truck-0002']);
    });

    test('drops the outbox of a sink no longer configured, keeps the others', async ({ store, outbox }) => {
      await devices(store, 'truck-0001');
      await outbox.setTargets([target('a'), target('b')]);
      await write(store, 'truck-0001', 1, 2);
      await outbox.setTargets([target('b')]);
      assert.deepEqual(await outbox.depth('a'), { pending: 0, dropped: 0, oldestReceivedAt: null });
      assert.equal((await outbox.peek('a', 10)).length, 0);
      assert.equal((await outbox.depth('b')).pending, 2);
      await outbox.setTargets([]);
      await write(store, 'truck-0001', 3, 3);
      assert.equal((await outbox.listTargets()).length, 0);
      assert.equal((await outbox.depth('b')).pending, 0);
    });

    test('keeps entries when the targets are set again unchanged (a restart)', async ({ store, outbox }) => {
      await devices(store, 'truck-0001');
      await outbox.setTargets([target('a')]);
      await write(store, 'truck-0001', 1, 3);
      await outbox.setTargets([target('a')]);
      assert.deepEqual(
        (await outbox.peek('a', 10)).map((r) => r.seq),
        [1, 2, 3],
      );
      await write(store, 'truck-0001', 4, 4);
      const ids = (await outbox.peek('a', 10)).map((r) => r.id);
      assert.equal(new Set(ids).size, 4, 'ids are never reused');
    });
  });
}
