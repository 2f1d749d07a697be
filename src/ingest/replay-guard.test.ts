import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ReplayWindow } from '../protocol/replay-window.ts';
import type { ReplayStateRecord } from '../storage/store.ts';
import { LEFT_TO_STORE_MAX_AGE_MS, ReplayGuard, type ReplayMark } from './replay-guard.ts';

const fp = (n: number) => Buffer.from(n.toString(16).padStart(16, '0'), 'hex');
const NEW = Buffer.alloc(8, 0xee);

async function guard(saved: ReplayStateRecord | null = null) {
  const g = new ReplayGuard({ getReplayState: async () => saved }, 1024, () => 1);
  await g.load('dev-0001');
  return g;
}

function accept(g: ReplayGuard, seq: number): ReplayMark {
  const m = g.checkAndAccept('dev-0001', seq, fp(seq));
  assert.equal(typeof m, 'object', `seq ${seq} accepted`);
  return m as ReplayMark;
}

describe('ReplayGuard', () => {
  it('refuses a seq already accepted, even while its transaction is still pending', async () => {
    const g = await guard();
    accept(g, 1);
    assert.equal(g.checkAndAccept('dev-0001', 1, NEW), 'VIGIL_ERR_REPLAY');
    assert.equal(g.checkAndAccept('dev-0001', 2, fp(1)), 'VIGIL_ERR_NONCE_REUSE');
  });

  it('prepares for a transaction the committed state plus its own marks only', async () => {
    const g = await guard();
    const [m1, m2, m3] = [accept(g, 1), accept(g, 2), accept(g, 3)];
    const [st] = g.prepare([m1, m2]);
    const w = new ReplayWindow(1024, st);
    assert.equal(st?.highest, 2);
    assert.deepEqual(st?.nonces, Buffer.concat([fp(1), fp(2)]), 'only the fingerprints of its own marks');
    assert.equal(w.check(3, fp(3)), null, 'seq 3 waits for a later transaction: not in this state');
    g.committed([m1, m2], st ? [st] : []);
    const [next] = g.prepare([m3]);
    assert.equal(
      new ReplayWindow(1024, next).check(1, NEW),
      'VIGIL_ERR_REPLAY',
      'built on the committed state',
    );
  });

  it('after an aborted transaction, accepts its seqs and nonces again and keeps the ones still queued', async () => {
    const g = await guard();
    const committed = accept(g, 1);
    const [st] = g.prepare([committed]);
    g.committed([committed], st ? [st] : []);
    const failed = [accept(g, 2), accept(g, 3)];
    accept(g, 4); // queued behind the failing transaction
    g.aborted(failed);
    assert.equal(g.checkAndAccept('dev-0001', 1, NEW), 'VIGIL_ERR_REPLAY');
    assert.equal(
      g.checkAndAccept('dev-0001', 9, fp(1)),
      'VIGIL_ERR_NONCE_REUSE',
      'the committed nonce is kept',
    );
    assert.equal(g.checkAndAccept('dev-0001', 4, NEW), 'VIGIL_ERR_REPLAY');
    // In any order, seq and nonce alike.
    assert.equal(typeof g.checkAndAccept('dev-0001', 2, fp(2)), 'object');
    assert.equal(typeof g.checkAndAccept('dev-0001', 3, fp(3)), 'object');
  });

  it('release() gives one seq back', async () => {
    const g = await guard();
    const m = accept(g, 7);
    g.release(m);
    assert.equal(typeof g.checkAndAccept('dev-0001', 7, fp(7)), 'object');
  });

  it('starts from the persisted state after a restart', async () => {
    const first = await guard();
    const m = accept(first, 41);
    const [st] = first.prepare([m]);
    // What the store holds after that one transaction (its update: the same fields).
    const again = await guard(st ?? null);
    assert.equal(again.checkAndAccept('dev-0001', 41, NEW), 'VIGIL_ERR_REPLAY');
    assert.equal(again.checkAndAccept('dev-0001', 42, fp(41)), 'VIGIL_ERR_NONCE_REUSE');
  });

  it('loads a device once, however many messages wait for it', async () => {
    let loads = 0;
    const g = new ReplayGuard(
      {
        getReplayState: async () => {
          loads++;
          return null;
        },
      },
      1024,
      () => 1,
    );
    await Promise.all([g.load('dev-0001'), g.load('dev-0001'), g.load('dev-0001')]);
    assert.equal(g.load('dev-0001'), undefined, 'no promise once loaded');
    assert.equal(loads, 1);
  });

  it('holds no seq once its transaction committed or failed (nothing outstanding grows)', async () => {
    const g = await guard();
    const a = [accept(g, 1), accept(g, 2)];
    const b = [accept(g, 3)];
    assert.equal(g.pending('dev-0001'), 3);
    g.committed(a, g.prepare(a));
    assert.equal(g.pending('dev-0001'), 1);
    g.aborted(b);
    assert.equal(g.pending('dev-0001'), 0);
    assert.equal(g.pending('dev-0404'), 0);
  });

  it('commits the state prepare() returned: the next transaction builds on it', async () => {
    const g = await guard();
    const a = [accept(g, 500)];
    const states = g.prepare(a);
    g.committed(a, states);
    const b = [accept(g, 501)];
    const [next] = g.prepare(b);
    assert.equal(next?.highest, 501);
    assert.equal(new ReplayWindow(1024, next).check(500, NEW), 'VIGIL_ERR_REPLAY');
    g.aborted(b);
    assert.equal(
      g.checkAndAccept('dev-0001', 500, NEW),
      'VIGIL_ERR_REPLAY',
      'the committed seq stays after an abort',
    );
  });

  it('settled() waits for a pending seq: resolves once it is committed, or given back with the seq free again', async () => {
    const g = await guard();
    assert.equal(g.settled('dev-0001', 1), undefined, 'nothing to wait for: not accepted');
    const a = accept(g, 1);
    const b = accept(g, 2);
    let aDone = false;
    const waitA = g.settled('dev-0001', 1)?.then(() => {
      aDone = true;
    });
    assert.ok(waitA);
    await new Promise((r) => setImmediate(r));
    assert.equal(aDone, false, 'still pending');
    g.committed([a], g.prepare([a]));
    await waitA;
    assert.equal(g.settled('dev-0001', 1), undefined, 'committed: a copy is a replay now');
    assert.equal(g.checkAndAccept('dev-0001', 1, NEW), 'VIGIL_ERR_REPLAY');
    const waitB = g.settled('dev-0001', 2);
    g.aborted([b]);
    await waitB;
    assert.equal(typeof g.checkAndAccept('dev-0001', 2, fp(2)), 'object', 'given back: taken again');
  });

  it('refuses a seq below its window when it alone holds the replay state (one process)', async () => {
    const g = await guard({
      deviceId: 'dev-0001',
      highest: 5000,
      bitmap: Buffer.alloc(128),
      nonces: Buffer.alloc(0),
      updatedAt: 1,
    });
    assert.equal(g.checkAndAccept('dev-0001', 100, fp(100)), 'VIGIL_ERR_REPLAY_TOO_OLD');
  });

  it('leaves a seq below its window to a store shared by several workers, once per outstanding copy', async () => {
    // The window was loaded after another worker committed up to 5000; this worker's own share
    // (seq 100, acknowledged by the broker long ago) arrives only now.
    const saved = {
      deviceId: 'dev-0001',
      highest: 5000,
      bitmap: Buffer.alloc(128, 0xff),
      nonces: Buffer.alloc(0),
      updatedAt: 1,
    };
    const g = new ReplayGuard({ getReplayState: async () => saved, judgesReplay: true }, 1024, () => 1);
    await g.load('dev-0001');
    const m = accept(g, 100);
    assert.equal(g.checkAndAccept('dev-0001', 100, NEW), 'VIGIL_ERR_REPLAY_TOO_OLD', 'a copy waits for it');
    assert.ok(g.settled('dev-0001', 100), 'the copy is told when the original settles');
    const [st] = g.prepare([m]);
    assert.equal(st?.highest, 5000, 'the window does not move for a seq below it');
    assert.deepEqual(st?.bitmap, saved.bitmap);
    g.committed([m], st ? [st] : []);
    // Settled: a further copy goes to the store, which refuses it as stored (postgres-ingest.ts).
    assert.equal(typeof g.checkAndAccept('dev-0001', 100, NEW), 'object');
    // A message sealed a week ago or more stays refused here: retention may have dropped its rows.
    assert.equal(
      g.checkAndAccept('dev-0001', 101, fp(101), LEFT_TO_STORE_MAX_AGE_MS),
      'VIGIL_ERR_REPLAY_TOO_OLD',
    );
    // Inside the window nothing changes: a marked seq is still refused here.
    assert.equal(g.checkAndAccept('dev-0001', 4999, NEW), 'VIGIL_ERR_REPLAY');
    // A week is 604,800,000 ms: sealed a millisecond less ago, it is still the store's to judge,
    // also while another seq of the device waits for its transaction.
    assert.equal(typeof g.checkAndAccept('dev-0001', 102, fp(102), 604_799_999), 'object');
    assert.equal(typeof g.checkAndAccept('dev-0001', 103, fp(103)), 'object');
    assert.equal(g.checkAndAccept('dev-0001', 104, fp(104), 604_800_000), 'VIGIL_ERR_REPLAY_TOO_OLD');
  });

  it('loads a device again after a failed load, instead of keeping the failure', async () => {
    let fail = true;
    const g = new ReplayGuard(
      {
        getReplayState: async () => {
          if (fail) throw new Error('database is locked');
          return null;
        },
      },
      1024,
      () => 1,
    );
    await assert.rejects(g.load('dev-0001') ?? Promise.resolve(), /locked/);
    fail = false;
    await g.load('dev-0001');
    assert.equal(typeof g.checkAndAccept('dev-0001', 1, fp(1)), 'object');
  });

  it('says which device is not loaded instead of failing on it', async () => {
    const g = await guard();
    assert.throws(() => g.checkAndAccept('dev-0404', 1, fp(1)), /replay window for dev-0404 not loaded/);
    assert.throws(
      () => g.prepare([{ deviceId: 'dev-0404', seq: 1, nonceFp: fp(1) }]),
      /replay window for dev-0404 not loaded/,
    );
    assert.equal(g.settled('dev-0404', 1), undefined, 'nothing to wait for on a device not loaded');
  });

  it('gives every waiter on one pending seq the same wake-up, and settles marks nobody waits on', async () => {
    const g = await guard();
    const a = accept(g, 1);
    const b = accept(g, 2);
    const first = g.settled('dev-0001', 1);
    assert.ok(first);
    assert.equal(g.settled('dev-0001', 1), first, 'the same promise for a second copy');
    g.committed([b, a], g.prepare([b, a]));
    await first;
    assert.equal(g.pending('dev-0001'), 0);
  });

  it('keeps exactly one fingerprint per committed seq, so an abort restores every recent nonce', async () => {
    const g = await guard();
    for (let seq = 1; seq <= 600; seq++) {
      const m = [accept(g, seq)];
      g.committed(m, g.prepare(m));
    }
    g.aborted([accept(g, 601)]);
    // 600 fingerprints fit the 1024 of the window: the oldest is still known after the rebuild.
    assert.equal(g.checkAndAccept('dev-0001', 700, fp(1)), 'VIGIL_ERR_NONCE_REUSE');
  });
});
