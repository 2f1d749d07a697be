import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { sampleDevice, sampleKey } from '../store-records.fixture.ts';
import { openSqliteAdapters } from './sqlite-adapters.ts';
import { SqliteDatabase } from './sqlite-database.ts';
import { SEALED_COLUMNS, SqliteSnapshots } from './sqlite-snapshots.ts';

describe('SQLite snapshots (the backup port)', () => {
  it('copies consistently while a writer commits, re-keys and re-seals every sealed column, and knows every *_enc column', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-snap-'));
    try {
      const key = randomBytes(32);
      const live = openSqliteAdapters({ path: join(dir, 'live.db'), key });
      const device = sampleDevice('dev-snap-1');
      const dk = sampleKey('dev-snap-1');
      await live.store.addDevice(device, dk);
      await live.store.appendAudit({ ts: 1, actor: 't', action: 'a', object: null, detail: {} });
      const snaps = new SqliteSnapshots({ path: join(dir, 'live.db'), key });
      const writing = live.store.appendAudit({ ts: 2, actor: 't', action: 'b', object: null, detail: {} });
      const facts = await snaps.snapshot(join(dir, 'copy.db'));
      await writing;
      assert.equal(facts.rowCounts.devices, 1);
      assert.ok(facts.rowCounts.audit === 1 || facts.rowCounts.audit === 2);
      const check = await snaps.check(join(dir, 'copy.db'), key);
      assert.deepEqual(check.integrity, ['ok']);
      assert.equal(check.audit.ok, true);
      const next = randomBytes(32);
      const seen: string[] = [];
      const r = await snaps.rekey(join(dir, 'copy.db'), key, next, (purpose, b) => {
        seen.push(purpose);
        return Buffer.concat([b, Buffer.from([1])]);
      });
      assert.equal(r.resealed, 1);
      assert.deepEqual(seen, ['device-secret']);
      assert.throws(() => SqliteDatabase.open({ path: join(dir, 'copy.db'), key }));
      const reopened = openSqliteAdapters({ path: join(dir, 'copy.db'), key: next });
      const k = await reopened.store.getDeviceKey('dev-snap-1', 1);
      assert.equal(k?.secretEnc.length, dk.secretEnc.length + 1);
      // Every sealed column of the schema is in SEALED_COLUMNS, or a restore would leave it
      // sealed under the old master key.
      const cols = reopened.database
        .scope('t')
        .all<{ t: string; c: string }>(
          `SELECT m.name AS t, p.name AS c FROM sqlite_master m, pragma_table_info(m.name) p WHERE m.type = 'table' AND p.name LIKE '%\\_enc' ESCAPE '\\'`,
        );
      for (const { t, c } of cols) {
        assert.ok(
          SEALED_COLUMNS.some((s) => s.table === t && s.column === c),
          `${t}.${c} is not re-sealed at restore`,
        );
      }
      await reopened.store.close();
      await live.store.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
