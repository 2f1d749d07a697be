import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3-multiple-ciphers';
import type { OpenAlarmInput } from '../../alarms/alarm-store.ts';
import { observeAlarmStore } from '../../alarms/observed-alarm-store.ts';
import { isVigilError } from '../../errors.ts';
import { SqliteStore } from './sqlite-store.ts';

const root = mkdtempSync(join(tmpdir(), 'vigil-alarms-'));
const path = join(root, 'a.sqlite');
const key = randomBytes(32);
let store: SqliteStore;

before(async () => {
  store = SqliteStore.open({ path, key });
  await store.migrate();
});
after(async () => {
  await store.close();
  rmSync(root, { recursive: true, force: true });
});

const T = 1_795_305_600_000;
const heat = (over: Partial<OpenAlarmInput> = {}): OpenAlarmInput => ({
  rule: 'heat',
  subject: 'truck-0001',
  startedAt: T,
  raisedAt: T + 60_000,
  severity: 'warning',
  message: 'above 8 °C',
  peak: 8.4,
  unit: 'C',
  ...over,
});

describe('SqliteAlarmStore', () => {
  it('opens one active alarm per rule and subject; opening again updates it', async () => {
    const alarms = store.alarms();
    const a = await alarms.open(heat(), T + 61_000);
    assert.equal(a.created, true);
    assert.equal(a.alarm.id, `truck-0001/heat/${T + 60_000}`);
    assert.equal(a.alarm.state, 'open');
    assert.equal(a.alarm.detectedAt, T + 61_000);
    const b = await alarms.open(
      heat({ raisedAt: T + 120_000, peak: 9.1, severity: 'critical' }),
      T + 130_000,
    );
    assert.equal(b.created, false);
    assert.equal(b.alarm.id, a.alarm.id, 'the active one, not a second alarm');
    assert.deepEqual([b.alarm.peak, b.alarm.severity, b.alarm.raisedAt], [9.1, 'critical', T + 60_000]);
    const other = await alarms.open(heat({ subject: 'truck-0002' }), T);
    assert.equal(other.created, true);
    assert.equal((await alarms.list({ state: 'active' })).length, 2);
  });

  it('enforces the one-active rule in the schema too (partial unique index)', () => {
    const db = new Database(path);
    try {
      db.pragma(`cipher='sqlcipher'`);
      db.pragma('legacy=4');
      db.pragma(`key="x'${key.toString('hex')}'"`);
      const insert = (id: string, state: string, resolvedAt: number | null) =>
        db
          .prepare(
            `INSERT INTO alarms (id, rule, subject, kind, state, started_at, raised_at, detected_at, resolved_at,
               detected_late, severity, message, detail, updated_at)
             VALUES (?, 'heat', 'truck-0001', 'rule', ?, 0, 0, 0, ?, 0, 'info', 'm', '{}', 0)`,
          )
          .run(id, state, resolvedAt);
      assert.throws(() => insert('second-active', 'open', null), /UNIQUE/);
      assert.throws(() => insert('half-resolved', 'resolved', null), /CHECK/);
      insert('old-resolved', 'resolved', 5); // resolved rows do not count
      db.prepare('DELETE FROM alarms WHERE id = ?').run('old-resolved');
    } finally {
      db.close();
    }
  });

  it('acknowledges once, keeps the acknowledgement through resolve, and lists by state', async () => {
    const alarms = store.alarms();
    const id = `truck-0001/heat/${T + 60_000}`;
    const ack = { by: 'user:quinn', at: T + 200_000, reason: 'moved to backup fridge', meaning: 'review' };
    const acked = await alarms.acknowledge(id, ack);
    assert.equal(acked.state, 'acknowledged');
    assert.deepEqual(acked.ack, ack);
    await assert.rejects(alarms.acknowledge(id, ack), (e) =>
      isVigilError(e, 'VIGIL_ERR_ALREADY_ACKNOWLEDGED'),
    );
    await assert.rejects(alarms.acknowledge('nope', ack), (e) => isVigilError(e, 'VIGIL_ERR_NOT_FOUND'));
    // Still active: a new open() of the same rule updates it rather than duplicating.
    assert.equal((await alarms.open(heat({ peak: 9.5 }), T + 210_000)).alarm.id, id);
    const resolved = await alarms.resolve(id, T + 300_000, T + 301_000, { peak: 9.6 });
    assert.equal(resolved?.state, 'resolved');
    assert.equal(resolved?.resolvedAt, T + 300_000);
    assert.deepEqual(resolved?.ack, ack);
    assert.equal(resolved?.peak, 9.6);
    assert.equal(await alarms.resolve(id, T, T), null, 'resolving twice is a no-op');
    assert.equal(await alarms.update(id, { peak: 1 }, T), null);
    // After it resolved, the same rule can open a new alarm for the subject.
    const again = await alarms.open(heat({ raisedAt: T + 400_000 }), T + 400_000);
    assert.equal(again.created, true);
    assert.notEqual(again.alarm.id, id);
    assert.deepEqual(
      (await alarms.list({ subject: 'truck-0001' })).map((a) => a.state),
      ['open', 'resolved'],
    );
    assert.equal((await alarms.list({ state: 'resolved' })).length, 1);
    assert.equal((await alarms.list({ limit: 1 })).length, 1);
  });

  it('acknowledges a resolved alarm without reopening it', async () => {
    const alarms = store.alarms();
    const { alarm } = await alarms.open(heat({ subject: 'probe-0009', rule: 'freeze' }), T);
    await alarms.resolve(alarm.id, T + 1000, T + 1000);
    const acked = await alarms.acknowledge(alarm.id, {
      by: 'user:q',
      at: T + 2000,
      reason: 'ok',
      meaning: 'review',
    });
    assert.equal(acked.state, 'resolved');
    assert.equal(acked.ack?.by, 'user:q');
  });

  it('corrects the facts of a resolved alarm without re-opening it, and says what changed', async () => {
    const alarms = store.alarms();
    const { alarm } = await alarms.open(heat({ subject: 'truck-0101' }), T);
    assert.equal(await alarms.correct(alarm.id, { peak: 12 }, T), null, 'an active alarm is updated instead');
    await alarms.acknowledge(alarm.id, { by: 'user:q', at: T + 10, reason: 'seen', meaning: 'review' });
    await alarms.resolve(alarm.id, T + 500_000, T + 500_000);
    const r = await alarms.correct(
      alarm.id,
      { peak: 12, resolvedAt: T + 700_000, message: 'above 8 °C, peak 12' },
      T + 900_000,
    );
    assert.ok(r);
    assert.deepEqual([r.before.peak, r.before.resolvedAt], [8.4, T + 500_000]);
    assert.deepEqual(
      [r.after.state, r.after.peak, r.after.resolvedAt, r.after.message, r.after.updatedAt, r.after.ack?.by],
      ['resolved', 12, T + 700_000, 'above 8 °C, peak 12', T + 900_000, 'user:q'],
    );
    assert.equal(await alarms.correct('nope', { peak: 1 }, T), null);
  });

  it('marks an alarm disproved, resolving an active one, keeping its facts and refusing it twice', async () => {
    const alarms = store.alarms();
    const { alarm } = await alarms.open(heat({ subject: 'truck-0102' }), T);
    const d = await alarms.disprove(
      alarm.id,
      { at: T + 9000, reason: 'back in range at 10:05' },
      T + 5000,
      T + 9000,
    );
    assert.deepEqual(
      [d?.state, d?.resolvedAt, d?.peak, d?.message, d?.disproved],
      ['resolved', T + 5000, 8.4, 'above 8 °C', { at: T + 9000, reason: 'back in range at 10:05' }],
    );
    assert.equal(await alarms.disprove(alarm.id, { at: T, reason: 'x' }, T, T), null);
    assert.equal(await alarms.correct(alarm.id, { peak: 1 }, T), null, 'a disproved alarm keeps its facts');
    // a resolved alarm keeps its resolution time
    const other = await alarms.open(heat({ subject: 'truck-0103' }), T);
    await alarms.resolve(other.alarm.id, T + 100, T + 100);
    const d2 = await alarms.disprove(other.alarm.id, { at: T + 200, reason: 'r' }, T + 999, T + 200);
    assert.equal(d2?.resolvedAt, T + 100);
    assert.equal((await alarms.get(other.alarm.id))?.disproved?.reason, 'r');
    assert.equal((await alarms.open(heat({ subject: 'truck-0104' }), T)).alarm.disproved, null);
  });

  it('reports every change to an observer, after it is stored', async () => {
    const seen: string[] = [];
    const alarms = observeAlarmStore(store.alarms(), (a) => seen.push(`${a.subject}:${a.state}`));
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
