import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { codeOf, messageContext, runBefore, sample, stepDeps, testDevice } from './steps.fixture.ts';
import { verifyMac } from './verify-mac.ts';

const d = testDevice();
const deps = stepDeps([d]);

describe('verifyMac', () => {
  it('passes a MAC made with the device key over the topic channel', async () => {
    const ctx = messageContext(d, { samples: [sample()] });
    await runBefore(verifyMac, ctx, deps);
    assert.equal(await codeOf(verifyMac, ctx, deps), null);
  });

  it('refuses a changed body, a changed header field and another channel', async () => {
    const flip = (s: string) =>
      s[5] === 'A' ? `${s.slice(0, 5)}B${s.slice(6)}` : `${s.slice(0, 5)}A${s.slice(6)}`;
    const ctx = messageContext(d, { samples: [sample()] });
    await runBefore(verifyMac, ctx, deps);
    for (const env of [
      { ...ctx.env, b: flip(ctx.env.b) },
      { ...ctx.env, ts: ctx.env.ts - 1 },
      { ...ctx.env, mac: flip(ctx.env.mac) },
    ]) {
      assert.equal(await codeOf(verifyMac, { ...ctx, env }, deps), 'VIGIL_ERR_MAC_INVALID');
    }
    assert.equal(await codeOf(verifyMac, { ...ctx, channel: 'events' }, deps), 'VIGIL_ERR_MAC_INVALID');
  });

  it('refuses a MAC made with another key', async () => {
    const ctx = messageContext(d, { samples: [sample()] });
    await runBefore(verifyMac, ctx, deps);
    const other = testDevice('truck-9999');
    assert.equal(await codeOf(verifyMac, { ...ctx, keys: other.keys }, deps), 'VIGIL_ERR_MAC_INVALID');
  });
});
