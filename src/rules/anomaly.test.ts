import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createRng, gaussian } from '../sim/model/rng.ts';
import { createAnomalyMonitor, temperatureFeatures } from './anomaly.ts';
import { averagePathLength, trainIsolationForest } from './isolation-forest.ts';
import type { Reading } from './rule.ts';
import { at, reading } from './rules.fixture.ts';

/** A fridge logger: 5 °C ± 0.15 noise plus a slow ±0.4 °C compressor cycle, one reading a minute. */
function normalSeries(n: number, seed: string): Reading[] {
  const rng = createRng(seed);
  return Array.from({ length: n }, (_, m) =>
    reading(m, { temp_c: 5 + 0.4 * Math.sin((2 * Math.PI * m) / 45) + gaussian(rng, 0, 0.15) }),
  );
}

describe('isolation forest', () => {
  it('c(n) follows Liu et al. (2008), eq. 1', () => {
    assert.equal(averagePathLength(1), 0);
    assert.equal(averagePathLength(2), 1);
    const h255 = Math.log(255) + 0.5772156649015329;
    assert.ok(Math.abs(averagePathLength(256) - (2 * h255 - (2 * 255) / 256)) < 1e-12);
  });

  it('scores a clear outlier high and typical points low', () => {
    const rng = createRng('forest');
    const data = Array.from({ length: 1000 }, () => [gaussian(rng, 0, 1), gaussian(rng, 0, 1)]);
    const forest = trainIsolationForest(data, { rng: createRng(7) });
    assert.deepEqual([forest.trees, forest.sampleSize, forest.dimensions], [100, 256, 2]);
    assert.ok(forest.score([6, -6]) > 0.7, String(forest.score([6, -6])));
    assert.ok(forest.score([0, 0]) < 0.5, String(forest.score([0, 0])));
  });

  it('is deterministic given the seed', () => {
    const rng = createRng('forest');
    const data = Array.from({ length: 500 }, () => [gaussian(rng, 0, 1)]);
    const a = trainIsolationForest(data, { rng: createRng(42) });
    const b = trainIsolationForest(data, { rng: createRng(42) });
    const c = trainIsolationForest(data, { rng: createRng(43) });
    for (const x of [-3, -1, 0, 0.5, 4]) assert.equal(a.score([x]), b.score([x]));
    assert.notEqual(a.score([0.5]), c.score([0.5]));
  });
});

describe('anomaly monitor', () => {
  const fridgeRange = (r: Reading) => {
    const t = r.data['temp_c'];
    return typeof t === 'number' && (t < 2 || t > 8);
  };

  it('flags a jump the 2-8 °C range rules miss, as a statistical alarm with its score', () => {
    const monitor = createAnomalyMonitor({ subject: 'fridge-1', rng: createRng(1), isCovered: fridgeRange });
    const history = normalSeries(600, 'normal');
    const normalScores: number[] = [];
    let falseAlarms = 0;
    for (const r of history) {
      const v = monitor.observe(r, r.ts);
      if (v.score !== undefined) normalScores.push(v.score);
      if (v.flagged) falseAlarms++;
    }
    // Gaussian noise has tails: a statistical detector flags the odd normal reading, rarely
    assert.ok(falseAlarms <= normalScores.length / 100, `${falseAlarms} of ${normalScores.length} flagged`);
    assert.ok(monitor.trainings >= 2);
    assert.ok(normalScores.length > 300);
    // a door left open: +2.5 °C within one minute, still inside 2..8 °C
    const jump = reading(600, { temp_c: 7.6 });
    const v = monitor.observe(jump, jump.ts);
    assert.ok(v.score !== undefined && v.score > 0.7, String(v.score));
    assert.equal(v.flagged, true);
    const opened = v.transitions[0];
    assert.deepEqual(
      [opened?.type, opened?.alarm.rule, opened?.alarm.kind],
      ['opened', 'anomaly', 'statistical'],
    );
    assert.equal(opened?.alarm.score, v.score);
    assert.match(opened?.alarm.message ?? '', /statistical/i);
    // the typical normal reading scores low
    normalScores.sort((a, b) => a - b);
    assert.ok((normalScores[Math.floor(normalScores.length / 2)] as number) < 0.5);
  });

  it('resolves the statistical alarm at the first reading that scores at or under the threshold', () => {
    const monitor = createAnomalyMonitor({ subject: 'fridge-1', rng: createRng(1) });
    for (const r of normalSeries(600, 'normal')) monitor.observe(r, r.ts);
    assert.equal(monitor.observe(reading(600, { temp_c: 7.6 }), at(600)).flagged, true);
    const after = [
      reading(601, { temp_c: 5.0 }),
      reading(602, { temp_c: 5.02 }),
      reading(603, { temp_c: 4.98 }),
    ];
    const verdicts = after.map((r) => monitor.observe(r, r.ts));
    const firstOrdinary = verdicts.findIndex((v) => !v.flagged);
    assert.ok(firstOrdinary >= 0);
    const resolved = verdicts.flatMap((v) => v.transitions).filter((t) => t.type === 'resolved');
    assert.equal(resolved.length, 1);
    assert.equal(resolved[0]?.alarm.resolvedAt, after[firstOrdinary]?.ts);
    assert.equal(monitor.openAlarm(), undefined);
  });

  it('never flags what the range rules already cover', () => {
    const monitor = createAnomalyMonitor({ subject: 'fridge-1', rng: createRng(1), isCovered: fridgeRange });
    for (const r of normalSeries(600, 'normal')) monitor.observe(r, r.ts);
    const v = monitor.observe(reading(600, { temp_c: 12 }), at(600));
    assert.ok((v.score as number) > 0.7);
    assert.equal(v.flagged, false);
  });

  it('gives identical scores for the same seed and input', () => {
    const run = (seed: number) => {
      const m = createAnomalyMonitor({ subject: 'x', rng: createRng(seed), features: temperatureFeatures });
      return normalSeries(700, 'normal').map((r) => m.observe(r, r.ts).score);
    };
    assert.deepEqual(run(5), run(5));
    assert.notDeepEqual(run(5), run(6));
  });

  it('scores a late reading but does not train on it or alarm', () => {
    const monitor = createAnomalyMonitor({ subject: 'fridge-1', rng: createRng(1) });
    for (const r of normalSeries(600, 'normal')) monitor.observe(r, r.ts);
    const v = monitor.observe(reading(100.5, { temp_c: 7.9 }), at(601));
    assert.equal(v.late, true);
    assert.deepEqual(v.transitions, []);
  });
});
