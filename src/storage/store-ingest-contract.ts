import assert from 'node:assert/strict';
import { describe } from 'node:test';
import type { ContractTest } from './contract.fixture.ts';
import type { ReplayStateRecord, Store } from './store.ts';
import type { StoreFixture } from './store-contract.ts';
import {
  sampleBatch,
  sampleDevice,
  sampleKey,
  sampleMessage,
  sampleReading,
  T0,
} from './store-records.fixture.ts';

/** The `Store` contract on ingest batches, replay state, readings and messages (run by `runStoreContract`). */
export function ingestContract(test: ContractTest<StoreFixture>): void {
  describe('ingest', () => {
    const setup = async (s: Store): Promise<void> => {
      await s.addDevice(sampleDevice('truck-0001'), sampleKey('truck-0001'));
      await s.addDevice(sampleDevice('truck-0002'), sampleKey('truck-0002'));
    };

    test('writes a batch and counts the rows it inserted', async ({ store: s }) => {
      await setup(s);
      const res = await s.writeBatch(
        sampleBatch({
          readings: [sampleReading('truck-0001', 1, 0), sampleReading('truck-0001', 1, 1)],
          messages: [sampleMessage('truck-0001', 2)],
        }),
      );
      assert.deepEqual(res, { readingsInserted: 2, messagesInserted: 1 });
      assert.equal(await s.countReadings(), 2);
    });

    test('ignores duplicates: the same batch twice inserts nothing the second time', async ({ store: s }) => {
      await setup(s);
      const batch = sampleBatch({
        readings: [sampleReading('truck-0001', 1, 0), sampleReading('truck-0001', 1, 1)],
        messages: [sampleMessage('truck-0001', 2, { channel: 'acks', body: { id: 'x', ok: true } })],
      });
      await s.writeBatch(batch);
      assert.deepEqual(await s.writeBatch(batch), { readingsInserted: 0, messagesInserted: 0 });
      const overlap = sampleBatch({
        readings: [
          sampleReading('truck-0001', 1, 1, { data: { temp_c: 99 } }),
          sampleReading('truck-0001', 3, 0),
        ],
      });
      assert.deepEqual(await s.writeBatch(overlap), { readingsInserted: 1, messagesInserted: 0 });
      assert.equal(await s.countReadings('truck-0001'), 3);
      const first = await s.queryReadings({ deviceId: 'truck-0001', limit: 2 });
      assert.deepEqual(first[1], batch.readings[1], 'the first write wins');
    });

    test("readingsAfter returns a device's readings in commit order, each once, from a cursor", async ({
      store: s,
    }) => {
      await setup(s);
      await s.writeBatch(sampleBatch({ readings: [sampleReading('truck-0001', 1)] }));
      const start = await s.readingsAfter({ deviceId: 'truck-0001' });
      assert.deepEqual(start.readings, [], 'without a cursor: only where following starts');
      // Late (backfilled) data with an old timestamp still comes after the cursor: commit order.
      await s.writeBatch(
        sampleBatch({
          readings: [
            sampleReading('truck-0001', 5),
            sampleReading('truck-0002', 1),
            sampleReading('truck-0001', 2, 0, { ts: T0 - 3_600_000, backfill: true }),
          ],
        }),
      );
      const a = await s.readingsAfter({ deviceId: 'truck-0001', cursor: start.cursor });
      assert.deepEqual(
        a.readings.map((r) => r.seq),
        [5, 2],
      );
      assert.equal(a.readings[1]?.backfill, true);
      const none = await s.readingsAfter({ deviceId: 'truck-0001', cursor: a.cursor });
      assert.deepEqual(none.readings, []);
      await s.writeBatch(sampleBatch({ readings: [sampleReading('truck-0002', 2)] }));
      await s.writeBatch(
        sampleBatch({ readings: [sampleReading('truck-0001', 6), sampleReading('truck-0001', 7)] }),
      );
      const page = await s.readingsAfter({ deviceId: 'truck-0001', cursor: none.cursor, limit: 1 });
      assert.deepEqual(
        page.readings.map((r) => r.seq),
        [6],
      );
      const rest = await s.readingsAfter({ deviceId: 'truck-0001', cursor: page.cursor, limit: 1 });
      assert.deepEqual(
        rest.readings.map((r) => r.seq),
        [7],
      );
      assert.deepEqual(rest.readings[0], sampleReading('truck-0001', 7));
      const other = await s.readingsAfter({ deviceId: 'truck-0002', cursor: start.cursor });
      assert.deepEqual(
        other.readings.map((r) => r.seq),
        [1, 2],
      );
    });

    test('writes nothing of a batch that fails (a row of an unknown device)', async ({ store: s }) => {
      await setup(s);
      await assert.rejects(
        s.writeBatch(
          sampleBatch({
            readings: [sampleReading('truck-0001', 1), sampleReading('ghost-0001', 1)],
            replayStates: [
              {
                deviceId: 'truck-0001',
                highest: 1,
                bitmap: Buffer.alloc(8),
                nonces: Buffer.alloc(0),
                updatedAt: T0,
              },
            ],
          }),
        ),
      );
      assert.equal(await s.countReadings(), 0);
      assert.equal(await s.getReplayState('truck-0001'), null);
    });

    test('round-trips replay state and overwrites it on the next batch', async ({ store: s }) => {
      await setup(s);
      assert.equal(await s.getReplayState('truck-0001'), null);
      const fps = Buffer.from('00112233445566778899aabbccddeeff', 'hex');
      await s.writeBatch(
        sampleBatch({
          replayStates: [
            {
              deviceId: 'truck-0001',
              highest: 41,
              bitmap: Buffer.from('8000000000000001', 'hex'),
              nonces: fps,
              updatedAt: T0,
            },
          ],
        }),
      );
      const st: ReplayStateRecord = {
        deviceId: 'truck-0001',
        highest: 41,
        bitmap: Buffer.from('8000000000000001', 'hex'),
        nonces: fps,
        updatedAt: T0,
      };
      assert.deepEqual(await s.getReplayState('truck-0001'), st);
      // The window one seq later (seq 42 accepted): every bit moves up by one, bit 0 is set; the
      // transaction carries only the fingerprint its own seq adds.
      const added = Buffer.from('aabbccddeeff0011', 'hex');
      const next = {
        ...st,
        highest: 42,
        bitmap: Buffer.from('0101000000000002', 'hex'),
        nonces: Buffer.concat([st.nonces, added]),
        updatedAt: T0 + 1,
      };
      await s.writeBatch(sampleBatch({ replayStates: [{ ...next, nonces: added }] }));
      assert.deepEqual(await s.getReplayState('truck-0001'), next);
      assert.equal(await s.getReplayState('truck-0002'), null);
    });

    test('keeps the fingerprints of the last window only, oldest first, however they were added', async ({
      store: s,
    }) => {
      await setup(s);
      // A 64-slot window (8-byte bitmap); 1000 fingerprints added in commits of 1 to 37.
      const fp = (i: number) => {
        const b = Buffer.alloc(8);
        b.writeUInt32BE(i, 4);
        return b;
      };
      let added = 0;
      for (let commit = 1; added < 1000; commit++) {
        const n = Math.min(1000 - added, (commit * 7) % 37 || 1);
        const nonces = Buffer.concat(Array.from({ length: n }, (_, k) => fp(added + k)));
        added += n;
        await s.writeBatch(
          sampleBatch({
            replayStates: [
              {
                deviceId: 'truck-0001',
                highest: added,
                bitmap: Buffer.alloc(8, 0xff),
                nonces,
                updatedAt: T0,
              },
            ],
          }),
        );
      }
      const st = await s.getReplayState('truck-0001');
      assert.equal(st?.highest, 1000);
      assert.deepEqual(st?.nonces, Buffer.concat(Array.from({ length: 64 }, (_, k) => fp(936 + k))));
    });

    test('moves lastSeenAt forward only', async ({ store: s }) => {
      await setup(s);
      await s.writeBatch(sampleBatch({ lastSeen: [{ deviceId: 'truck-0001', at: T0 + 100 }] }));
      assert.equal((await s.getDevice('truck-0001'))?.lastSeenAt, T0 + 100);
      await s.writeBatch(sampleBatch({ lastSeen: [{ deviceId: 'truck-0001', at: T0 + 50 }] }));
      assert.equal((await s.getDevice('truck-0001'))?.lastSeenAt, T0 + 100);
      await s.writeBatch(sampleBatch({ lastSeen: [{ deviceId: 'truck-0001', at: T0 + 200 }] }));
      const d = await s.getDevice('truck-0001');
      assert.equal(d?.lastSeenAt, T0 + 200);
      assert.equal(d?.updatedAt, T0, 'being seen is not a configuration change');
      assert.equal((await s.getDevice('truck-0002'))?.lastSeenAt, null);
    });

    test('returns readings of one device by ts, then seq and idx, with since inclusive and until exclusive', async ({
      store: s,
    }) => {
      await setup(s);
      const rs = [
        sampleReading('truck-0001', 5, 0, { ts: T0 + 300 }),
        sampleReading('truck-0001', 1, 0, { ts: T0 + 100, backfill: true }),
        sampleReading('truck-0001', 2, 1, { ts: T0 + 200 }),
        sampleReading('truck-0001', 2, 0, { ts: T0 + 200 }),
        sampleReading('truck-0001', 3, 0, { ts: T0 + 200 }),
        sampleReading('truck-0002', 1, 0, { ts: T0 + 200 }),
      ];
      await s.writeBatch(sampleBatch({ readings: rs }));
      const all = await s.queryReadings({ deviceId: 'truck-0001' });
      assert.deepEqual(
        all.map((r) => [r.seq, r.idx]),
        [
          [1, 0],
          [2, 0],
          [2, 1],
          [3, 0],
          [5, 0],
        ],
      );
      assert.deepEqual(all[0], rs[1]);
      assert.equal(all[0]?.backfill, true);
      assert.equal(all[1]?.backfill, false);
      const desc = await s.queryReadings({ deviceId: 'truck-0001', descending: true });
      assert.deepEqual(
        desc.map((r) => [r.seq, r.idx]),
        [
          [5, 0],
          [3, 0],
          [2, 1],
          [2, 0],
          [1, 0],
        ],
      );
      const win = await s.queryReadings({ deviceId: 'truck-0001', since: T0 + 200, until: T0 + 300 });
      assert.deepEqual(
        win.map((r) => r.seq),
        [2, 2, 3],
      );
      const lim = await s.queryReadings({ deviceId: 'truck-0001', since: T0 + 150, limit: 2 });
      assert.deepEqual(
        lim.map((r) => [r.seq, r.idx]),
        [
          [2, 0],
          [2, 1],
        ],
      );
      const lastTwo = await s.queryReadings({ deviceId: 'truck-0001', descending: true, limit: 2 });
      assert.deepEqual(
        lastTwo.map((r) => r.seq),
        [5, 3],
      );
      assert.deepEqual(await s.queryReadings({ deviceId: 'nope-0000' }), []);
      // Unbounded and fractional bounds, as the rules' history asks for them (an open span starts
      // at -Infinity): the same rows as the integer bounds around them.
      const open = await s.queryReadings({
        deviceId: 'truck-0001',
        since: Number.NEGATIVE_INFINITY,
        until: Number.POSITIVE_INFINITY,
      });
      assert.deepEqual(
        open.map((r) => [r.seq, r.idx]),
        all.map((r) => [r.seq, r.idx]),
      );
      const frac = await s.queryReadings({ deviceId: 'truck-0001', since: T0 + 199.5, until: T0 + 299.5 });
      assert.deepEqual(
        frac.map((r) => r.seq),
        [2, 2, 3],
      );
      assert.deepEqual(await s.queryMessages({ since: Number.NEGATIVE_INFINITY }), await s.queryMessages({}));
    });

    test('limits readings to 1000 by default', async ({ store: s }) => {
      await setup(s);
      const readings = Array.from({ length: 1100 }, (_, i) => sampleReading('truck-0001', i + 1));
      await s.writeBatch(sampleBatch({ readings }));
      const got = await s.queryReadings({ deviceId: 'truck-0001' });
      assert.equal(got.length, 1000);
      assert.equal(got[999]?.seq, 1000);
      assert.equal((await s.queryReadings({ deviceId: 'truck-0001', limit: 5000 })).length, 1100);
    });

    test('counts readings in total and per device', async ({ store: s }) => {
      await setup(s);
      assert.equal(await s.countReadings(), 0);
      await s.writeBatch(
        sampleBatch({
          readings: [
            sampleReading('truck-0001', 1),
            sampleReading('truck-0001', 2),
            sampleReading('truck-0002', 1),
          ],
        }),
      );
      assert.equal(await s.countReadings(), 3);
      assert.equal(await s.countReadings('truck-0001'), 2);
      assert.equal(await s.countReadings('truck-0002'), 1);
      assert.equal(await s.countReadings('nope-0000'), 0);
    });

    test('queries messages by device, channel and since, ordered by ts', async ({ store: s }) => {
      await setup(s);
      const ms = [
        sampleMessage('truck-0001', 3, { ts: T0 + 300 }),
        sampleMessage('truck-0001', 1, { ts: T0 + 100 }),
        sampleMessage('truck-0001', 2, { ts: T0 + 200, channel: 'acks', body: { id: 'c1', ok: true } }),
        sampleMessage('truck-0002', 1, { ts: T0 + 150 }),
      ];
      const res = await s.writeBatch(sampleBatch({ messages: ms }));
      assert.equal(res.messagesInserted, 4);
      const all = await s.queryMessages({});
      assert.deepEqual(
        all.map((m) => [m.deviceId, m.seq]),
        [
          ['truck-0001', 1],
          ['truck-0002', 1],
          ['truck-0001', 2],
          ['truck-0001', 3],
        ],
      );
      assert.deepEqual(all[2], ms[2]);
      assert.deepEqual(
        (await s.queryMessages({ deviceId: 'truck-0001' })).map((m) => m.seq),
        [1, 2, 3],
      );
      assert.deepEqual(
        (await s.queryMessages({ channel: 'acks' })).map((m) => m.seq),
        [2],
      );
      assert.deepEqual(
        (await s.queryMessages({ deviceId: 'truck-0001', channel: 'events', since: T0 + 100 })).map(
          (m) => m.seq,
        ),
        [1, 3],
      );
      assert.deepEqual(
        (await s.queryMessages({ since: T0 + 150, limit: 2 })).map((m) => [m.deviceId, m.seq]),
        [
          ['truck-0002', 1],
          ['truck-0001', 2],
        ],
      );
    });
  });
}
