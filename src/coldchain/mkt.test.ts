import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mkt, mktWeights, rollingMkt } from './mkt.ts';
import type { TempPoint } from './temperature-series.ts';

const MIN = 60_000;
const HOUR = 3_600_000;

/**
 * Independent MKT: the same USP <1160> formula rearranged in log-sum-exp form,
 * -ln(Σ w_i e^{-a/T_i} / Σ w_i) = a/T* - ln(Σ w_i e^{a/T* - a/T_i} / Σ w_i) with 1/T* = min 1/T_i,
 * so the exponentials stay near 1 instead of 1e-16.
 */
function mktLogSumExp(temps: readonly number[], weights: readonly number[]): number {
  const a = 10_000;
  const inv = temps.map((t) => 1 / (t + 273.15));
  const m = Math.min(...inv);
  let s = 0;
  let w = 0;
  for (let i = 0; i < temps.length; i++) {
    s += (weights[i] as number) * Math.exp(a * m - a * (inv[i] as number));
    w += weights[i] as number;
  }
  const negLn = a * m - Math.log(s / w);
  return a / negLn - 273.15;
}

const series = (temps: readonly number[], stepMs = HOUR, t0 = 0): TempPoint[] =>
  temps.map((tempC, i) => ({ ts: t0 + i * stepMs, tempC }));

describe('mean kinetic temperature', () => {
  it('of a constant temperature is that temperature', () => {
    for (const t of [-70, -20, 0, 5, 25, 40]) {
      const v = mkt(series([t, t, t, t, t], 17 * MIN));
      assert.ok(Math.abs((v as number) - t) < 1e-9, `${t} -> ${v}`);
    }
  });

  it('of a single reading is that reading', () => {
    assert.ok(Math.abs((mkt([{ ts: 5, tempC: 7.3 }]) as number) - 7.3) < 1e-9);
  });

  it('is null for no readings', () => {
    assert.equal(mkt([]), null);
  });

  it('of equal time at 20 and 30 °C is 26.2598869160034 °C (high-precision reference)', () => {
    const v = mkt(series([20, 30])) as number;
    assert.ok(Math.abs(v - 26.25988691600341) < 1e-9, String(v));
    assert.ok(Math.abs(v - mktLogSumExp([20, 30], [1, 1])) < 1e-9);
  });

  it('matches the weekly highs and lows textbook method (equal weights) to 1e-9', () => {
    // Haynes' method as in USP <1160>: each week's high and low count equally
    const highs = [28, 30, 27, 29];
    const lows = [18, 16, 20, 17];
    const temps = [...highs, ...lows];
    // equal weights: readings 1 h apart would weigh the ends half, so use the unweighted fallback
    const isolated = temps.map((tempC, i) => ({ ts: i * 7 * 24 * HOUR, tempC }));
    const v = mkt(isolated, { maxGapMs: HOUR }) as number;
    assert.ok(
      Math.abs(
        v -
          mktLogSumExp(
            temps,
            temps.map(() => 1),
          ),
      ) < 1e-9,
    );
    assert.ok(Math.abs(v - 24.66570323289571) < 1e-9, String(v));
    // MKT lies above the arithmetic mean (23.125) because warm hours weigh more
    assert.ok(v > 23.125);
  });

  it('weights irregular samples by half the interval to each neighbour (trapezoid)', () => {
    const pts: TempPoint[] = [
      { ts: 0, tempC: 5 },
      { ts: 10 * MIN, tempC: 5 },
      { ts: 70 * MIN, tempC: 10 },
      { ts: 80 * MIN, tempC: 5 },
    ];
    assert.deepEqual([...mktWeights(pts)], [5 * MIN, 35 * MIN, 35 * MIN, 5 * MIN]);
    const v = mkt(pts) as number;
    assert.ok(Math.abs(v - mktLogSumExp([5, 5, 10, 5], [5, 35, 35, 5])) < 1e-9);
    assert.ok(Math.abs(v - 7.559672782639468) < 1e-9, String(v));
  });

  it('is the same whatever order the readings come in', () => {
    const pts = series([4, 9, 3, 12, 6, 5], 7 * MIN);
    const shuffled = [pts[3], pts[0], pts[5], pts[1], pts[4], pts[2]] as TempPoint[];
    assert.equal(mkt(shuffled), mkt(pts));
  });

  it('does not count an interval longer than the data-gap limit as time', () => {
    // 5 °C for an hour, a 10 h hole, then 15 °C for an hour: the hole carries no weight
    const pts: TempPoint[] = [
      { ts: 0, tempC: 5 },
      { ts: HOUR, tempC: 5 },
      { ts: 11 * HOUR, tempC: 15 },
      { ts: 12 * HOUR, tempC: 15 },
    ];
    assert.deepEqual([...mktWeights(pts, 2 * HOUR)], [HOUR / 2, HOUR / 2, HOUR / 2, HOUR / 2]);
    const v = mkt(pts, { maxGapMs: 2 * HOUR }) as number;
    assert.ok(Math.abs(v - mktLogSumExp([5, 15], [1, 1])) < 1e-9);
    // counted, the hole would add 5 h to each side: a third reading makes the sides unequal
    const uneven: TempPoint[] = [...pts, { ts: 12.5 * HOUR, tempC: 15 }];
    assert.ok(
      Math.abs((mkt(uneven, { maxGapMs: 2 * HOUR }) as number) - mktLogSumExp([5, 15], [1, 1.5])) < 1e-9,
    );
    assert.ok(Math.abs((mkt(uneven) as number) - mktLogSumExp([5, 15], [6, 6.5])) < 1e-9);
  });

  it('handles ultra-cold temperatures without underflow', () => {
    const pts: TempPoint[] = [
      { ts: 0, tempC: -80 },
      { ts: HOUR, tempC: -70 },
      { ts: 2 * HOUR, tempC: -65 },
    ];
    const v = mkt(pts) as number;
    assert.ok(Math.abs(v - -68.80015079363004) < 1e-9, String(v));
  });
});

describe('rolling MKT', () => {
  it('over a window longer than the series ends equal to the whole-series MKT', () => {
    const pts = series([4, 9, 3, 12, 6, 5, 7, 8], 13 * MIN);
    const windows = rollingMkt(pts, 100 * HOUR);
    assert.equal(windows.length, pts.length);
    const last = windows[windows.length - 1];
    assert.ok(Math.abs((last?.mktC as number) - (mkt(pts) as number)) < 1e-9);
    assert.equal(last?.complete, false);
  });

  it('equals mkt() of the clipped window at every reading (irregular sampling, gaps)', () => {
    const pts: TempPoint[] = [];
    let ts = 0;
    for (let i = 0; i < 300; i++) {
      ts += (i % 7 === 0 ? 3 : 1) * MIN + (i % 13) * 1000;
      if (i === 150) ts += 2 * HOUR; // a gap beyond the limit
      pts.push({ ts, tempC: 5 + 3 * Math.sin(i / 10) + (i % 17 === 0 ? 6 : 0) });
    }
    const windowMs = 2 * HOUR;
    const maxGapMs = 30 * MIN;
    const rolled = rollingMkt(pts, windowMs, { maxGapMs });
    for (let k = 0; k < pts.length; k += 11) {
      const end = (pts[k] as TempPoint).ts;
      const start = end - windowMs;
      // reference: clip each reading's half-interval span to [start, end] and weight by it
      const temps: number[] = [];
      const weights: number[] = [];
      for (let i = 0; i <= k; i++) {
        const p = pts[i] as TempPoint;
        const prev = pts[i - 1];
        const next = i < k ? pts[i + 1] : undefined;
        const l = prev && p.ts - prev.ts <= maxGapMs ? (p.ts - prev.ts) / 2 : 0;
        const r = next && next.ts - p.ts <= maxGapMs ? (next.ts - p.ts) / 2 : 0;
        const w = Math.max(0, Math.min(end, p.ts + r) - Math.max(start, p.ts - l));
        if (w > 0) {
          temps.push(p.tempC);
          weights.push(w);
        }
      }
      const got = rolled[k];
      assert.ok(got);
      if (weights.length > 0) {
        assert.ok(Math.abs(got.mktC - mktLogSumExp(temps, weights)) < 1e-9, `window ending at #${k}`);
        assert.ok(Math.abs(got.coveredMs - weights.reduce((a, b) => a + b, 0)) < 1e-6);
      }
    }
  });

  it('reports 24 h windows as complete once a day of data lies behind them', () => {
    const pts = series(
      Array.from({ length: 49 }, (_, i) => 5 + (i % 3)),
      HOUR,
    );
    const w = rollingMkt(pts, 24 * HOUR);
    assert.equal(w[23]?.complete, false);
    assert.equal(w[24]?.complete, true);
    assert.equal(w[24]?.coveredMs, 24 * HOUR);
  });
});
