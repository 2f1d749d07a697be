import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { macValidEnvelope, PREFIX } from '../ingest.fixture.ts';
import { decryptBody } from './decrypt-body.ts';
import { newMessageContext } from './message-context.ts';
import { codeOf, messageContext, NOW, runBefore, sample, stepDeps, testDevice } from './steps.fixture.ts';

describe('decryptBody', () => {
  for (const alg of ['A256GCM', 'ASCON128', 'none'] as const) {
    it(`opens a ${alg} body`, async () => {
      const d = testDevice(`probe-${alg.toLowerCase()}`, 'temperature-probe', alg);
      const deps = stepDeps([d]);
      const body = { samples: [{ ts: NOW, temp_c: -18.5 }] };
      const ctx = messageContext(d, body);
      await runBefore(decryptBody, ctx, deps);
      assert.equal(await codeOf(decryptBody, ctx, deps), null);
      assert.deepEqual(JSON.parse(ctx.body.toString('utf8')), body);
    });
  }

  for (const alg of ['A256GCM', 'ASCON128'] as const) {
    it(`refuses a ${alg} body shorter than its tag under a valid MAC with a typed error`, async () => {
      const d = testDevice(`probe-short-${alg.toLowerCase()}`, 'temperature-probe', alg);
      const deps = stepDeps([d]);
      const n = Buffer.alloc(alg === 'ASCON128' ? 16 : 12, 1).toString('base64url');
      const payload = macValidEnvelope(d, {
        seq: 1,
        ts: NOW,
        n,
        b: Buffer.alloc(5, 2).toString('base64url'),
      });
      const ctx = newMessageContext(
        { topic: `${PREFIX}/devices/${d.id}/telemetry`, payload, receivedAt: NOW, publisher: d.id },
        NOW,
      );
      await runBefore(decryptBody, ctx, deps);
      assert.equal(await codeOf(decryptBody, ctx, deps), 'VIGIL_ERR_DECRYPT');
    });
  }

  it('refuses a MAC-valid envelope whose ciphertext does not verify', async () => {
    const d = testDevice();
    const deps = stepDeps([d]);
    const good = messageContext(d, { samples: [sample()] });
    await runBefore(decryptBody, good, deps);
    const b = Buffer.from(good.env.b, 'base64url');
    b[0] = (b[0] ?? 0) ^ 1;
    const payload = macValidEnvelope(d, { seq: 2, ts: NOW, n: good.env.n, b: b.toString('base64url') });
    const ctx = newMessageContext({ ...good.msg, payload }, NOW);
    await runBefore(decryptBody, ctx, stepDeps([d]));
    assert.equal(await codeOf(decryptBody, ctx, deps), 'VIGIL_ERR_DECRYPT');
  });
});
