import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Downsampler, downsample, type InputSample, medianInterval } from './downsample.ts';

const MIN = 60_000;
const T0 = 1_795_305_600_000;

function series(n: number, stepMs: number, f: (i: number) => number, start = T0): InputSample[] {
  return Array.from({ length: n }, (_, i) => ({
    ts: start + i * stepMs,
    data: { temp_c: f(i), power: 'mains' },
  }));
}

describe('downsample', () => {
  it('returns the raw samples unchanged when they fit in maxPoints', () => {
    const s = series(10, MIN, (i) => i);
    const r = downsample(s, { from: T0, to: T0 + 10 * MIN, maxPoints: 10 });
    assert.equal(r.downsampled, false);
    assert.equal(r.bucketMs, null);
    assert.equal(r.points.length, 10);
    assert.deepEqual(r.points[3], {
      ts: T0 + 3 * MIN,
      n: 1,
      backfill: false,
      values: { temp_c: 3, power: 'mains' },
    });
    assert.equal(r.medianIntervalMs, MIN);
    assert.deepEqual(r.gaps, []);
  });

  it('reduces 30 days of 1-minute data (43,200 points) to at most maxPoints', () => {
    const s = series(43_200, MIN, (i) => 5 + Math.sin(i / 100));
    const r = downsample(s, { from: T0, to: T0 + 43_200 * MIN, maxPoints: 1000 });
    assert.equal(r.downsampled, true);
    assert.ok(r.points.length <= 1000, `${r.points.length} points`);
    assert.ok(r.points.length >= 990);
    assert.equal(r.count, 43_200);
    assert.equal(
      r.points.reduce((n, p) => n + p.n, 0),
      43_200,
    );
    assert.ok(r.bucketMs !== null && r.bucketMs >= 43 * MIN);
  });

  it('keeps a spike as the bucket max and a dip as the bucket min', () => {
    const s = series(1000, MIN, (i) => (i === 500 ? 30 : i === 700 ? -5 : 4));
    const r = downsample(s, { from: T0, to: T0 + 1000 * MIN, maxPoints: 10 });
    const maxes = r.points.map((p) => p.max?.temp_c ?? 0);
    const mins = r.points.map((p) => p.min?.temp_c ?? 0);
    assert.equal(Math.max(...maxes), 30);
    assert.equal(Math.min(...mins), -5);
    const spike = r.points.find((p) => p.max?.temp_c === 30);
    assert.ok(spike && spike.ts <= T0 + 500 * MIN && T0 + 500 * MIN < spike.ts + (r.bucketMs ?? 0));
    assert.equal(spike.values.power, 'mains', 'non-numeric fields keep the last value');
  });

  it('yields no point for a bucket without data and reports the pause as a gap', () => {
    // 0..99 min, then nothing until 400, then 400..499 min.
    const s = [...series(100, MIN, () => 4), ...series(100, MIN, () => 5, T0 + 400 * MIN)];
    const r = downsample(s, { from: T0, to: T0 + 500 * MIN, maxPoints: 50 });
    assert.equal(r.downsampled, true);
    assert.equal(r.bucketMs, 10 * MIN);
    const inGap = r.points.filter((p) => p.ts >= T0 + 100 * MIN && p.ts < T0 + 400 * MIN);
    assert.deepEqual(inGap, []);
    assert.deepEqual(r.gaps, [{ from: T0 + 99 * MIN, to: T0 + 400 * MIN }]);
  });

  it('reports a gap shorter than a bucket, so a chart can still break the line', () => {
    const s = series(1000, MIN, () => 4).filter((p) => p.ts < T0 + 300 * MIN || p.ts >= T0 + 310 * MIN);
    const r = downsample(s, { from: T0, to: T0 + 1000 * MIN, maxPoints: 20 });
    assert.equal(r.bucketMs, 50 * MIN);
    assert.deepEqual(r.gaps, [{ from: T0 + 299 * MIN, to: T0 + 310 * MIN }]);
  });

  it('does not call ordinary jitter a gap', () => {
    const s = series(200, MIN, () => 4).map((p, i) => ({ ...p, ts: p.ts + (i % 2) * 20_000 }));
    assert.deepEqual(downsample(s, { from: T0, to: T0 + 300 * MIN, maxPoints: 500 }).gaps, []);
  });

  it('marks a bucket as backfill when any of its samples is', () => {
    const s = series(100, MIN, () => 4).map((p, i) => ({ ...p, backfill: i === 42 }));
    const r = downsample(s, { from: T0, to: T0 + 100 * MIN, maxPoints: 10 });
    assert.deepEqual(
      r.points.map((p) => p.backfill),
      [false, false, false, false, true, false, false, false, false, false],
    );
  });

  it('ignores samples outside [from, to) and accepts them out of order', () => {
    const s = series(30, MIN, (i) => i).reverse();
    const r = downsample(s, { from: T0 + 10 * MIN, to: T0 + 20 * MIN, maxPoints: 100 });
    assert.equal(r.count, 10);
    assert.deepEqual(
      r.points.map((p) => p.values.temp_c),
      [10, 11, 12, 13, 14, 15, 16, 17, 18, 19],
    );
  });

  it('computes the bucket mean, min and max per numeric field', () => {
    const s: InputSample[] = [
      { ts: T0, data: { temp_c: 2, rh_pct: 50 } },
      { ts: T0 + 1, data: { temp_c: 6, rh_pct: 70 } },
      { ts: T0 + 2, data: { temp_c: 4 } },
    ];
    const r = downsample(s, { from: T0, to: T0 + 10, maxPoints: 1 });
    assert.deepEqual(r.points, [
      {
        ts: T0,
        n: 3,
        backfill: false,
        values: { temp_c: 4, rh_pct: 60 },
        min: { temp_c: 2, rh_pct: 50 },
        max: { temp_c: 6, rh_pct: 70 },
      },
    ]);
  });

  it('caps the number of gaps listed and counts the rest', () => {
    // A sample every minute, but every other 10-minute block missing: many gaps.
    const s = series(2000, MIN, () => 1).filter((p) => Math.floor((p.ts - T0) / (10 * MIN)) % 2 === 0);
    const r = downsample(s, { from: T0, to: T0 + 2000 * MIN, maxPoints: 100, maxGaps: 5 });
    assert.equal(r.gaps.length, 5);
    assert.equal(r.gapsOmitted, 99 - 5);
  });

  it('refuses an empty range or a zero maxPoints', () => {
    assert.throws(() => new Downsampler({ from: 5, to: 5, maxPoints: 10 }), RangeError);
    assert.throws(() => new Downsampler({ from: 0, to: 5, maxPoints: 0 }), RangeError);
  });

  it('finds the median of positive intervals', () => {
    assert.equal(medianInterval(Float64Array.from([0, 10, 10, 20, 50])), 10);
    assert.equal(medianInterval(Float64Array.from([0, 10, 30])), 15);
    assert.equal(medianInterval(Float64Array.from([7])), null);
  });
});
