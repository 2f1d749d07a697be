import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { backoffMs } from './backoff.ts';

describe('sink retry backoff', () => {
  it('doubles its ceiling per attempt up to the maximum', () => {
    const top = () => 0.999_999;
    assert.equal(backoffMs(1, 60_000, top), 999);
    assert.equal(backoffMs(2, 60_000, top), 1999);
    assert.equal(backoffMs(4, 60_000, top), 7999);
    assert.equal(backoffMs(40, 60_000, top), 59_999);
  });

  it('jitters over the whole range, never below 100 ms', () => {
    assert.equal(
      backoffMs(5, 60_000, () => 0),
      100,
    );
    assert.equal(
      backoffMs(5, 60_000, () => 0.5),
      8000,
    );
  });
});
