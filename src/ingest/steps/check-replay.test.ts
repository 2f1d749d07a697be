import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ReplayGuard } from '../replay-guard.ts';
import { checkReplay } from './check-replay.ts';
import {
  codeOf,
  messageContext,
  NOW,
  refusalOf,
  runBefore,
  sample,
  stepDeps,
  testDevice,
} from './steps.fixture.ts';

const d = testDevice();

describe('checkReplay', () => {
  it('takes the seq (the mark) once and refuses the same message again once it is stored', async () => {
    const guard = new ReplayGuard({ getReplayState: async () => null }, 1024, () => NOW);
    const deps = stepDeps([d], { replay: guard });
    const ctx = messageContext(d, { samples: [sample()] }, { seq: 5 });
    await runBefore(checkReplay, ctx, deps);
    assert.equal(await codeOf(checkReplay, ctx, deps), null);
    assert.deepEqual([ctx.mark?.deviceId, ctx.mark?.seq], [d.id, 5]);
    const marks = [ctx.mark as NonNullable<typeof ctx.mark>];
    guard.committed(marks, guard.prepare(marks));
    const again = { ...ctx, mark: undefined };
    assert.deepEqual(await refusalOf(checkReplay, again, deps), {
      code: 'VIGIL_ERR_REPLAY',
      detail: 'seq 5',
    });
    assert.equal(again.mark, undefined);
  });

  it('holds a copy of a seq whose transaction is pending until it settles: refused once stored, taken once given back', async () => {
    const guard = new ReplayGuard({ getReplayState: async () => null }, 1024, () => NOW);
    const deps = stepDeps([d], { replay: guard });
    const judge = async (seq: number) => {
      const ctx = messageContext(d, { samples: [sample()] }, { seq });
      await runBefore(checkReplay, ctx, deps);
      let settled = false;
      const code = codeOf(checkReplay, ctx, deps).finally(() => {
        settled = true;
      });
      return { ctx, code, settled: () => settled };
    };
    const first = await judge(7);
    assert.equal(await first.code, null);
    const copy = await judge(7);
    await new Promise((r) => setImmediate(r));
    assert.equal(copy.settled(), false, 'no verdict while the original is pending');
    const marks = [first.ctx.mark as NonNullable<typeof first.ctx.mark>];
    guard.committed(marks, guard.prepare(marks));
    assert.equal(await copy.code, 'VIGIL_ERR_REPLAY');

    const lost = await judge(8);
    assert.equal(await lost.code, null);
    const redelivered = await judge(8);
    await new Promise((r) => setImmediate(r));
    assert.equal(redelivered.settled(), false);
    guard.aborted([lost.ctx.mark as NonNullable<typeof lost.ctx.mark>]);
    assert.equal(await redelivered.code, null, 'the original failed: the copy takes the seq');
    assert.equal(redelivered.ctx.mark?.seq, 8);
  });

  it('refuses a fresh seq with a nonce already seen, and a seq older than the window', async () => {
    const deps = stepDeps([d]);
    const nonce = Buffer.alloc(12, 9);
    const first = messageContext(d, { samples: [sample()] }, { seq: 5000, nonce });
    await runBefore(checkReplay, first, deps);
    await checkReplay(first, deps);
    const reuse = messageContext(d, { samples: [sample()] }, { seq: 5001, nonce });
    await runBefore(checkReplay, reuse, deps);
    assert.equal(await codeOf(checkReplay, reuse, deps), 'VIGIL_ERR_NONCE_REUSE');
    const old = messageContext(d, { samples: [sample()] }, { seq: 5000 - 1024 });
    await runBefore(checkReplay, old, deps);
    assert.equal(await codeOf(checkReplay, old, deps), 'VIGIL_ERR_REPLAY_TOO_OLD');
  });

  it('turns a failed replay-state load into a storage failure and takes no seq', async () => {
    const failing = new ReplayGuard(
      {
        getReplayState: async () => {
          throw new Error('disk I/O error');
        },
      },
      1024,
      () => NOW,
    );
    const deps = stepDeps([d], { replay: failing });
    const ctx = messageContext(d, { samples: [sample()] });
    await runBefore(checkReplay, ctx, deps);
    assert.deepEqual(await refusalOf(checkReplay, ctx, deps), {
      code: 'VIGIL_ERR_STORE',
      detail: 'replay state lookup failed',
    });
    assert.equal(ctx.mark, undefined);
    await assert.rejects(checkReplay(ctx, deps), (e: unknown) => (e as Error).cause instanceof Error);
  });

  it('gives up after 8 waits on a copy that stays pending, as a storage failure (no acknowledgement)', async () => {
    let checks = 0;
    const deps = stepDeps([d], {
      replay: {
        load: () => undefined,
        checkAndAccept: () => {
          checks++;
          return 'VIGIL_ERR_REPLAY';
        },
        settled: () => Promise.resolve(),
      },
    });
    const ctx = messageContext(d, { samples: [sample()] }, { seq: 9 });
    await runBefore(checkReplay, ctx, deps);
    assert.deepEqual(await refusalOf(checkReplay, ctx, deps), {
      code: 'VIGIL_ERR_STORE',
      detail: 'seq 9 still pending',
    });
    assert.equal(checks, 9, 'the first check and one after each of 8 waits');
  });

  it('tells the replay window how long ago the envelope was sealed', async () => {
    const ages: (number | undefined)[] = [];
    const guard = new ReplayGuard({ getReplayState: async () => null }, 1024, () => NOW);
    const deps = stepDeps([d], {
      replay: {
        load: (id) => guard.load(id),
        settled: (id, seq) => guard.settled(id, seq),
        checkAndAccept: (id, seq, fp, sentAgoMs) => {
          ages.push(sentAgoMs);
          return guard.checkAndAccept(id, seq, fp, sentAgoMs);
        },
      },
    });
    const ctx = messageContext(d, { samples: [sample(NOW - 90_000)] }, { seq: 3, ts: NOW - 60_000 });
    await runBefore(checkReplay, ctx, deps);
    assert.equal(await codeOf(checkReplay, ctx, deps), null);
    assert.deepEqual(ages, [60_000]);
  });
});
