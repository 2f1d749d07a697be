import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import Database from 'better-sqlite3-multiple-ciphers';
import { isVigilError } from '../../errors.ts';
import { auditHash } from '../audit-chain.ts';
import type { MessageRecord, ReadingRecord } from '../store.ts';
import { runStoreContract } from '../store-contract.ts';
import {
  sampleBatch,
  sampleDevice,
  sampleKey,
  sampleMessage,
  sampleReading,
} from '../store-records.fixture.ts';
import { SQLITE_MIGRATIONS } from './sqlite-migrations.ts';
import { SqliteStore } from './sqlite-store.ts';

/** The audit chain's key, the same for every store of this file (as one master key would give). */
const AUDIT_KEY = randomBytes(32);
const root = mkdtempSync(join(tmpdir(), 'vigil-sqlite-'));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const freshPath = (): string => join(root, `db-${++n}.sqlite`);

async function openFresh(path = freshPath(), key = randomBytes(32)) {
  const store = SqliteStore.open({ path, key, auditKey: AUDIT_KEY });
  await store.migrate();
  return { store, path, key };
}

/** A raw driver connection with the same cipher settings: what a tamperer holding the key has. */
function openRaw(path: string, key: Buffer): Database.Database {
  const db = new Database(path);
  db.pragma(`cipher='sqlcipher'`);
  db.pragma('legacy=4');
  db.pragma(`key="x'${key.toString('hex')}'"`);
  return db;
}

const brokenAt = (r: { ok: boolean; entries: number; firstBroken: number | null }) => [
  r.ok,
  r.entries,
  r.firstBroken,
];

runStoreContract({
  name: 'SqliteStore',
  make: async () => {
    const { store } = await openFresh();
    return { store, cleanup: () => store.close() };
  },
});

describe('SqliteStore', () => {
  it('keeps nothing in plaintext on disk, in the database file or its WAL', async () => {
    const { store, path } = await openFresh();
    const id = 'plaintext-canary-0042';
    await store.addDevice(sampleDevice(id), sampleKey(id));
    await store.writeBatch(
      sampleBatch({ readings: [sampleReading(id, 1)], messages: [sampleMessage(id, 2)] }),
    );
    await store.appendAudit({ ts: 1, actor: 'cli', action: 'device.add', object: id, detail: { note: id } });
    const check = (file: string): void => {
      const bytes = readFileSync(file);
      assert.ok(bytes.length > 0, `${file} is empty`);
      assert.equal(bytes.includes(id), false, `${file} contains the device id`);
      assert.equal(bytes.includes('CREATE TABLE'), false, `${file} contains the schema`);
      assert.equal(bytes.includes('vaccine-transport'), false, `${file} contains a profile name`);
    };
    assert.ok(existsSync(`${path}-wal`), 'WAL mode keeps a -wal file while open');
    check(`${path}-wal`);
    await store.close();
    check(path);
    assert.notEqual(readFileSync(path).subarray(0, 16).toString('latin1'), 'SQLite format 3\u0000');
  });

  it('creates the database file readable by its owner only', {
    skip: process.platform === 'win32',
  }, async () => {
    const { store, path } = await openFresh();
    await store.close();
    assert.equal(statSync(path).mode & 0o777, 0o600);
  });

  it('refuses a wrong key with VIGIL_ERR_MASTER_KEY', async () => {
    const { store, path } = await openFresh();
    await store.addDevice(sampleDevice('truck-0001'), sampleKey('truck-0001'));
    await store.close();
    assert.throws(
      () => SqliteStore.open({ path, key: randomBytes(32), auditKey: AUDIT_KEY }),
      (err: unknown) => isVigilError(err, 'VIGIL_ERR_MASTER_KEY') && /this master key/.test(err.message),
    );
    assert.throws(
      () => SqliteStore.open({ path, key: randomBytes(16), auditKey: AUDIT_KEY }),
      (err: unknown) => isVigilError(err, 'VIGIL_ERR_MASTER_KEY'),
    );
  });

  it('refuses a plaintext (unencrypted) database with VIGIL_ERR_MASTER_KEY', () => {
    const path = freshPath();
    const plain = new Database(path);
    plain.exec('CREATE TABLE t (x); INSERT INTO t VALUES (1)');
    plain.close();
    assert.throws(
      () => SqliteStore.open({ path, key: randomBytes(32), auditKey: AUDIT_KEY }),
      (err: unknown) => isVigilError(err, 'VIGIL_ERR_MASTER_KEY'),
    );
  });

  it('runs in WAL mode with synchronous FULL, foreign keys and a 5 s busy timeout, SQLCipher format', async () => {
    const { store, path, key } = await openFresh();
    assert.deepEqual(store.database.settings(), {
      journalMode: 'wal',
      synchronous: 'FULL',
      foreignKeys: true,
      busyTimeoutMs: 5000,
      cipher: 'sqlcipher',
    });
    await store.close();
    const normal = SqliteStore.open({ path, key, auditKey: AUDIT_KEY, synchronous: 'NORMAL' });
    assert.equal(normal.database.settings().synchronous, 'NORMAL');
    await normal.close();
  });

  it('records applied migrations and refuses a schema newer than it knows', async () => {
    const { store, path, key } = await openFresh();
    assert.equal(store.database.schemaVersion(), SQLITE_MIGRATIONS.at(-1)?.version);
    await store.close();
    const future = SqliteStore.open({
      path,
      key,
      auditKey: AUDIT_KEY,
      migrations: [
        ...SQLITE_MIGRATIONS,
        { version: 999, name: 'future', sql: 'CREATE TABLE future (x INTEGER) STRICT;' },
      ],
    });
    await future.migrate();
    assert.equal(future.database.schemaVersion(), 999);
    await future.close();
    const old = SqliteStore.open({ path, key, auditKey: AUDIT_KEY });
    await assert.rejects(old.migrate(), (err: unknown) => isVigilError(err, 'VIGIL_ERR_SCHEMA_VERSION'));
    await old.close();
  });

  it('opens read-only: reads work, writes fail with VIGIL_ERR_STORE', async () => {
    const { store, path, key } = await openFresh();
    await store.addDevice(sampleDevice('truck-0001'), sampleKey('truck-0001'));
    const ro = SqliteStore.open({ path, key, auditKey: AUDIT_KEY, readonly: true });
    try {
      assert.equal((await ro.getDevice('truck-0001'))?.id, 'truck-0001');
      await ro.migrate(); // up to date: nothing to do, no write attempted
      await assert.rejects(ro.setMeta('k', 'v'), (err: unknown) => isVigilError(err, 'VIGIL_ERR_STORE'));
    } finally {
      await ro.close();
      await store.close();
    }
  });

  it('rejects a batch with an invalid row instead of silently dropping it', async () => {
    const { store } = await openFresh();
    await store.addDevice(sampleDevice('truck-0001'), sampleKey('truck-0001'));
    const bad = { ...sampleMessage('truck-0001', 2), channel: 'telemetry' } as unknown as MessageRecord;
    await assert.rejects(
      store.writeBatch(sampleBatch({ readings: [sampleReading('truck-0001', 1)], messages: [bad] })),
      (err: unknown) => isVigilError(err, 'VIGIL_ERR_STORE'),
    );
    const fractional = sampleReading('truck-0001', 3, 0, { ts: 1.5 });
    await assert.rejects(store.writeBatch(sampleBatch({ readings: [fractional] })));
    assert.equal(await store.countReadings(), 0);
    await store.close();
  });

  it('refuses UPDATE and DELETE of audit rows, and an insert that does not extend the chain', async () => {
    const { store, path, key } = await openFresh();
    await store.appendAudit({ ts: 1, actor: 'cli', action: 'device.add', object: 'a', detail: {} });
    const raw = openRaw(path, key);
    try {
      assert.throws(
        () => raw.prepare(`UPDATE audit SET detail = '{"x":1}' WHERE id = 1`).run(),
        /append-only/,
      );
      assert.throws(() => raw.prepare('DELETE FROM audit WHERE id = 1').run(), /append-only/);
      assert.throws(
        () =>
          raw
            .prepare(
              `INSERT INTO audit (id, ts, actor, action, object, detail, prev_hash, hash)
               VALUES (2, 2, 'x', 'y', NULL, '{}', ?, ?)`,
            )
            .run('f'.repeat(64), 'e'.repeat(64)),
        /does not extend the chain/,
      );
    } finally {
      raw.close();
    }
    assert.deepEqual(await store.verifyAudit(), {
      ok: true,
      entries: 1,
      firstBroken: null,
      head: { id: 1, hash: (await store.queryAudit({}))[0]?.hash ?? '' },
    });
    await store.close();
  });

  it('names the first broken audit entry after tampering by someone holding the key', async () => {
    const { store, path, key } = await openFresh();
    for (let i = 1; i <= 6; i++) {
      await store.appendAudit({ ts: i, actor: 'cli', action: 'device.add', object: `d${i}`, detail: { i } });
    }
    const raw = openRaw(path, key);
    raw.exec('DROP TRIGGER audit_no_update; DROP TRIGGER audit_no_delete;');
    // 1. edit entry 4's detail: its own hash no longer recomputes
    raw.prepare(`UPDATE audit SET detail = '{"i":40}' WHERE id = 4`).run();
    assert.deepEqual(brokenAt(await store.verifyAudit()), [false, 6, 4]);
    // 2. edit entry 2 and fix its hash: now entry 3's link is wrong (and 2 < 4 is reported)
    const e2 = (await store.queryAudit({})).find((e) => e.id === 2)!;
    const forged = auditHash(AUDIT_KEY, e2.prevHash, { ...e2, detail: { i: 20 } });
    raw.prepare(`UPDATE audit SET detail = '{"i":20}', hash = ? WHERE id = 2`).run(forged);
    assert.deepEqual(brokenAt(await store.verifyAudit()), [false, 6, 3]);
    // 3. a detail that is not JSON any more still reports, not throws
    raw.prepare(`UPDATE audit SET detail = 'garbage' WHERE id = 1`).run();
    assert.deepEqual(brokenAt(await store.verifyAudit()), [false, 6, 1]);
    raw.close();
    await store.close();
  });

  it('detects a deleted audit entry at the entry after it', async () => {
    const { store, path, key } = await openFresh();
    for (let i = 1; i <= 4; i++) {
      await store.appendAudit({ ts: i, actor: 'cli', action: 'x', object: null, detail: { i } });
    }
    const raw = openRaw(path, key);
    raw.exec('DROP TRIGGER audit_no_delete; DELETE FROM audit WHERE id = 2;');
    raw.close();
    assert.deepEqual(brokenAt(await store.verifyAudit()), [false, 3, 3]);
    await store.close();
  });

  it('lets a second connection see the writes of the first; a registry change by either changes changeToken, ingest does not', async () => {
    const { store: a, path, key } = await openFresh();
    const b = SqliteStore.open({ path, key, auditKey: AUDIT_KEY });
    try {
      await b.migrate();
      const before = await b.changeToken();
      await a.addDevice(sampleDevice('truck-0001'), sampleKey('truck-0001'));
      const afterA = await b.changeToken();
      assert.notEqual(afterA, before, 'a device added through A is seen by B');
      await a.writeBatch(sampleBatch({ readings: [sampleReading('truck-0001', 1)] }));
      assert.equal((await b.getDevice('truck-0001'))?.id, 'truck-0001');
      assert.equal(await b.countReadings(), 1);
      assert.equal(
        await b.changeToken(),
        afterA,
        'ingest (another connection: the ingest thread) is no registry change',
      );
      await b.setMeta('k', 'v');
      assert.equal(await a.changeToken(), afterA);
      assert.equal(await a.getMeta('k'), 'v');
      for (const change of [
        () => b.setDeviceStatus('truck-0001', 'disabled', 2),
        () => b.addDeviceKey(sampleKey('truck-0001', 2)),
        () => b.setDeviceKeyStatus('truck-0001', 2, 'retired'),
      ]) {
        const was = await a.changeToken();
        await change();
        assert.notEqual(await a.changeToken(), was);
      }
    } finally {
      await b.close();
      await a.close();
    }
  });

  it('keeps every batch reported as committed after the writer is killed with SIGKILL', async (t) => {
    const { store, path, key } = await openFresh();
    await store.addDevice(sampleDevice('crash-0001'), sampleKey('crash-0001'));
    await store.close();
    const BATCH = 200;
    const KILL_AFTER = 25;
    const child = join(root, 'crash-writer.mjs');
    const storeUrl = pathToFileURL(join(import.meta.dirname, 'sqlite-store.ts')).href;
    writeFileSync(
      child,
      `import { SqliteStore } from ${JSON.stringify(storeUrl)};
const store = SqliteStore.open({ path: process.env.DB_PATH, key: Buffer.from(process.env.DB_KEY_HEX, 'hex'), auditKey: Buffer.from(process.env.DB_AUDIT_KEY_HEX, 'hex') });
for (let b = 1; b <= 20000; b++) {
  const readings = [];
  for (let i = 0; i < ${BATCH}; i++) {
    readings.push({ deviceId: 'crash-0001', seq: b, idx: i, ts: b * 1000 + i, receivedAt: b * 1000,
      backfill: false, data: { batch: b, i, temp_c: 4.2 } });
  }
  await store.writeBatch({ readings, messages: [{ deviceId: 'crash-0001', seq: b, channel: 'events', ts: b * 1000,
      receivedAt: b * 1000, body: { type: 'door', batch: b } }],
    replayStates: [{ deviceId: 'crash-0001', highest: b, bitmap: Buffer.alloc(8, 1), nonces: Buffer.alloc(16), updatedAt: b }],
    lastSeen: [{ deviceId: 'crash-0001', at: b }] });
  await store.appendAudit({ ts: b, actor: 'system', action: 'test.batch', object: 'crash-0001', detail: { b } });
  process.stdout.write('committed ' + b + '\\n');
}
`,
    );
    const proc = spawn(process.execPath, [child], {
      env: {
        ...process.env,
        DB_PATH: path,
        DB_KEY_HEX: key.toString('hex'),
        DB_AUDIT_KEY_HEX: AUDIT_KEY.toString('hex'),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const printed: number[] = [];
    let stderr = '';
    let buf = '';
    proc.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      proc.on('exit', (code, signal) => resolve({ code, signal })),
    );
    const timer = setTimeout(() => proc.kill('SIGKILL'), 60_000);
    proc.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      const lines = buf.split('\n');
      buf = lines.pop() ?? '';
      for (const line of lines) {
        const m = /^committed (\d+)$/.exec(line);
        if (m) printed.push(Number(m[1]));
      }
      if (printed.length >= KILL_AFTER && proc.exitCode === null) proc.kill('SIGKILL');
    });
    const { signal } = await exited;
    clearTimeout(timer);
    assert.equal(signal, 'SIGKILL', `writer ended on its own: ${stderr}`);
    assert.ok(printed.length >= KILL_AFTER, `only ${printed.length} batches printed: ${stderr}`);

    const re = SqliteStore.open({ path, key, auditKey: AUDIT_KEY });
    try {
      for (const b of printed) {
        const rows: ReadingRecord[] = await re.queryReadings({
          deviceId: 'crash-0001',
          since: b * 1000,
          until: b * 1000 + 1000,
          limit: 10_000,
        });
        assert.equal(rows.length, BATCH, `batch ${b} has ${rows.length} readings`);
        assert.deepEqual(
          rows.map((r) => r.idx),
          Array.from({ length: BATCH }, (_, i) => i),
        );
        assert.ok(rows.every((r) => r.seq === b && r.data['batch'] === b));
      }
      // atomicity: whatever else landed (a batch committed but not yet printed) is whole
      const total = await re.countReadings('crash-0001');
      assert.equal(total % BATCH, 0, `a partial batch is visible: ${total} readings`);
      const batches = total / BATCH;
      assert.ok(batches >= printed.length);
      assert.equal((await re.queryMessages({ deviceId: 'crash-0001', limit: 100_000 })).length, batches);
      assert.equal((await re.getReplayState('crash-0001'))?.highest, batches);
      assert.equal((await re.getDevice('crash-0001'))?.lastSeenAt, batches);
      const audit = await re.verifyAudit();
      assert.equal(audit.ok, true);
      assert.ok(audit.entries >= printed.length);
      t.diagnostic(`killed after ${printed.length} printed batches; ${batches} batches on disk`);
    } finally {
      await re.close();
    }
  });

  it('stores 200-reading batches from 20 interleaved devices in full, with synchronous FULL', async (t) => {
    const { store } = await openFresh();
    const devices = Array.from({ length: 20 }, (_, i) => `perf-${String(i).padStart(4, '0')}`);
    for (const id of devices) await store.addDevice(sampleDevice(id), sampleKey(id));
    const BATCHES = 250;
    const PER = 200;
    const batches = Array.from({ length: BATCHES }, (_, b) => {
      const readings: ReadingRecord[] = [];
      for (let i = 0; i < PER; i++) {
        const dev = devices[i % devices.length]!;
        const seq = b * 100 + Math.floor(i / devices.length);
        readings.push({
          deviceId: dev,
          seq,
          idx: 0,
          ts: 1_795_305_600_000 + seq * 1000,
          receivedAt: 1_795_305_600_000 + seq * 1000 + 50,
          backfill: false,
          data: { temp_c: 4.6, rh_pct: 51.2, lat: 52.37, lon: 4.89, bat_pct: 88, power: 'mains' },
        });
      }
      return sampleBatch({
        readings,
        replayStates: devices.map((d) => ({
          deviceId: d,
          highest: b * 100 + 9,
          bitmap: Buffer.alloc(8, 0xff),
          nonces: Buffer.alloc(10 * 8),
          updatedAt: b,
        })),
        lastSeen: devices.map((d) => ({ deviceId: d, at: b })),
      });
    });
    const start = process.hrtime.bigint();
    let inserted = 0;
    for (const batch of batches) inserted += (await store.writeBatch(batch)).readingsInserted;
    const secs = Number(process.hrtime.bigint() - start) / 1e9;
    await store.close();
    assert.equal(inserted, BATCHES * PER);
    const rate = inserted / secs;
    t.diagnostic(`${inserted} readings in ${secs.toFixed(3)} s = ${Math.round(rate)} readings/s`);
    // Speed is measured by `npm run bench` (W5); here only correctness of a large run is asserted.
  });
});
