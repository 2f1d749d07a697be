import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { resolveDevice } from './resolve-device.ts';
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

describe('resolveDevice', () => {
  it('sets the device record and its keys', async () => {
    const deps = stepDeps([d]);
    const ctx = messageContext(d, { samples: [sample()] });
    await runBefore(resolveDevice, ctx, deps);
    assert.equal(await codeOf(resolveDevice, ctx, deps), null);
    assert.equal(ctx.device.id, d.id);
    assert.equal(ctx.keys, d.keys);
  });

  it("passes on the keyring's refusal (unknown device, unknown kid)", async () => {
    const ctx = messageContext(d, { samples: [sample()] });
    await runBefore(resolveDevice, ctx, stepDeps([d]));
    assert.equal(await codeOf(resolveDevice, ctx, stepDeps([])), 'VIGIL_ERR_UNKNOWN_DEVICE');
    const kid2 = messageContext(d, { samples: [sample()] }, { kid: 2 });
    await runBefore(resolveDevice, kid2, stepDeps([d]));
    assert.equal(await codeOf(resolveDevice, kid2, stepDeps([d])), 'VIGIL_ERR_UNKNOWN_KID');
  });

  it('turns a failed lookup into a storage failure, not a rejection', async () => {
    const deps = stepDeps([d], {
      keyring: {
        resolve: async () => {
          throw Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' });
        },
      },
    });
    const ctx = messageContext(d, { samples: [sample()] });
    await runBefore(resolveDevice, ctx, deps);
    assert.deepEqual(await refusalOf(resolveDevice, ctx, deps), {
      code: 'VIGIL_ERR_STORE',
      detail: 'device lookup failed',
    });
    // The store's error travels as the cause (the log tells a locked database from a full disk).
    await assert.rejects(
      resolveDevice(ctx, deps),
      (e: unknown) => (e as { cause?: { code?: string } }).cause?.code === 'SQLITE_BUSY',
    );
  });
});
