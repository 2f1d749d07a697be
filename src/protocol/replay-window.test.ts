import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ReplayWindow } from './replay-window.ts';

const fp = (n: number) => Buffer.from(n.toString(16).padStart(16, '0'), 'hex');

describe('ReplayWindow (RFC 4303 §3.4.3 style)', () => {
  it('accepts increasing seq numbers', () => {
    const w = new ReplayWindow(1024);
    for (let s = 0; s < 3000; s++) {
      assert.equal(w.check(s, fp(s)), null);
      w.accept(s, fp(s));
    }
    assert.equal(w.highest, 2999);
  });

  it('rejects an envelope whose seq was already seen', () => {
    const w = new ReplayWindow(1024);
    w.accept(10, fp(10));
    w.accept(12, fp(12));
    assert.equal(w.check(10, fp(99)), 'VIGIL_ERR_REPLAY');
    assert.equal(w.check(12, fp(98)), 'VIGIL_ERR_REPLAY');
  });

  it('accepts out-of-order seq inside the window exactly once', () => {
    const w = new ReplayWindow(1024);
    w.accept(2000, fp(2000));
    assert.equal(w.check(1500, fp(1500)), null);
    w.accept(1500, fp(1500));
    assert.equal(w.check(1500, fp(77)), 'VIGIL_ERR_REPLAY');
    assert.equal(w.check(1499, fp(1499)), null);
  });

  it('rejects seq older than the window at its exact edge', () => {
    const w = new ReplayWindow(1024);
    w.accept(5000, fp(5000));
    assert.equal(w.check(5000 - 1023, fp(1)), null);
    assert.equal(w.check(5000 - 1024, fp(2)), 'VIGIL_ERR_REPLAY_TOO_OLD');
  });

  it('rejects a fresh seq that reuses a nonce seen inside the window', () => {
    const w = new ReplayWindow(1024);
    w.accept(1, fp(42));
    assert.equal(w.check(2, fp(42)), 'VIGIL_ERR_NONCE_REUSE');
  });

  it('keeps its bits across shifts of every size', () => {
    const w = new ReplayWindow(128);
    const accepted = new Set<number>();
    let s = 100;
    for (const step of [1, 3, 7, 8, 9, 15, 16, 17, 64, 127, 1, 2, 200, 5]) {
      s += step;
      w.accept(s, fp(s));
      accepted.add(s);
    }
    for (let q = w.highest - 127; q <= w.highest; q++) {
      const expected = accepted.has(q) ? 'VIGIL_ERR_REPLAY' : null;
      assert.equal(w.check(q, fp(100000 + q)), expected, `seq ${q}`);
    }
  });

  it('survives a restart through its persisted state', () => {
    const w = new ReplayWindow(1024);
    for (const s of [3, 4, 9]) w.accept(s, fp(s));
    const restored = new ReplayWindow(1024, w.state());
    assert.equal(restored.check(4, fp(500)), 'VIGIL_ERR_REPLAY');
    assert.equal(restored.check(5, fp(9)), 'VIGIL_ERR_NONCE_REUSE');
    assert.equal(restored.check(5, fp(5)), null);
  });

  it('forget() lets a message that failed to store be redelivered', () => {
    const w = new ReplayWindow(1024);
    w.accept(7, fp(7));
    w.forget(7, fp(7));
    assert.equal(w.check(7, fp(7)), null);
  });
});

describe('ReplayWindow nonce ring', () => {
  it('forgets nonces that slid out of the ring and keeps the newest', () => {
    const w = new ReplayWindow(64);
    for (let s = 0; s < 200; s++) w.accept(s, fp(s));
    assert.equal(w.check(1000, fp(10)), null, 'old nonce no longer remembered');
    assert.equal(w.check(1000, fp(199)), 'VIGIL_ERR_NONCE_REUSE');
    const restored = new ReplayWindow(64, w.state());
    assert.equal(restored.state().nonces.length, 64 * 8);
    assert.deepEqual(restored.state().nonces, w.state().nonces);
    assert.equal(restored.check(1000, fp(150)), 'VIGIL_ERR_NONCE_REUSE');
    assert.equal(restored.check(1000, fp(135)), null);
  });
});
