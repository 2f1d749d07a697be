import assert from 'node:assert/strict';
import { describe } from 'node:test';
import { type ContractOptions, contractTest, rejectsWith } from '../storage/contract.fixture.ts';
import type { AlarmAck, AlarmStore, OpenAlarmInput } from './alarm-store.ts';

/** A fresh, migrated, empty alarm store and a way to dispose of it. */
export interface AlarmStoreFixture {
  alarms: AlarmStore;
  cleanup: () => Promise<void>;
}

const T = 1_795_305_600_000;

/** A heat alarm on truck-0001 that started at `t` and was raised a minute later. */
export function sampleAlarmInput(t: number, over: Partial<OpenAlarmInput> = {}): OpenAlarmInput {
  return {
    rule: 'heat',
    subject: 'truck-0001',
    startedAt: t,
    raisedAt: t + 60_000,
    severity: 'warning',
    message: 'above 8 °C',
    peak: 8.4,
    unit: 'C',
    ...over,
  };
}

const heat = (over: Partial<OpenAlarmInput> = {}) => sampleAlarmInput(T, over);

const ack = (over: Partial<AlarmAck> = {}): AlarmAck => ({
  by: 'user:quinn',
  at: T + 200_000,
  reason: 'moved to backup fridge',
  meaning: 'review',
  ...over,
});

/**
 * The behaviour every `AlarmStore` adapter must show (see `runStoreContract` for the options):
 * one active alarm per (rule, subject), idempotent writes, final acknowledgements, corrections of
 * resolved alarms, disproval, filters.
 */
export function runAlarmStoreContract(o: ContractOptions<AlarmStoreFixture>): void {
  const test = contractTest(o);
  describe(`AlarmStore contract: ${o.name}`, () => {
    test('opens one active alarm per rule and subject; opening again updates it', async ({ alarms }) => {
      const a = await alarms.open(heat(), T + 61_000);
      assert.equal(a.created, true);
      assert.equal(a.alarm.id, `truck-0001/heat/${T + 60_000}`);
      assert.equal(a.alarm.state, 'open');
      assert.equal(a.alarm.detectedAt, T + 61_000);
      assert.equal(a.alarm.kind, 'rule');
      assert.equal(a.alarm.detectedLate, false);
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
      assert.deepEqual(await alarms.get(a.alarm.id), b.alarm);
      assert.equal(await alarms.get('nope'), null);
    });

    test('keeps a resolved alarm when the same one is opened again (a restart replaying data)', async ({
      alarms,
    }) => {
      const { alarm } = await alarms.open(heat(), T);
      await alarms.resolve(alarm.id, T + 1000, T + 1000);
      const again = await alarms.open(heat(), T + 2000);
      assert.equal(again.created, false);
      assert.equal(again.alarm.state, 'resolved');
      assert.equal((await alarms.list({})).length, 1);
    });

    test('updates an active alarm only', async ({ alarms }) => {
      const { alarm } = await alarms.open(heat({ detail: { limit: 8 } }), T);
      const u = await alarms.update(alarm.id, { peak: 9.9, message: 'above 8 °C, peak 9.9 °C' }, T + 5);
      assert.equal(u?.peak, 9.9);
      assert.equal(u?.message, 'above 8 °C, peak 9.9 °C');
      assert.deepEqual(u?.detail, { limit: 8 });
      assert.equal(u?.updatedAt, T + 5);
      await alarms.resolve(alarm.id, T + 10, T + 10);
      assert.equal(await alarms.update(alarm.id, { peak: 1 }, T + 20), null);
      assert.equal(await alarms.update('nope', { peak: 1 }, T + 20), null);
    });

    test('acknowledges once, keeps the acknowledgement through resolve', async ({ alarms }) => {
      const { alarm } = await alarms.open(heat(), T + 61_000);
      const signed = ack({ name: 'Quinn Q', role: 'quality' });
      const acked = await alarms.acknowledge(alarm.id, signed);
      assert.equal(acked.state, 'acknowledged');
      assert.deepEqual(acked.ack, signed);
      await rejectsWith(alarms.acknowledge(alarm.id, ack()), 'VIGIL_ERR_ALREADY_ACKNOWLEDGED');
      await rejectsWith(alarms.acknowledge('nope', ack()), 'VIGIL_ERR_NOT_FOUND');
      // Still active: a new open() of the same rule updates it rather than duplicating.
      assert.equal((await alarms.open(heat({ peak: 9.5 }), T + 210_000)).alarm.id, alarm.id);
      // A new detail never drops the signer.
      await alarms.update(alarm.id, { detail: { limit: 8 } }, T + 220_000);
      const resolved = await alarms.resolve(alarm.id, T + 300_000, T + 301_000, { peak: 9.6 });
      assert.equal(resolved?.state, 'resolved');
      assert.equal(resolved?.resolvedAt, T + 300_000);
      assert.deepEqual(resolved?.ack, signed);
      assert.equal(resolved?.peak, 9.6);
      assert.equal(await alarms.resolve(alarm.id, T, T), null, 'resolving twice is a no-op');
      // After it resolved, the same rule can open a new alarm for the subject.
      const again = await alarms.open(heat({ raisedAt: T + 400_000 }), T + 400_000);
      assert.equal(again.created, true);
      assert.notEqual(again.alarm.id, alarm.id);
    });

    test('acknowledges a resolved alarm without reopening it', async ({ alarms }) => {
      const { alarm } = await alarms.open(heat({ subject: 'probe-0009', rule: 'freeze' }), T);
      await alarms.resolve(alarm.id, T + 1000, T + 1000);
      const acked = await alarms.acknowledge(alarm.id, ack({ by: 'user:q', at: T + 2000 }));
      assert.equal(acked.state, 'resolved');
      assert.equal(acked.ack?.by, 'user:q');
      assert.equal(acked.ack?.name, undefined, 'an acknowledgement without a signer has no name');
    });

    test('corrects the facts of a resolved alarm without re-opening it, and says what changed', async ({
      alarms,
    }) => {
      const { alarm } = await alarms.open(heat({ subject: 'truck-0101' }), T);
      assert.equal(
        await alarms.correct(alarm.id, { peak: 12 }, T),
        null,
        'an active alarm is updated instead',
      );
      await alarms.acknowledge(alarm.id, ack({ by: 'user:q', at: T + 10, reason: 'seen' }));
      await alarms.resolve(alarm.id, T + 500_000, T + 500_000);
      const r = await alarms.correct(
        alarm.id,
        { peak: 12, resolvedAt: T + 700_000, message: 'above 8 °C, peak 12' },
        T + 900_000,
      );
      assert.ok(r);
      assert.deepEqual([r.before.peak, r.before.resolvedAt], [8.4, T + 500_000]);
      assert.deepEqual(
        [
          r.after.state,
          r.after.peak,
          r.after.resolvedAt,
          r.after.message,
          r.after.updatedAt,
          r.after.ack?.by,
        ],
        ['resolved', 12, T + 700_000, 'above 8 °C, peak 12', T + 900_000, 'user:q'],
      );
      assert.equal(await alarms.correct('nope', { peak: 1 }, T), null);
    });

    test('marks an alarm disproved, resolving an active one, keeping its facts and refusing it twice', async ({
      alarms,
    }) => {
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
      assert.equal(await alarms.disprove('nope', { at: T, reason: 'x' }, T, T), null);
    });

    test('lists newest raised first, by state, subject, rule and time, within the limit', async ({
      alarms,
    }) => {
      const a = await alarms.open(heat({ raisedAt: T + 1 }), T + 1);
      await alarms.open(heat({ rule: 'freeze', raisedAt: T + 2 }), T + 2);
      await alarms.open(heat({ subject: 'truck-0002', raisedAt: T + 3 }), T + 3);
      await alarms.resolve(a.alarm.id, T + 4, T + 4);
      const ids = async (q: Parameters<AlarmStore['list']>[0]) =>
        (await alarms.list(q)).map((x) => `${x.subject}/${x.rule}`);
      assert.deepEqual(await ids({}), ['truck-0002/heat', 'truck-0001/freeze', 'truck-0001/heat']);
      assert.deepEqual(await ids({ state: 'active' }), ['truck-0002/heat', 'truck-0001/freeze']);
      assert.deepEqual(await ids({ state: 'resolved' }), ['truck-0001/heat']);
      assert.deepEqual(await ids({ state: 'open' }), ['truck-0002/heat', 'truck-0001/freeze']);
      assert.deepEqual(await ids({ subject: 'truck-0001' }), ['truck-0001/freeze', 'truck-0001/heat']);
      assert.deepEqual(await ids({ rule: 'heat' }), ['truck-0002/heat', 'truck-0001/heat']);
      assert.deepEqual(await ids({ since: T + 2 }), ['truck-0002/heat', 'truck-0001/freeze']);
      assert.deepEqual(await ids({ limit: 1 }), ['truck-0002/heat']);
    });

    test('lists the alarms changed since a time, oldest change first (for following)', async ({ alarms }) => {
      const a = await alarms.open(heat({ raisedAt: T + 1 }), T + 10);
      const b = await alarms.open(heat({ rule: 'freeze', raisedAt: T + 2 }), T + 20);
      await alarms.open(heat({ subject: 'truck-0002', raisedAt: T + 3 }), T + 30);
      // An old alarm acknowledged late comes after the newer ones: the order of the changes.
      await alarms.acknowledge(a.alarm.id, ack({ at: T + 40 }));
      const changed = async (q: Parameters<AlarmStore['list']>[0]) =>
        (await alarms.list(q)).map((x) => `${x.subject}/${x.rule}/${x.state}`);
      assert.deepEqual(await changed({ changedSince: T + 20 }), [
        'truck-0001/freeze/open',
        'truck-0002/heat/open',
        'truck-0001/heat/acknowledged',
      ]);
      await alarms.resolve(b.alarm.id, T + 50, T + 50);
      assert.deepEqual(await changed({ changedSince: T + 41 }), ['truck-0001/freeze/resolved']);
      assert.deepEqual(await changed({ changedSince: T + 20, subject: 'truck-0002' }), [
        'truck-0002/heat/open',
      ]);
      assert.deepEqual(await changed({ changedSince: T + 51 }), []);
    });
  });
}
