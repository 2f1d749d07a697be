import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkReplay } from './check-replay.ts';
import { RECEIVER_STEPS } from './receiver-steps.ts';
import { messageContext, NOW, sample, stepDeps, testDevice } from './steps.fixture.ts';

describe('RECEIVER_STEPS', () => {
  it('runs in the order of docs/protocol.md §6.2', () => {
    assert.deepEqual(
      RECEIVER_STEPS.map((s) => s.name),
      [
        'parseTopic',
        'parseEnvelopeStep',
        'resolveDevice',
        'checkAlg',
        'verifyMac',
        'checkEnvelopeTime',
        'checkReplay',
        'decryptBody',
        'parseBody',
        'checkSampleTimes',
        'buildRecords',
      ],
    );
  });

  it('never awaits after the replay step (check-and-accept and enqueue stay one step)', async () => {
    const d = testDevice();
    const deps = stepDeps([d]);
    const ctx = messageContext(d, { samples: [sample(NOW)] });
    const after = RECEIVER_STEPS.slice(RECEIVER_STEPS.indexOf(checkReplay) + 1);
    for (const s of RECEIVER_STEPS.slice(0, RECEIVER_STEPS.indexOf(checkReplay) + 1)) await s(ctx, deps);
    for (const s of after) assert.equal(s(ctx, deps), undefined, `${s.name} returns synchronously`);
    assert.equal(ctx.readings.length, 1);
  });
});
