import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { learnedIntervalMs, onlineWindowMs } from './device-cadence.ts';

describe('learned reporting interval', () => {
  it('is the median gap between arrivals, so one long outage does not stretch it', () => {
    assert.equal(learnedIntervalMs([0, 60_000, 120_000, 180_000, 3_780_000]), 60_000);
  });

  it('counts a batch (one arrival time for many samples) once', () => {
    const batches = [0, 0, 0, 300_000, 300_000, 300_000, 600_000, 600_000];
    assert.equal(learnedIntervalMs(batches), 300_000);
  });

  it('does not guess from fewer than two gaps', () => {
    assert.equal(learnedIntervalMs([]), null);
    assert.equal(learnedIntervalMs([5, 10]), null);
  });
});

describe('online window', () => {
  it('is 2.5 expected intervals, never under 15 s, and the fallback when nothing was learned', () => {
    assert.equal(onlineWindowMs(60_000, 600_000), 150_000);
    assert.equal(onlineWindowMs(1_000, 600_000), 15_000);
    assert.equal(onlineWindowMs(null, 600_000), 600_000);
  });
});
