/**
 * What the PostgreSQL adapters add to the contract: several processes at once (migrations under
 * an advisory lock, a replay split across ingest workers), monthly partitions and retention.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { MasterKey } from '../../keys/master-key.ts';
import type { ReplayStateRecord } from '../store.ts';
import { sampleBatch, sampleDevice, sampleKey, sampleReading, T0 } from '../store-records.fixture.ts';
import { postgresFixture } from './postgres.fixture.ts';
import { openPostgresAdapters, type PostgresAdapters } from './postgres-adapters.ts';
import { PG_MIGRATIONS } from './postgres-migrations.ts';
import { applyReadingRetention } from './postgres-retention.ts';

const pg = await postgresFixture();
const skip = pg.skip ?? false;
const DAY = 86_400_000;

/** A second process on the same database (its own pool). */
async function sibling(schema: string, master: MasterKey): Promise<PostgresAdapters> {
  const s = pg.server;
  assert.ok(s);
  return openPostgresAdapters({ url: s.url(), master, schema, retryForMs: 0, poolSize: 4 });
}

/** The window one worker believes in after accepting `seqs` (window of 1024). */
function windowOf(deviceId: string, seqs: number[]): ReplayStateRecord {
  const highest = Math.max(...seqs);
  const bitmap = Buffer.alloc(128);
  for (const s of seqs) {
    const i = highest - s;
    bitmap[i >> 3] = (bitmap[i >> 3] ?? 0) | (1 << (i & 7));
  }
  const nonces = Buffer.concat(seqs.map(() => randomBytes(8)));
  return { deviceId, highest, bitmap, nonces, updatedAt: T0 };
}

describe('PostgreSQL with several processes', { skip }, () => {
  it('runs its statements without JIT compilation (short statements; a bad estimate must not cost a compile)', async () => {
    const db = await pg.fresh();
    try {
      assert.deepEqual(await db.database.q('SHOW jit'), [{ jit: 'off' }]);
      assert.deepEqual(await db.database.q('SHOW search_path'), [{ search_path: db.schema }]);
    } finally {
      await db.dispose();
    }
  });

  it('migrates once when several workers start at the same moment (advisory lock)', async () => {
    const s = pg.server;
    assert.ok(s);
    const schema = `mig${process.pid}`;
    await s.query(`CREATE SCHEMA ${schema}`);
    const master = new MasterKey(randomBytes(32));
    const all = await Promise.all([1, 2, 3, 4].map(() => sibling(schema, master)));
    try {
      const rows = await s.query<{ version: number }>(`SELECT version FROM ${schema}.schema_migrations`);
      assert.deepEqual(
        rows.map((r) => r.version).sort((a, b) => a - b),
        PG_MIGRATIONS.map((m) => m.version),
        'each version applied once',
      );
      const keys = await s.query<{ n: string }>(`SELECT count(*) AS n FROM ${schema}.vigil_keys`);
      assert.equal(Number(keys[0]?.n), 1, 'one data key, which every worker opens');
      await all[0]?.store.addDevice(sampleDevice('truck-0001'), sampleKey('truck-0001'));
      assert.equal((await all[3]?.store.getDeviceKey('truck-0001', 1))?.kid, 1);
    } finally {
      for (const a of all) await a.store.close();
      await s.query(`DROP SCHEMA ${schema} CASCADE`);
    }
  });

  it('refuses a replay split across two workers: the copy committed second is refused and not stored', async () => {
    const master = new MasterKey(randomBytes(32));
    const a = await pg.fresh({ master });
    const b = await sibling(a.schema, master);
    try {
      await a.store.addDevice(sampleDevice('truck-0001'), sampleKey('truck-0001'));
      // Both workers received the same message (seq 5) and each accepted it in its own window.
      const batch = () =>
        sampleBatch({
          readings: [sampleReading('truck-0001', 5, 0), sampleReading('truck-0001', 5, 1)],
          replayStates: [windowOf('truck-0001', [5])],
          lastSeen: [{ deviceId: 'truck-0001', at: T0 }],
        });
      const [ra, rb] = await Promise.all([a.store.writeBatch(batch()), b.store.writeBatch(batch())]);
      const results = [ra, rb].sort((x, y) => y.readingsInserted - x.readingsInserted);
      assert.deepEqual(results[0], { readingsInserted: 2, messagesInserted: 0 });
      assert.deepEqual(results[1], {
        readingsInserted: 0,
        messagesInserted: 0,
        refused: [{ deviceId: 'truck-0001', seq: 5, code: 'VIGIL_ERR_REPLAY' }],
      });
      assert.equal(await a.store.countReadings('truck-0001'), 2);
    } finally {
      await b.store.close();
      await a.dispose();
    }
  });

  it('stores a seq its worker accepted before committing it (queued for the next commit), refusing only a copy of a stored one', async () => {
    const a = await pg.fresh();
    try {
      await a.store.addDevice(sampleDevice('truck-0001'), sampleKey('truck-0001'));
      // The worker accepted 1 and 2; its first commit holds only 1, with the window of both.
      const first = await a.store.writeBatch(
        sampleBatch({
          readings: [sampleReading('truck-0001', 1)],
          replayStates: [windowOf('truck-0001', [1, 2])],
        }),
      );
      assert.equal(first.refused, undefined);
      const second = await a.store.writeBatch(
        sampleBatch({
          readings: [sampleReading('truck-0001', 2)],
          replayStates: [windowOf('truck-0001', [1, 2])],
        }),
      );
      assert.deepEqual(second, { readingsInserted: 1, messagesInserted: 0 });
      const replay = await a.store.writeBatch(
        sampleBatch({
          readings: [sampleReading('truck-0001', 2)],
          replayStates: [windowOf('truck-0001', [1, 2])],
        }),
      );
      assert.deepEqual(replay.refused, [{ deviceId: 'truck-0001', seq: 2, code: 'VIGIL_ERR_REPLAY' }]);
      assert.equal(await a.store.countReadings('truck-0001'), 2);
    } finally {
      await a.dispose();
    }
  });

  it('keeps both workers’ seqs in the committed window, and stores a late seq below it that no worker stored, once', async () => {
    const master = new MasterKey(randomBytes(32));
    const a = await pg.fresh({ master });
    const b = await sibling(a.schema, master);
    try {
      await a.store.addDevice(sampleDevice('truck-0001'), sampleKey('truck-0001'));
      await a.store.writeBatch(
        sampleBatch({
          readings: [sampleReading('truck-0001', 10)],
          replayStates: [windowOf('truck-0001', [10])],
        }),
      );
      // b never saw seq 10; its own window holds only 2000 (which moves the window past 10).
      await b.store.writeBatch(
        sampleBatch({
          readings: [sampleReading('truck-0001', 2000)],
          replayStates: [windowOf('truck-0001', [2000])],
        }),
      );
      const st = await a.store.getReplayState('truck-0001');
      assert.equal(st?.highest, 2000);
      assert.equal(st?.nonces.length, 16, 'both nonce fingerprints kept');
      // a, whose window still ends at 10, accepts seq 11: below the committed window, but stored
      // nowhere (a late message, not a replay): refusing it would lose an acknowledged reading.
      const late = () =>
        sampleBatch({
          readings: [sampleReading('truck-0001', 11)],
          replayStates: [windowOf('truck-0001', [10, 11])],
        });
      assert.deepEqual(await a.store.writeBatch(late()), { readingsInserted: 1, messagesInserted: 0 });
      // The same message again, from the other worker: now a replay of a stored one.
      assert.deepEqual((await b.store.writeBatch(late())).refused, [
        { deviceId: 'truck-0001', seq: 11, code: 'VIGIL_ERR_REPLAY_TOO_OLD' },
      ]);
      assert.equal(await a.store.countReadings('truck-0001'), 3);
      assert.equal(
        (await a.store.getReplayState('truck-0001'))?.highest,
        2000,
        'the window never moves back',
      );
    } finally {
      await b.store.close();
      await a.dispose();
    }
  });
});

describe('PostgreSQL reading partitions and retention', { skip }, () => {
  it('stores readings in monthly partitions and reads across them', async () => {
    const db = await pg.fresh();
    try {
      await db.store.addDevice(sampleDevice('truck-0001'), sampleKey('truck-0001'));
      const jan = Date.UTC(2026, 0, 31, 23, 59);
      const feb = Date.UTC(2026, 1, 1, 0, 1);
      await db.store.writeBatch(
        sampleBatch({
          readings: [
            sampleReading('truck-0001', 1, 0, { ts: jan }),
            sampleReading('truck-0001', 2, 0, { ts: feb }),
          ],
        }),
      );
      assert.deepEqual(
        (await db.database.listPartitions()).map((p) => p.name),
        ['2026m01', '2026m02'],
      );
      assert.deepEqual(
        (await db.store.queryReadings({ deviceId: 'truck-0001' })).map((r) => r.seq),
        [1, 2],
      );
    } finally {
      await db.dispose();
    }
  });

  it('drops partitions older than retentionDays, but keeps the readings of a retained trip', async () => {
    const db = await pg.fresh();
    try {
      for (const id of ['truck-0001', 'truck-0002'])
        await db.store.addDevice(sampleDevice(id), sampleKey(id));
      const now = Date.UTC(2026, 11, 6);
      const old = (m: number, d: number) => Date.UTC(2026, m, d);
      await db.store.writeBatch(
        sampleBatch({
          readings: [
            sampleReading('truck-0001', 1, 0, { ts: old(0, 10) }), // January: no trip
            sampleReading('truck-0001', 2, 0, { ts: old(2, 10) }), // March: during the trip
            sampleReading('truck-0002', 1, 0, { ts: old(2, 11) }), // March: another truck, no trip
            sampleReading('truck-0001', 3, 0, { ts: old(10, 20) }), // November: recent
          ],
        }),
      );
      await db.shipments.create({
        id: 'SHP-0000000001',
        deviceId: 'truck-0001',
        profile: 'refrigerated',
        batches: [{ lot: 'L1', product: 'p', quantity: 1 }],
        origin: { name: 'A' },
        destination: { name: 'B' },
        plannedRoute: null,
        eta: null,
        state: 'delivered',
        dispatch: { at: old(2, 1), batchId: 'L1', tokenHash: 'h', receivedAt: old(2, 1) },
        delivery: { at: old(2, 20), by: 'user:r', lat: null, lon: null, fixAt: null },
        closedAt: null,
        decision: null,
        createdAt: old(1, 28),
        createdBy: 'cli',
        updatedAt: old(2, 20),
      });
      const r = await applyReadingRetention(db.database, {
        now,
        retentionDays: 90,
        shipmentRetentionDays: 1825,
      });
      assert.deepEqual(r.dropped, ['2026m01']);
      assert.deepEqual(r.trimmed, [{ name: '2026m03', deleted: 1 }]);
      assert.deepEqual(
        (await db.store.queryReadings({ deviceId: 'truck-0001' })).map((x) => x.seq),
        [2, 3],
      );
      assert.equal(await db.store.countReadings('truck-0002'), 0);
      // Once the trip's records are no longer due (ended more than shipmentRetentionDays ago):
      const later = await applyReadingRetention(db.database, {
        now,
        retentionDays: 90,
        shipmentRetentionDays: 30,
      });
      assert.deepEqual(later.dropped, ['2026m03']);
      assert.deepEqual(
        (await db.store.queryReadings({ deviceId: 'truck-0001' })).map((x) => x.seq),
        [3],
      );
      // A late sample of a dropped month creates its partition again.
      await db.store.writeBatch(
        sampleBatch({ readings: [sampleReading('truck-0001', 9, 0, { ts: old(0, 12) })] }),
      );
      assert.equal(await db.store.countReadings('truck-0001'), 2);
      assert.ok(now - old(0, 12) > 90 * DAY);
    } finally {
      await db.dispose();
    }
  });
});
