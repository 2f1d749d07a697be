import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createRng, gaussian } from '../random/rng.ts';
import { averagePathLength, trainIsolationForest } from './isolation-forest.ts';

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
