import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createRng } from '../../random/rng.ts';
import { MAD_TO_SD, medianInPlace, quantileInPlace, robustSummary, selectInPlace } from './robust-stats.ts';

function sortedCopy(v: number[]): number[] {
  return [...v].sort((a, b) => a - b);
}

describe('robust statistics', () => {
  it('selection agrees with sorting, for random, constant and sorted data', () => {
    const rng = createRng('select');
    const sets = [
      Array.from({ length: 1001 }, () => rng.next() * 100),
      Array.from({ length: 400 }, () => 5),
      Array.from({ length: 300 }, (_, i) => i % 7),
      Array.from({ length: 257 }, (_, i) => 257 - i),
    ];
    for (const v of sets) {
      const s = sortedCopy(v);
      for (const k of [0, 1, v.length >> 1, v.length - 2, v.length - 1]) {
        assert.equal(selectInPlace(Float64Array.from(v), v.length, k), s[k]);
      }
      const mid = (s[(s.length - 1) >> 1] as number) / 2 + (s[s.length >> 1] as number) / 2;
      assert.equal(medianInPlace(Float64Array.from(v), v.length), mid);
      const q = 0.99 * (s.length - 1);
      const lo = s[Math.floor(q)] as number;
      const hi = s[Math.min(s.length - 1, Math.floor(q) + 1)] as number;
      assert.ok(
        Math.abs(
          quantileInPlace(Float64Array.from(v), v.length, 0.99) - (lo + (hi - lo) * (q - Math.floor(q))),
        ) < 1e-9,
      );
    }
  });

  it('the robust SD barely moves when a wild value joins fifty normal ones', () => {
    const v = Array.from({ length: 50 }, (_, i) => 5 + ((i % 5) - 2) * 0.1);
    const a = robustSummary(Float64Array.from(v), v.length, 0.01);
    const b = robustSummary(Float64Array.from([...v, 85]), v.length + 1, 0.01);
    assert.equal(a.median, 5);
    assert.ok(Math.abs(a.sd - MAD_TO_SD * 0.1) < 1e-9, String(a.sd));
    assert.ok(Math.abs(b.sd - a.sd) < 1e-9);
    assert.ok(b.high > 5.2 && b.high < 85);
  });
});
