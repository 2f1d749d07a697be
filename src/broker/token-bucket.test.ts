import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TokenBucket } from './token-bucket.ts';

describe('TokenBucket', () => {
  it('allows a full burst then refuses', () => {
    const b = new TokenBucket(10, 5, 0);
    for (let i = 0; i < 5; i++) assert.equal(b.take(0), true);
    assert.equal(b.take(0), false);
  });

  it('refills at the configured rate, capped at the burst', () => {
    const b = new TokenBucket(10, 5, 0);
    for (let i = 0; i < 5; i++) b.take(0);
    assert.equal(b.take(100), true); // 100 ms at 10/s = 1 token
    assert.equal(b.take(100), false);
    let n = 0;
    while (b.take(60_000)) n++;
    assert.equal(n, 5);
  });

  it('does not mint tokens when the clock steps backwards', () => {
    const b = new TokenBucket(10, 1, 1000);
    assert.equal(b.take(1000), true);
    assert.equal(b.take(0), false);
    assert.equal(b.take(1000), false);
  });

  it('rejects nonsensical parameters', () => {
    assert.throws(() => new TokenBucket(0, 1, 0), RangeError);
    assert.throws(() => new TokenBucket(1, 0, 0), RangeError);
  });
});
