import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { advanceWindowState, ReplayWindow } from './replay-window.ts';

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

/** A small deterministic generator (xorshift32), so the property test below is reproducible. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 0x100000000;
  };
}

describe('advanceWindowState (the state persisted with a transaction)', () => {
  it('equals the state of a window that accepted the same seqs in the same order', () => {
    for (const seed of [1, 2, 3, 4, 5, 6, 7, 8]) {
      const rand = rng(seed);
      const size = 64 * (1 + Math.floor(rand() * 3));
      const live = new ReplayWindow(size);
      let persisted = advanceWindowState(size, null, []);
      let next = 0;
      for (let commit = 0; commit < 40; commit++) {
        const batch: { seq: number; nonceFp: Buffer }[] = [];
        const n = Math.floor(rand() * 12);
        for (let i = 0; i < n; i++) {
          // Mostly increasing, with jumps and some out-of-order seqs inside the window.
          const r = rand();
          let seq: number;
          if (r < 0.7) seq = ++next;
          else if (r < 0.85) {
            next += 1 + Math.floor(rand() * 3 * size);
            seq = next;
          } else seq = next - Math.floor(rand() * (size - 1));
          const nonceFp = fp(seed * 1_000_000 + commit * 100 + i);
          if (seq < 0 || live.check(seq, nonceFp) !== null) continue;
          live.accept(seq, nonceFp);
          batch.push({ seq, nonceFp });
        }
        persisted = advanceWindowState(size, persisted, batch);
        assert.deepEqual(persisted, live.state(), `seed ${seed}, commit ${commit}`);
      }
    }
  });

  it('leaves out seqs that were accepted after the transaction was built', () => {
    const live = new ReplayWindow(1024);
    const first = [1, 2, 3].map((seq) => ({ seq, nonceFp: fp(seq) }));
    for (const a of first) live.accept(a.seq, a.nonceFp);
    live.accept(4, fp(4)); // queued for the next transaction
    const persisted = new ReplayWindow(1024, advanceWindowState(1024, null, first));
    assert.equal(persisted.check(3, fp(33)), 'VIGIL_ERR_REPLAY');
    assert.equal(persisted.check(4, fp(4)), null, 'seq 4 is not in the persisted window');
  });

  it('does not change the state it starts from', () => {
    const prev = advanceWindowState(64, null, [{ seq: 5, nonceFp: fp(5) }]);
    const copy = {
      highest: prev.highest,
      bitmap: Buffer.from(prev.bitmap),
      nonces: Buffer.from(prev.nonces),
    };
    advanceWindowState(64, prev, [{ seq: 9, nonceFp: fp(9) }]);
    assert.deepEqual(prev, copy);
  });
});

describe('ReplayWindow memory', () => {
  it('grows its ring as a device sends and remembers exactly the last window of nonces', () => {
    const w = new ReplayWindow(1024);
    for (let s = 0; s < 1500; s++) {
      // Every nonce still remembered is refused under a fresh seq, at every size the ring passes.
      if (s > 0 && (s & (s - 1)) === 0)
        assert.equal(w.check(5000, fp(s - 1)), 'VIGIL_ERR_NONCE_REUSE', `after ${s}`);
      w.accept(s, fp(s));
    }
    for (const s of [476, 1000, 1499])
      assert.equal(w.check(5000, fp(s)), 'VIGIL_ERR_NONCE_REUSE', `nonce ${s}`);
    for (const s of [0, 475]) assert.equal(w.check(5000, fp(s)), null, `nonce ${s} slid out`);
    const expected = Buffer.concat(Array.from({ length: 1024 }, (_, k) => fp(476 + k)));
    assert.deepEqual(w.state().nonces, expected);
    assert.deepEqual(new ReplayWindow(1024, w.state()).state().nonces, expected);
  });
});
