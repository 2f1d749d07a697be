import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { findExcursions } from './excursions.ts';
import { mkt, roundMkt } from './mkt.ts';
import { MINUTE_MS, presetProfile } from './profiles.ts';
import { summarize } from './summarize.ts';
import type { TempPoint } from './temperature-series.ts';

const profile = presetProfile('refrigerated'); // 2..8 °C, data gap 30 min
const pts = (temps: readonly number[], step = 5 * MINUTE_MS): TempPoint[] =>
  temps.map((tempC, i) => ({ ts: i * step, tempC }));

describe('excursions and time out of range', () => {
  it('charges each interval to the reading that opens it; the limits are in range', () => {
    const r = findExcursions(pts([5, 8, 8.1, 9, 7, 1.9, 2, 5]), profile);
    assert.deepEqual(r.excursions, [
      {
        kind: 'above',
        start: 10 * MINUTE_MS,
        end: 20 * MINUTE_MS,
        durationMs: 10 * MINUTE_MS,
        peakC: 9,
        ongoing: false,
        parts: 1,
      },
      {
        kind: 'below',
        start: 25 * MINUTE_MS,
        end: 30 * MINUTE_MS,
        durationMs: 5 * MINUTE_MS,
        peakC: 1.9,
        ongoing: false,
        parts: 1,
      },
    ]);
    assert.equal(r.timeAboveMs, 10 * MINUTE_MS);
    assert.equal(r.timeBelowMs, 5 * MINUTE_MS);
  });

  it('switches straight from above to below and reports an excursion still running at the end', () => {
    const r = findExcursions(pts([9, -1, -2]), profile);
    assert.deepEqual(
      r.excursions.map((e) => [e.kind, e.start, e.end, e.peakC, e.ongoing]),
      [
        ['above', 0, 5 * MINUTE_MS, 9, false],
        ['below', 5 * MINUTE_MS, 10 * MINUTE_MS, -2, true],
      ],
    );
  });

  it('runs an excursion on across a data gap but does not count the gap as time', () => {
    const series: TempPoint[] = [
      { ts: 0, tempC: 10 },
      { ts: 10 * MINUTE_MS, tempC: 10 },
      { ts: 70 * MINUTE_MS, tempC: 11 }, // 60 min later: beyond the 30 min limit
      { ts: 80 * MINUTE_MS, tempC: 5 },
    ];
    const r = findExcursions(series, profile);
    assert.deepEqual(
      r.excursions.map((e) => [e.start, e.end, e.durationMs, e.peakC]),
      [[0, 80 * MINUTE_MS, 20 * MINUTE_MS, 11]],
    );
    assert.equal(r.timeAboveMs, 20 * MINUTE_MS);
  });

  it('merges excursions closer than the merge gap into one, counting only the time out of range', () => {
    // every minute: above for 3 min, back for 4, above for 3, back for 20 (merge gap 10 min)
    const temps = [9, 9, 9, 7, 7, 7, 7, 9.5, 9, 9, ...Array(20).fill(7)];
    const r = findExcursions(pts(temps, MINUTE_MS), profile);
    assert.deepEqual(r.excursions, [
      {
        kind: 'above',
        start: 0,
        end: 10 * MINUTE_MS,
        durationMs: 6 * MINUTE_MS,
        peakC: 9.5,
        ongoing: false,
        parts: 2,
      },
    ]);
    assert.equal(r.timeAboveMs, 6 * MINUTE_MS);
    // a return of 10 min or more ends it; a profile with no merge gap never merges
    const apart = [9, 7, ...Array(10).fill(7), 9, 7];
    assert.equal(findExcursions(pts(apart, MINUTE_MS), profile).excursions.length, 2);
    const noMerge = { ...profile, mergeGapMinutes: 0 };
    assert.equal(findExcursions(pts(temps, MINUTE_MS), noMerge).excursions.length, 2);
  });

  it('makes one excursion of two-second noise around the limit, raw readings untouched', () => {
    const temps = Array.from({ length: 1800 }, (_, i) => 8 + (i % 7 === 0 ? -0.05 : 0.05) * ((i % 3) + 1));
    const series = pts(temps, 2000);
    const before = JSON.stringify(series);
    const r = findExcursions(series, profile);
    assert.equal(r.excursions.length, 1);
    assert.ok((r.excursions[0]?.parts as number) > 100);
    assert.equal(JSON.stringify(series), before);
  });
});

describe('summarize', () => {
  it('gives min, max, MKT with gaps excluded, totals and excursions for readings in any order', () => {
    const temps = [5, 6, 9, 10, 6, 1, 5];
    const readings = temps
      .map((t, i) => ({ ts: i * 10 * MINUTE_MS, data: { temp_c: t, rh_pct: 50 } }))
      .reverse();
    readings.push({ ts: 15 * MINUTE_MS, data: { door: 'open' } } as never); // an event: no temperature
    const s = summarize(readings, profile);
    assert.equal(s.readingCount, 7);
    assert.deepEqual([s.firstTs, s.lastTs, s.minC, s.maxC], [0, 60 * MINUTE_MS, 1, 10]);
    assert.equal(s.timeAboveMs, 20 * MINUTE_MS);
    assert.equal(s.timeBelowMs, 10 * MINUTE_MS);
    assert.equal(s.observedMs, 60 * MINUTE_MS);
    assert.equal(s.mktC, roundMkt(mkt(pts(temps, 10 * MINUTE_MS)) as number));
    assert.equal(s.excursions.length, 2);
    assert.deepEqual(s.gaps, []);
  });

  it('lists the data gaps', () => {
    const readings = [0, 10, 45, 50].map((m) => ({ ts: m * MINUTE_MS, data: { temp_c: 5 } }));
    assert.deepEqual(summarize(readings, profile).gaps, [
      { start: 10 * MINUTE_MS, end: 45 * MINUTE_MS, durationMs: 35 * MINUTE_MS },
    ]);
  });

  it('of no readings is empty', () => {
    const s = summarize([], profile);
    assert.deepEqual(
      [s.readingCount, s.mktC, s.minC, s.maxC, s.excursions.length, s.gaps.length],
      [0, null, null, null, 0, 0],
    );
  });
});
