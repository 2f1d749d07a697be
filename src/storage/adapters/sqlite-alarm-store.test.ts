import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3-multiple-ciphers';
import type { OpenAlarmInput } from '../../alarms/alarm-store.ts';
import { runAlarmStoreContract, sampleAlarmInput } from '../../alarms/alarm-store-contract.ts';
import { observeAlarmStore } from '../../alarms/observed-alarm-store.ts';
import { freshSqlite } from './sqlite.fixture.ts';
import { openSqliteAdapters, type SqliteAdapters } from './sqlite-adapters.ts';

const root = mkdtempSync(join(tmpdir(), 'vigil-alarms-'));
const path = join(root, 'a.sqlite');
const key = randomBytes(32);
let db: SqliteAdapters;

before(() => {
  db = openSqliteAdapters({ path, key, auditKey: randomBytes(32) });
});
after(async () => {
  await db.store.close();
  rmSync(root, { recursive: true, force: true });
});

const T = 1_795_305_600_000;
const heat = (over: Partial<OpenAlarmInput> = {}) => sampleAlarmInput(T, over);

const fresh = freshSqlite('alarm-contract');
runAlarmStoreContract({
  name: 'SqliteAlarmStore',
  make: async () => {
    const own = fresh();
    return { alarms: own.alarms, cleanup: () => own.store.close() };
  },
});

describe('SqliteAlarmStore', () => {
  it('enforces the one-active rule in the schema too (partial unique index)', async () => {
    await db.alarms.open(heat(), T);
    const raw = new Database(path);
    try {
      raw.pragma(`cipher='sqlcipher'`);
      raw.pragma('legacy=4');
      raw.pragma(`key="x'${key.toString('hex')}'"`);
      const insert = (id: string, state: string, resolvedAt: number | null) =>
        raw
          .prepare(
            `INSERT INTO alarms (id, rule, subject, kind, state, started_at, raised_at, detected_at, resolved_at,
               detected_late, severity, message, detail, updated_at)
             VALUES (?, 'heat', 'truck-0001', 'rule', ?, 0, 0, 0, ?, 0, 'info', 'm', '{}', 0)`,
          )
          .run(id, state, resolvedAt);
      assert.throws(() => insert('second-active', 'open', null), /UNIQUE/);
      assert.throws(() => insert('half-resolved', 'resolved', null), /CHECK/);
      insert('old-resolved', 'resolved', 5); // resolved rows do not count
      raw.prepare('DELETE FROM alarms WHERE id = ?').run('old-resolved');
    } finally {
      raw.close();
    }
  });

  it('reports every change to an observer, after it is stored', async () => {
    const seen: string[] = [];
    const alarms = observeAlarmStore(db.alarms, (a) => seen.push(`${a.subject}:${a.state}`));
    const { alarm } = await alarms.open(heat({ subject: 'truck-0077' }), T);
    await alarms.update(alarm.id, { peak: 10 }, T);
    await alarms.acknowledge(alarm.id, { by: 'user:q', at: T, reason: 'r', meaning: 'review' });
    await alarms.resolve(alarm.id, T + 1, T + 1);
    await alarms.correct(alarm.id, { peak: 11 }, T + 2);
    await alarms.disprove(alarm.id, { at: T + 3, reason: 'r' }, T + 3, T + 3);
    assert.deepEqual(seen, [
      'truck-0077:open',
      'truck-0077:open',
      'truck-0077:acknowledged',
      'truck-0077:resolved',
      'truck-0077:resolved',
      'truck-0077:resolved',
    ]);
  });
});
