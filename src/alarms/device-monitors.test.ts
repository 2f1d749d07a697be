import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { presetProfile } from '../coldchain/profiles.ts';
import { createRng, gaussian } from '../random/rng.ts';
import { readingFromEvent } from '../rules/event-reading.ts';
import type { ReadingRecord } from '../storage/store.ts';
import { createDeviceMonitors } from './device-monitors.ts';
import { recordingReadingStore } from './reading-store.fixture.ts';

const T0 = Date.UTC(2026, 0, 5, 0, 0, 0);
const HOUR = 3_600_000;

/** A store holding one logger's readings every second for `hours`, recording the queries. */
function fakeStore(hours: number) {
  const rng = createRng('fake-store');
  const rows: ReadingRecord[] = [];
  for (let s = 0; s < hours * 3600; s++) {
    rows.push({
      deviceId: 'truck-1',
      seq: s,
      idx: 0,
      ts: T0 + s * 1000,
      receivedAt: T0 + s * 1000,
      backfill: false,
      data: { temp_c: Math.round((5 + gaussian(rng, 0, 0.15)) * 100) / 100 },
    });
  }
  return recordingReadingStore(rows);
}

describe('device monitors', () => {
  it('restores a monitor from its history window by time, newest first in pages, within the bound', async () => {
    const { store, queries } = fakeStore(10);
    const monitors = createDeviceMonitors({
      store,
      kindOf: () => 'vaccine-transport',
      profileOf: () => presetProfile('refrigerated'),
      eventReading: (body, ts) => readingFromEvent(body as { type: string }, ts),
      maxReplayReadings: 15_000,
    });
    const newest = T0 + (10 * 3600 - 1) * 1000;
    assert.equal(await monitors.restore('truck-1', newest + 1000), undefined);
    const pages = queries.filter((q) => q.since !== undefined);
    // 6 h of history plus 30 min before the newest reading, at 1 Hz: 23,400 readings, bound 15,000
    assert.deepEqual(
      pages.map((q) => [q.since, q.descending, q.limit]),
      [[newest - 6.5 * HOUR, true, 15_000]],
    );
    assert.deepEqual(monitors.deviceIds(), ['truck-1']);
    // a bound above the window: two pages, the second from where the first ended
    queries.length = 0;
    const big = createDeviceMonitors({
      store,
      kindOf: () => 'vaccine-transport',
      profileOf: () => presetProfile('refrigerated'),
      eventReading: () => undefined,
    });
    await big.restore('truck-1', newest + 1000);
    const paged = queries.filter((q) => q.since !== undefined);
    assert.equal(paged.length, 2);
    assert.equal(paged[1]?.until, newest - 20_000 * 1000 + 1000);
    // an unknown device gets no monitor
    const none = createDeviceMonitors({
      store,
      kindOf: () => undefined,
      profileOf: () => presetProfile('refrigerated'),
      eventReading: () => undefined,
    });
    assert.equal(await none.restore('nobody', newest), undefined);
    assert.deepEqual(none.observe('nobody', [{ ts: newest, data: { temp_c: 5 } }], newest), []);
  });
});
