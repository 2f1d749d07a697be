import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runSinkOutboxContract } from '../../sinks/sink-outbox-contract.ts';
import { sampleBatch, sampleDevice, sampleKey, sampleReading } from '../store-records.fixture.ts';
import { freshSqlite } from './sqlite.fixture.ts';

const fresh = freshSqlite('sink-outbox');
runSinkOutboxContract({
  name: 'SqliteSinkOutbox',
  make: async () => {
    const own = fresh();
    return { store: own.store, outbox: own.sinkOutbox, cleanup: () => own.store.close() };
  },
});

describe('SqliteSinkOutbox', () => {
  it('fills the outbox in the readings transaction: a failed batch queues nothing', async () => {
    const db = fresh();
    try {
      await db.store.addDevice(sampleDevice('truck-0001'), sampleKey('truck-0001'));
      await db.sinkOutbox.setTargets([{ name: 'influxdb', capacity: 100, devices: null }]);
      // The second reading names an unknown device (foreign key): the whole transaction rolls back.
      const bad = sampleReading('ghost-0001', 2);
      await assert.rejects(
        db.store.writeBatch(sampleBatch({ readings: [sampleReading('truck-0001', 1), bad] })),
      );
      assert.equal(await db.store.countReadings(), 0);
      assert.equal((await db.sinkOutbox.depth('influxdb')).pending, 0);
    } finally {
      await db.store.close();
    }
  });

  it('skips and removes an entry whose reading was deleted since', async () => {
    const db = fresh();
    try {
      await db.store.addDevice(sampleDevice('truck-0001'), sampleKey('truck-0001'));
      await db.sinkOutbox.setTargets([{ name: 'influxdb', capacity: 100, devices: null }]);
      await db.store.writeBatch(
        sampleBatch({ readings: [sampleReading('truck-0001', 1), sampleReading('truck-0001', 2)] }),
      );
      db.database.scope('test').read(() => db.database.stmt('DELETE FROM readings WHERE seq = 1').run());
      const got = await db.sinkOutbox.peek('influxdb', 10);
      assert.deepEqual(
        got.map((r) => r.seq),
        [2],
      );
      assert.equal((await db.sinkOutbox.depth('influxdb')).pending, 1);
    } finally {
      await db.store.close();
    }
  });
});
