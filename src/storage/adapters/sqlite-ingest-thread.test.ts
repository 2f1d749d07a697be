import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { isVigilError } from '../../errors.ts';
import type { IngestBatch, ReadingRecord } from '../store.ts';
import { runStoreContract } from '../store-contract.ts';
import { sampleBatch, sampleDevice, sampleKey } from '../store-records.fixture.ts';
import { openSqliteAdapters } from './sqlite-adapters.ts';
import { SqliteIngestThread } from './sqlite-ingest-thread.ts';
import { SqliteStore } from './sqlite-store.ts';

const AUDIT_KEY = randomBytes(32);
const root = mkdtempSync(join(tmpdir(), 'vigil-ingest-thread-'));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;

/** A fresh migrated store whose ingest runs on its thread. */
async function openThreaded() {
  const path = join(root, `db-${++n}.sqlite`);
  const key = randomBytes(32);
  const store = SqliteStore.open({ path, key, auditKey: AUDIT_KEY, synchronous: 'NORMAL' });
  await store.migrate();
  await store.startIngestThread({ path, key, auditKey: AUDIT_KEY, synchronous: 'NORMAL' });
  return { store, path, key };
}

runStoreContract({
  name: 'SqliteStore with its ingest thread',
  make: async () => {
    const { store } = await openThreaded();
    return { store, cleanup: () => store.close() };
  },
});

/** `count` readings of one device, seqs from `first`, in one batch with its replay update. */
function batchOf(deviceId: string, first: number, count: number): IngestBatch {
  const readings: ReadingRecord[] = Array.from({ length: count }, (_, i) => ({
    deviceId,
    seq: first + i,
    idx: 0,
    ts: 1_795_305_600_000 + (first + i) * 1000,
    receivedAt: 1_795_305_600_000 + (first + i) * 1000,
    backfill: false,
    data: { temp_c: 4.6, rh_pct: 51.2, i: first + i },
  }));
  return sampleBatch({
    readings,
    replayStates: [
      {
        deviceId,
        highest: first + count - 1,
        bitmap: Buffer.alloc(128, 0xff),
        nonces: randomBytes(8),
        updatedAt: first,
      },
    ],
    lastSeen: [{ deviceId, at: first }],
  });
}

describe('SqliteStore ingest thread', () => {
  it('commits on its own thread: the event loop turns while a batch is committed, and the rows are there when it resolves', async () => {
    const { store } = await openThreaded();
    try {
      await store.addDevice(sampleDevice('truck-0001'), sampleKey('truck-0001'));
      let turns = 0;
      let spinning = true;
      const spin = () => {
        turns++;
        if (spinning) setImmediate(spin);
      };
      setImmediate(spin);
      const r = await store.writeBatch(batchOf('truck-0001', 1, 20_000));
      spinning = false;
      assert.equal(r.readingsInserted, 20_000);
      assert.equal(await store.countReadings('truck-0001'), 20_000, 'visible to the main connection');
      assert.ok(turns > 0, 'the event loop was free during the commit');
    } finally {
      await store.close();
    }
  });

  it('notification state writes on the main connection succeed while the ingest thread commits', async () => {
    const path = join(root, `db-${++n}.sqlite`);
    const key = randomBytes(32);
    const db = openSqliteAdapters({ path, key, auditKey: AUDIT_KEY, synchronous: 'NORMAL' });
    await db.store.startIngestThread({ path, key, auditKey: AUDIT_KEY, synchronous: 'NORMAL' });
    try {
      await db.store.addDevice(sampleDevice('truck-0001'), sampleKey('truck-0001'));
      // Batches committed back to back on the thread while the outbox is claimed and recorded
      // (read-then-write transactions) on the main connection, interleaved on the event loop.
      let writing = true;
      const ingest = (async () => {
        let seq = 1;
        for (let b = 0; b < 200 && writing; b++, seq += 500)
          await db.store.writeBatch(batchOf('truck-0001', seq, 500));
      })();
      const n = db.notifications;
      const message = { subject: 's', text: 't', short: 's', link: '', data: {} };
      for (let i = 0; i < 40; i++) {
        const [row] = await n.enqueue(
          [
            {
              alarmId: `a-${i}`,
              event: 'raised',
              channel: 'email',
              contactId: null,
              recipient: 'quinn@example.org',
              target: {},
              message,
              escalationLevel: 0,
              level: 'regulatory',
            },
          ],
          1000 + i,
        );
        const [claimed] = await n.claimDue(1000 + i, 1, 10_000 + i);
        assert.equal(claimed?.id, row?.id);
        await new Promise((r) => setImmediate(r));
        const done = await n.recordAttempt(
          claimed?.id ?? -1,
          { at: 1001 + i, ok: true, response: '250 OK', durationMs: 1 },
          { state: 'sent' },
        );
        assert.equal(done.state, 'sent');
      }
      writing = false;
      await ingest;
      const rows = await n.listOutbox({ limit: 100 });
      assert.deepEqual(new Set(rows.map((r) => r.state)), new Set(['sent']));
      assert.equal(rows.length, 40);
    } finally {
      await db.store.close();
    }
  });

  it('fails the batch in flight when the thread dies, keeps every batch it acknowledged, and starts a new thread for the next', async () => {
    const path = join(root, `db-${++n}.sqlite`);
    const key = randomBytes(32);
    const main = SqliteStore.open({ path, key, auditKey: AUDIT_KEY });
    await main.migrate();
    await main.addDevice(sampleDevice('truck-0001'), sampleKey('truck-0001'));
    const thread = await SqliteIngestThread.start({ path, key, auditKey: AUDIT_KEY, synchronous: 'FULL' });
    try {
      for (let b = 0; b < 5; b++) await thread.writeBatch(batchOf('truck-0001', 1 + b * 100, 100));
      // A large batch, and the thread killed while it is on its way or inside its transaction.
      const inFlight = thread.writeBatch(batchOf('truck-0001', 1000, 30_000));
      await new Promise((r) => setImmediate(r));
      await thread.abort();
      await assert.rejects(inFlight, (e: unknown) => isVigilError(e, 'VIGIL_ERR_STORE'));
      const after = await main.countReadings('truck-0001');
      assert.ok(
        after === 500 || after === 30_500,
        `all acknowledged rows, and the failed batch whole or not at all: ${after}`,
      );
      assert.equal((await main.getReplayState('truck-0001'))?.highest, after === 500 ? 500 : 30_999);
      // The next write starts a new thread; a redelivery of the failed batch is idempotent.
      const again = await thread.writeBatch(batchOf('truck-0001', 1000, 30_000));
      assert.equal(again.readingsInserted, 30_500 - after);
      assert.equal(await main.countReadings('truck-0001'), 30_500);
    } finally {
      await thread.close();
      await main.close();
    }
  });

  it('close() settles when nothing else keeps the process alive (the code after it runs)', async () => {
    const { store, path, key } = await openThreaded();
    await store.close();
    const child = join(root, 'close-last.mjs');
    const storeUrl = pathToFileURL(join(import.meta.dirname, 'sqlite-store.ts')).href;
    writeFileSync(
      child,
      `import { SqliteStore } from ${JSON.stringify(storeUrl)};
const opts = { path: process.env.DB_PATH, key: Buffer.from(process.env.DB_KEY_HEX, 'hex'), auditKey: Buffer.from(process.env.DB_AUDIT_KEY_HEX, 'hex') };
const store = SqliteStore.open(opts);
await store.startIngestThread(opts);
await store.writeBatch({ readings: [], messages: [], replayStates: [], lastSeen: [] });
await store.close();
process.stdout.write('closed');
`,
    );
    const { stdout } = await promisify(execFile)(process.execPath, [child], {
      env: {
        ...process.env,
        DB_PATH: path,
        DB_KEY_HEX: key.toString('hex'),
        DB_AUDIT_KEY_HEX: AUDIT_KEY.toString('hex'),
      },
      timeout: 60_000,
    });
    assert.equal(stdout, 'closed');
  });

  it('refuses to start on a database it cannot open with the key given', async () => {
    const { store, path } = await openThreaded();
    await store.close();
    await assert.rejects(
      SqliteIngestThread.start({ path, key: randomBytes(32), auditKey: AUDIT_KEY, synchronous: 'FULL' }),
      (e: unknown) => isVigilError(e),
    );
  });
});
