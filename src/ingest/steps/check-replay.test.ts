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
  it('takes the seq (the mark) once and refuses the same message again', async () => {
    const deps = stepDeps([d]);
    const ctx = messageContext(d, { samples: [sample()] }, { seq: 5 });
    await runBefore(checkReplay, ctx, deps);
    assert.equal(await codeOf(checkReplay, ctx, deps), null);
    assert.deepEqual([ctx.mark?.deviceId, ctx.mark?.seq], [d.id, 5]);
    const again = { ...ctx, mark: undefined };
    assert.deepEqual(await refusalOf(checkReplay, again, deps), {
      code: 'VIGIL_ERR_REPLAY',
      detail: 'seq 5',
    });
    assert.equal(again.mark, undefined);
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
  });
});
