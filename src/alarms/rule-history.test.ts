import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Reading } from '../rules/rule.ts';
import type { MessageRecord, ReadingRecord } from '../storage/store.ts';
import { recordingReadingStore } from './reading-store.fixture.ts';
import { createRuleHistory } from './rule-history.ts';
import { eventReading } from './subject-rules.ts';

const T0 = Date.UTC(2026, 0, 5, 0, 0, 0);
const MIN = 60_000;
const HOUR = 60 * MIN;

/** A store of one device's readings and events that answers as the SQLite adapter does. */
function fakeStore(readingTs: number[], eventTs: number[]) {
  const rows: ReadingRecord[] = readingTs.map((ts, i) => ({
    deviceId: 'd',
    seq: i,
    idx: 0,
    ts,
    receivedAt: ts,
    backfill: false,
    data: { temp_c: 5, n: i },
  }));
  rows.sort((a, b) => a.ts - b.ts || a.seq - b.seq);
  const messages: MessageRecord[] = eventTs.map((ts, i) => ({
    deviceId: 'd',
    seq: 10_000 + i,
    channel: 'events',
    ts,
    receivedAt: ts,
    body: { type: 'door', state: i % 2 === 0 ? 'open' : 'closed' },
  }));
  return recordingReadingStore(rows, messages);
}

async function collect(pages: AsyncGenerator<Reading[]>): Promise<Reading[][]> {
  const out: Reading[][] = [];
  for await (const p of pages) out.push(p);
  return out;
}

const options = { retentionMs: 72 * HOUR, maxReadings: 10_000, eventReading, pageSize: 10 };

describe('rule history', () => {
  it('replays in ascending pages that split only between instants, each with its events', async () => {
    // 35 readings, five of them at one instant straddling the first page boundary
    const ts = Array.from({ length: 30 }, (_, i) => T0 + i * MIN);
    for (let k = 0; k < 5; k++) ts.push(T0 + 8 * MIN);
    const { store } = fakeStore(ts, [T0 + 8 * MIN, T0 + 25.5 * MIN, T0 + 40 * MIN]);
    const history = createRuleHistory({ ...options, store });
    const plan = await history.replay('d', T0 + 31 * MIN);
    assert.equal(plan.newest, T0 + 29 * MIN);
    const pages = await collect(plan.pages());
    const all = pages.flat();
    assert.equal(all.filter((r) => r.source !== 'event').length, 35);
    assert.equal(all.filter((r) => r.source === 'event').length, 3, 'events after the newest reading too');
    for (let i = 1; i < pages.length; i++) {
      const prev = pages[i - 1] as Reading[];
      const maxPrev = Math.max(...prev.map((r) => r.ts));
      assert.ok(
        Math.min(...(pages[i] as Reading[]).map((r) => r.ts)) > maxPrev,
        `page ${i} starts after page ${i - 1}`,
      );
    }
    // the instant at minute 8 stays whole, its samples before its event
    const eight = pages.find((p) => p.some((r) => r.ts === T0 + 8 * MIN)) as Reading[];
    assert.deepEqual(
      eight.filter((r) => r.ts === T0 + 8 * MIN).map((r) => r.source ?? 'sample'),
      ['sample', 'sample', 'sample', 'sample', 'sample', 'sample', 'event'],
    );
  });

  it('starts at the retention horizon, the newest maxReadings, and the configured start', async () => {
    const ts = Array.from({ length: 100 }, (_, i) => T0 + i * HOUR);
    const newest = T0 + 99 * HOUR;
    const first = async (o: Partial<typeof options>, since?: number) => {
      const { store } = fakeStore(ts, []);
      const plan = await createRuleHistory({ ...options, ...o, store }).replay('d', newest, since);
      const pages = await collect(plan.pages());
      return { first: pages[0]?.[0]?.ts, count: pages.flat().length };
    };
    assert.deepEqual(await first({}), { first: newest - 72 * HOUR, count: 73 });
    assert.deepEqual(await first({ maxReadings: 25 }), { first: newest - 24 * HOUR, count: 25 });
    assert.deepEqual(await first({}, T0 + 90 * HOUR), { first: T0 + 90 * HOUR, count: 10 });
  });

  it('gives back the readings and events of a span, none before the configured start', async () => {
    const ts = Array.from({ length: 60 }, (_, i) => T0 + i * MIN);
    const { store } = fakeStore(ts, [T0 + 9.5 * MIN, T0 + 30.5 * MIN]);
    const history = createRuleHistory({ ...options, store });
    const span = { after: T0 + 9 * MIN, through: T0 + 31 * MIN };
    const got = await history.span('d', span);
    assert.equal(got.length, 22 + 2);
    assert.ok(got.every((r) => r.ts > span.after && r.ts <= span.through));
    const since = await history.span('d', span, T0 + 20 * MIN);
    assert.equal(since.length, 12 + 1);
    assert.equal(Math.min(...since.map((r) => r.ts)), T0 + 20 * MIN);
  });

  it('replays only the events of a device without readings, from the retention horizon', async () => {
    const now = T0 + 100 * HOUR;
    const { store } = fakeStore([], [T0, now - 2 * HOUR]);
    const plan = await createRuleHistory({ ...options, store }).replay('d', now);
    assert.equal(plan.newest, undefined);
    assert.deepEqual(
      (await collect(plan.pages())).flat().map((r) => r.ts),
      [now - 2 * HOUR],
    );
  });
});
