import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { chance, createRng, forkRng, gaussian, hashSeed, pick, randInt, randomString } from './rng.ts';

const draw = (seed: number | string, n: number) => {
  const rng = createRng(seed);
  return Array.from({ length: n }, () => rng.next());
};

describe('rng', () => {
  it('repeats the same sequence for the same seed', () => {
    assert.deepEqual(draw(42, 1000), draw(42, 1000));
    assert.deepEqual(draw('truck-0042', 100), draw('truck-0042', 100));
  });

  it('gives different sequences for different seeds', () => {
    assert.notDeepEqual(draw(1, 10), draw(2, 10));
    assert.notDeepEqual(draw('a', 10), draw('b', 10));
  });

  it('stays in [0, 1) and looks uniform', () => {
    const xs = draw(7, 100_000);
    assert.ok(xs.every((x) => x >= 0 && x < 1));
    const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
    assert.ok(Math.abs(mean - 0.5) < 0.01, `mean ${mean}`);
    const buckets = new Array(10).fill(0);
    for (const x of xs) buckets[Math.floor(x * 10)]++;
    for (const b of buckets) assert.ok(Math.abs(b - 10_000) < 500, `bucket ${b}`);
  });

  it('draws gaussians with the requested mean and deviation', () => {
    const rng = createRng(3);
    const xs = Array.from({ length: 50_000 }, () => gaussian(rng, 5, 0.2));
    const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
    const sd = Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / xs.length);
    assert.ok(Math.abs(mean - 5) < 0.01, `mean ${mean}`);
    assert.ok(Math.abs(sd - 0.2) < 0.01, `sd ${sd}`);
  });

  it('picks every element of a list and refuses an empty one', () => {
    const rng = createRng(9);
    const seen = new Set<string>();
    for (let i = 0; i < 200; i++) seen.add(pick(rng, ['a', 'b', 'c']));
    assert.deepEqual([...seen].sort(), ['a', 'b', 'c']);
    assert.throws(() => pick(rng, []), RangeError);
  });

  it('keeps integers, chances and strings within their ranges', () => {
    const rng = createRng(11);
    for (let i = 0; i < 1000; i++) {
      const n = randInt(rng, 3, 5);
      assert.ok(n >= 3 && n <= 5 && Number.isInteger(n));
    }
    assert.equal(chance(rng, 0), false);
    assert.equal(chance(rng, 1), true);
    assert.match(randomString(rng, 12, 'XY'), /^[XY]{12}$/);
  });

  it('forks independent, reproducible child streams', () => {
    const a = createRng(5);
    const b = createRng(5);
    assert.deepEqual(
      Array.from({ length: 5 }, () => forkRng(a).next()),
      Array.from({ length: 5 }, () => forkRng(b).next()),
    );
    assert.equal(hashSeed('vigil'), hashSeed('vigil'));
    assert.notEqual(hashSeed('vigil'), hashSeed('vigiL'));
  });
});
