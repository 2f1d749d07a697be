import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ReconnectPolicy } from './reconnect-policy.ts';

describe('device reconnection policy', () => {
  it('backs off exponentially with full jitter up to the cap, moving down the broker list', () => {
    const p = new ReconnectPolicy(['a', 'b', 'c'], { baseMs: 1000, capMs: 5000, stableMs: 60_000 });
    assert.equal(p.current, 'a');
    assert.equal(p.failed(0.999), 999);
    assert.equal(p.current, 'b');
    assert.equal(p.failed(0.999), 1998);
    assert.equal(p.current, 'c');
    assert.equal(p.failed(0.999), 3996);
    assert.equal(p.failed(0.999), 4995, 'capped');
    assert.equal(p.failed(0), 0, 'full jitter reaches zero');
    p.connected();
    assert.equal(p.failed(0.5), 500, 'a connection starts the backoff over');
  });

  it('retries the same broker once after a lost connection, then returns to the primary after the stable period', () => {
    const p = new ReconnectPolicy(['a', 'b'], { baseMs: 1000, capMs: 5000, stableMs: 60_000 });
    p.failed(0);
    assert.equal(p.current, 'b');
    p.connected();
    assert.equal(p.shouldReturn(59_999), false);
    assert.equal(p.shouldReturn(60_000), true);
    assert.ok(p.lost(0.999) < 1000);
    assert.equal(p.current, 'b', 'a blip: same broker first');
    p.returnToPrimary();
    assert.equal(p.current, 'a');
    assert.equal(p.shouldReturn(1e9), false, 'on the primary there is nothing to return to');
  });
});
