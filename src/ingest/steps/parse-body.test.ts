import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseBody } from './parse-body.ts';
import { codeOf, messageContext, NOW, runBefore, sample, stepDeps, testDevice } from './steps.fixture.ts';

const gcm = testDevice();
const clear = testDevice('probe-clear-1', 'temperature-probe', 'none');

async function codeFor(d: typeof gcm, body: unknown, channel: 'telemetry' | 'events' | 'acks' = 'telemetry') {
  const deps = stepDeps([d]);
  const ctx = messageContext(d, body, { channel });
  await runBefore(parseBody, ctx, deps);
  return { code: await codeOf(parseBody, ctx, deps), ctx };
}

describe('parseBody', () => {
  it("reads samples by the device's profile, events and acks", async () => {
    const t = await codeFor(gcm, { samples: [sample()] });
    assert.equal(t.code, null);
    assert.equal(t.ctx.samples?.[0]?.temp_c, 4.6);
    const e = await codeFor(gcm, { type: 'door', state: 'open' }, 'events');
    assert.equal(e.ctx.event?.type, 'door');
    const a = await codeFor(gcm, { id: '6f1c2f4e-8a4b-4e1a-9a57-0d6c1b7e2a10', ok: true }, 'acks');
    assert.equal(a.ctx.ack?.ok, true);
  });

  it('refuses constructor and __proto__ as event types or member names, without throwing a TypeError', async () => {
    for (const body of [
      '{"type":"constructor"}',
      '{"type":"__proto__"}',
      '{"type":"toString"}',
      '{"type":"note","constructor":1}',
      '{"type":"note","__proto__":1}',
    ]) {
      assert.equal((await codeFor(gcm, body, 'events')).code, 'VIGIL_ERR_BODY_SCHEMA', body);
    }
  });

  it('refuses a dispatch event from a device provisioned with alg none (its token travelled in clear)', async () => {
    const dispatch = { type: 'dispatch', batch: 'LOT-1', token: 'K7P2QX9M' };
    assert.equal((await codeFor(clear, dispatch, 'events')).code, 'VIGIL_ERR_CLEARTEXT_SECRET');
    assert.equal((await codeFor(gcm, dispatch, 'events')).code, null);
    assert.equal((await codeFor(clear, { type: 'door', state: 'open' }, 'events')).code, null);
  });

  it('refuses duplicate members at any depth and integers not in plain form in the body', async () => {
    const s = `{"ts":${NOW},"temp_c":4.6,"rh_pct":51.2,"lat":52.37,"lon":4.89,"bat_pct":88,"power":"mains"}`;
    for (const body of [
      `{"samples":[${s}],"samples":[${s}]}`,
      `{"samples":[${s.replace('"temp_c":4.6', '"temp_c":4.6,"temp_c":40')}]}`,
      `{"samples":[${s.replace(`"ts":${NOW}`, `"ts":${NOW}.0`)}]}`,
      `{"samples":[${s.replace(`"ts":${NOW}`, '"ts":1.7953056e12')}]}`,
      `{"samples":[${s.replace('"power"', '"rssi_dbm":-70.0,"power"')}]}`,
      `\ufeff{"samples":[${s}]}`,
    ]) {
      assert.equal((await codeFor(gcm, body)).code, 'VIGIL_ERR_BODY_SCHEMA', body);
    }
    assert.equal(
      (await codeFor(gcm, `{"samples":[${s.replace('"bat_pct":88', '"bat_pct":88.0')}]}`)).code,
      null,
    );
  });
});
