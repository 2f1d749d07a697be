import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkAlg } from './check-alg.ts';
import {
  codeOf,
  messageContext,
  refusalOf,
  runBefore,
  sample,
  stepDeps,
  testDevice,
} from './steps.fixture.ts';

const d = testDevice();
const deps = stepDeps([d]);

describe('checkAlg', () => {
  it('passes the alg the device was provisioned with', async () => {
    const ctx = messageContext(d, { samples: [sample()] });
    await runBefore(checkAlg, ctx, deps);
    assert.equal(await codeOf(checkAlg, ctx, deps), null);
  });

  it('refuses alg none from an A256GCM device (a K_mac holder forging cleartext)', async () => {
    for (const alg of ['none', 'ASCON128'] as const) {
      const ctx = messageContext(d, { samples: [sample()] }, { alg });
      await runBefore(checkAlg, ctx, deps);
      assert.deepEqual(await refusalOf(checkAlg, ctx, deps), {
        code: 'VIGIL_ERR_ALG_MISMATCH',
        detail: `${alg} (provisioned A256GCM)`,
      });
    }
  });
});
