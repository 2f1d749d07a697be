import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkSampleTimes } from './check-sample-times.ts';
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

async function codeFor(body: unknown, channel: 'telemetry' | 'events' = 'telemetry') {
  const deps = stepDeps([d]);
  const ctx = messageContext(d, body, { channel, ts: NOW });
  await runBefore(checkSampleTimes, ctx, deps);
  return codeOf(checkSampleTimes, ctx, deps);
}

describe('checkSampleTimes', () => {
  it("refuses a sample whose own ts is beyond the skew, although the envelope's ts is now", async () => {
    assert.equal(await codeFor({ samples: [sample(NOW), sample(NOW + 300_001)] }), 'VIGIL_ERR_TS_FUTURE');
  });

  it('accepts samples up to the skew ahead, and old ones (backfill)', async () => {
    assert.equal(await codeFor({ samples: [sample(NOW + 300_000), sample(NOW - 86_400_000)] }), null);
  });

  it('says which ts was ahead and by how much', async () => {
    for (const [body, channel, detail] of [
      [{ samples: [sample(NOW + 400_000)] }, 'telemetry', 'sample ts 400000 ms ahead'],
      [{ type: 'door', state: 'open', ts: NOW + 500_000 }, 'events', 'event ts 500000 ms ahead'],
    ] as const) {
      const deps = stepDeps([d]);
      const ctx = messageContext(d, body, { channel, ts: NOW });
      await runBefore(checkSampleTimes, ctx, deps);
      assert.deepEqual(await refusalOf(checkSampleTimes, ctx, deps), { code: 'VIGIL_ERR_TS_FUTURE', detail });
    }
  });

  it('passes an event without its own ts', async () => {
    assert.equal(await codeFor({ type: 'door', state: 'open' }, 'events'), null);
  });

  it('refuses an event whose own ts is beyond the skew', async () => {
    assert.equal(
      await codeFor({ type: 'door', state: 'open', ts: NOW + 300_001 }, 'events'),
      'VIGIL_ERR_TS_FUTURE',
    );
    assert.equal(await codeFor({ type: 'door', state: 'open', ts: NOW + 300_000 }, 'events'), null);
  });
});
