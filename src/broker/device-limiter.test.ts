import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DeviceLimiter } from './device-limiter.ts';

const opts = {
  publishRatePerSec: 10,
  publishBurst: 5,
  connectRatePerMinute: 3,
  takeoverRatePerMinute: 6,
  takeoverBurst: 2,
};

describe('DeviceLimiter', () => {
  it('gives an identity one publish bucket, whatever its connections', () => {
    const l = new DeviceLimiter(opts);
    let ok = 0;
    for (let i = 0; i < 20; i++) if (l.publish('dev-0001', 1000)) ok++;
    assert.equal(ok, 5);
    assert.equal(l.publish('dev-0001', 1000), false);
    assert.equal(l.publish('dev-0002', 1000), true, 'another identity has its own bucket');
    assert.equal(l.publish('dev-0001', 1100), true, 'refills at the rate (10/s: one per 100 ms)');
  });

  it('limits CONNECTs per identity per minute, burst included', () => {
    const l = new DeviceLimiter(opts);
    const got = [0, 1, 2, 3].map(() => l.connect('dev-0001', 0));
    assert.deepEqual(got, [true, true, true, false]);
    assert.equal(l.connect('dev-0001', 19_000), false);
    assert.equal(l.connect('dev-0001', 20_000), true, 'one more after 60/3 s');
  });

  it('limits takeovers: a burst of two, then one every 10 s', () => {
    const l = new DeviceLimiter(opts);
    assert.deepEqual(
      [l.takeover('d-01', 0), l.takeover('d-01', 0), l.takeover('d-01', 0)],
      [true, true, false],
    );
    assert.equal(l.takeover('d-01', 9_000), false);
    assert.equal(l.takeover('d-01', 10_000), true);
  });

  it('forgets only identities whose buckets are full again', () => {
    const l = new DeviceLimiter(opts);
    l.publish('dev-0001', 0);
    l.connect('dev-0002', 30_000);
    assert.equal(l.sweep(59_999), 2);
    assert.equal(l.sweep(60_000), 1, 'dev-0001 idle for 60 s: forgotten');
    // Forgetting changed nothing: the bucket it starts again with is full.
    assert.equal(l.connect('dev-0002', 60_001), true);
    assert.equal(l.sweep(200_000), 0);
  });
});
