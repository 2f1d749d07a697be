import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { advanceSeqWindow, advanceWindowState, NonceRing, ReplayWindow } from './replay-window.ts';

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

/**
 * The rules of docs/protocol.md §6.3 written out plainly: every accepted (seq, fingerprint), in
 * order. A seq at or below the highest is too old once `size` or more below it, a replay when
 * accepted before; a fingerprint among the last `size` accepted is a reused nonce.
 */
class ReferenceWindow {
  readonly size: number;
  readonly seqs = new Set<number>();
  /** The accepted fingerprints, oldest first, as hex. */
  readonly fps: string[] = [];
  highest = -1;
  constructor(size: number) {
    this.size = size;
  }
  check(seq: number, nonceFp: Buffer): string | null {
    if (seq <= this.highest && this.highest - seq >= this.size) return 'VIGIL_ERR_REPLAY_TOO_OLD';
    if (this.seqs.has(seq)) return 'VIGIL_ERR_REPLAY';
    if (this.fps.slice(-this.size).includes(nonceFp.toString('hex'))) return 'VIGIL_ERR_NONCE_REUSE';
    return null;
  }
  accept(seq: number, nonceFp: Buffer): void {
    this.seqs.add(seq);
    this.fps.push(nonceFp.toString('hex'));
    this.highest = Math.max(this.highest, seq);
  }
}

describe('ReplayWindow against a reference model', () => {
  it('answers every check as the plain rules do, with fingerprints that collide in its table', () => {
    for (const seed of [11, 12, 13, 14]) {
      const rand = rng(seed);
      const size = seed % 2 ? 64 : 128;
      let live = new ReplayWindow(size);
      const ref = new ReferenceWindow(size);
      // Fingerprints whose first three bytes (the table key) take a few values at both ends of
      // every table size, so probe chains cluster and wrap around the end of the table.
      const homes = [0, 1, 2, 30, 31, 62, 63, 126, 127, 254, 255];
      const fingerprint = (k: number) => {
        const b = Buffer.alloc(8);
        b[0] = homes[k % homes.length] ?? 0;
        b.writeUInt32BE(k, 4);
        return b;
      };
      let next = 0;
      let fresh = 0;
      for (let step = 0; step < 1500; step++) {
        // Mostly the next seq, some jumps, some from the past (inside the window or older).
        const r = rand();
        let seq: number;
        if (r < 0.6) seq = ++next;
        else if (r < 0.75) {
          next += 1 + Math.floor(rand() * size * 1.5);
          seq = next;
        } else seq = Math.max(0, next - Math.floor(rand() * size * 1.2));
        // Mostly fresh fingerprints, sometimes one from the recent past (reuse, or slid out).
        let k: number;
        if (rand() < 0.8) k = ++fresh;
        else k = Math.max(1, fresh - Math.floor(rand() * size * 1.5));
        const nonceFp = fingerprint(k);
        const want = ref.check(seq, nonceFp);
        assert.equal(live.check(seq, nonceFp), want, `seed ${seed} step ${step}: seq ${seq}`);
        if (want === null) {
          live.accept(seq, nonceFp);
          ref.accept(seq, nonceFp);
        }
        // Restarts from the persisted state change nothing.
        if (step % 250 === 249) live = new ReplayWindow(size, live.state());
      }
      assert.ok(ref.fps.length > 900, `seed ${seed} accepted ${ref.fps.length}`);
    }
  });
});

describe('ReplayWindow edges', () => {
  it('refuses a window size below 64 or not a multiple of 8', () => {
    for (const size of [0, 56, 60, 63, 65, 100, 64.5, Number.NaN]) {
      assert.throws(
        () => new ReplayWindow(size),
        { message: 'window size must be a multiple of 8, >= 64' },
        String(size),
      );
    }
    for (const size of [64, 72, 1024]) assert.equal(new ReplayWindow(size).size, size);
  });

  it('remembers seq 0 once a higher seq arrived', () => {
    const w = new ReplayWindow(64);
    w.accept(0, fp(1));
    assert.equal(w.check(0, fp(2)), 'VIGIL_ERR_REPLAY');
    w.accept(1, fp(3));
    assert.equal(w.check(0, fp(4)), 'VIGIL_ERR_REPLAY');
    assert.equal(w.check(1, fp(4)), 'VIGIL_ERR_REPLAY');
    assert.equal(w.highest, 1);
  });

  it('starts empty: highest -1, nothing refused, a zero bitmap and no fingerprints', () => {
    const w = new ReplayWindow(64);
    assert.equal(w.highest, -1);
    assert.equal(w.check(0, fp(0)), null);
    assert.deepEqual(w.state(), { highest: -1, bitmap: Buffer.alloc(8), nonces: Buffer.alloc(0) });
  });

  it('restores a state saved by a larger window into a smaller one (the window size was lowered)', () => {
    const big = new ReplayWindow(1024);
    for (let s = 0; s < 300; s += 2) big.accept(s, fp(s));
    const small = new ReplayWindow(64, big.state());
    assert.equal(small.highest, 298);
    assert.equal(small.check(298 - 64, fp(9999)), 'VIGIL_ERR_REPLAY_TOO_OLD');
    assert.equal(small.check(298 - 62, fp(9999)), 'VIGIL_ERR_REPLAY');
    assert.equal(small.check(298 - 61, fp(9999)), null);
    // The last 64 fingerprints are kept, the older ones are not.
    assert.equal(small.check(1000, fp(298 - 2 * 63)), 'VIGIL_ERR_NONCE_REUSE');
    assert.equal(small.check(1000, fp(298 - 2 * 64)), null);
    assert.equal(small.state().nonces.length, 64 * 8);
  });
});

describe('NonceRing', () => {
  it('starts with 16 slots (or its capacity) and doubles up to its capacity as it fills', () => {
    assert.equal(new NonceRing(1024).slots, 16);
    assert.equal(new NonceRing(8).slots, 8);
    const r = new NonceRing(40);
    const grew: number[] = [];
    for (let i = 0; i < 100; i++) if (r.push(fp(i))) grew.push(i);
    assert.deepEqual(grew, [16, 32]);
    assert.equal(r.slots, 40);
    assert.equal(r.size, 40);
    assert.deepEqual(r.ordered(), Buffer.concat(Array.from({ length: 40 }, (_, k) => fp(60 + k))));
  });

  it('is sized for what it restores, and keeps the newest when given more than its capacity', () => {
    const saved = (n: number) => Buffer.concat(Array.from({ length: n }, (_, k) => fp(k)));
    assert.equal(new NonceRing(1024, saved(100)).slots, 128);
    assert.equal(new NonceRing(1024, saved(16)).slots, 16);
    assert.equal(new NonceRing(1024, saved(17)).slots, 32);
    const r = new NonceRing(64, saved(100));
    assert.equal(r.slots, 64);
    assert.deepEqual(r.ordered(), saved(100).subarray(36 * 8));
    // A trailing partial fingerprint is ignored.
    assert.equal(new NonceRing(64, Buffer.concat([saved(3), Buffer.alloc(5)])).size, 3);
  });

  it('reads entries oldest first across the end of its buffer', () => {
    const r = new NonceRing(16);
    for (let i = 0; i < 21; i++) r.push(fp(i));
    assert.equal(r.offsetOf(0), 5 * 8);
    assert.equal(r.offsetOf(11), 0);
    assert.deepEqual(r.ordered(), Buffer.concat(Array.from({ length: 16 }, (_, k) => fp(5 + k))));
    assert.deepEqual(r.bytes.subarray(0, 8), fp(16));
  });

  it('takes the fingerprint at an offset of a larger buffer', () => {
    const r = new NonceRing(16);
    r.push(Buffer.concat([fp(1), fp(2), fp(3)]), 8);
    assert.deepEqual(r.ordered(), fp(2));
  });
});

describe('advanceSeqWindow', () => {
  it('gives the highest seq and bitmap of a window that accepted the seqs, trimming a larger saved bitmap', () => {
    const w = new ReplayWindow(1024);
    for (const s of [5, 3, 900, 899]) w.accept(s, fp(s));
    const big = w.state();
    const got = advanceSeqWindow(64, big, [901, 870]);
    const small = new ReplayWindow(64, { ...big, nonces: Buffer.alloc(0) });
    for (const s of [901, 870]) small.accept(s, fp(s));
    assert.deepEqual(got, { highest: 901, bitmap: small.state().bitmap });
    assert.equal(got.bitmap.length, 8);
    assert.deepEqual(advanceSeqWindow(64, null, []), { highest: -1, bitmap: Buffer.alloc(8) });
    assert.deepEqual(w.state().bitmap, big.bitmap, 'the saved state is not changed');
  });
});
