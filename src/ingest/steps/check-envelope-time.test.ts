import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkEnvelopeTime } from './check-envelope-time.ts';
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
const deps = stepDeps([d]);

async function codeFor(ts: number) {
  const ctx = messageContext(d, { samples: [sample()] }, { ts });
  await runBefore(checkEnvelopeTime, ctx, deps);
  return codeOf(checkEnvelopeTime, ctx, deps);
}

describe('checkEnvelopeTime', () => {
  it('accepts a ts up to the allowed skew ahead, and any old ts (backfill)', async () => {
    assert.equal(await codeFor(NOW + 300_000), null);
    assert.equal(await codeFor(NOW - 30 * 86_400_000), null);
  });

  it('refuses a ts one millisecond beyond the skew, saying how far ahead it is', async () => {
    assert.equal(await codeFor(NOW + 300_001), 'VIGIL_ERR_TS_FUTURE');
    const ctx = messageContext(d, { samples: [sample()] }, { ts: NOW + 400_000 });
    await runBefore(checkEnvelopeTime, ctx, deps);
    assert.deepEqual(await refusalOf(checkEnvelopeTime, ctx, deps), {
      code: 'VIGIL_ERR_TS_FUTURE',
      detail: '400000 ms ahead',
    });
  });
});
