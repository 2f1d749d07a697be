import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { countMatches, encodings, findSecret, hasTool } from './capture.ts';

describe('finding a secret in captured bytes', () => {
  it('finds it in clear and counts every occurrence', () => {
    assert.equal(countMatches(Buffer.from('..SECRET..SECRET..'), 'SECRET'), 2);
    assert.equal(findSecret(Buffer.from('xx SECLAB-BATCH-1 yy'), 'SECLAB-BATCH-1'), 1);
  });

  it('finds it inside a longer base64 or base64url text, whatever its alignment', () => {
    const secret = 'token-Zq9_7fA2';
    for (const pad of ['', 'a', 'ab', 'abc']) {
      const payload = Buffer.from(`{"x":"${pad}","t":"${secret}","y":1}`);
      assert.ok(findSecret(Buffer.from(payload.toString('base64')), secret) > 0, `base64, pad ${pad.length}`);
      assert.ok(
        findSecret(Buffer.from(payload.toString('base64url')), secret) > 0,
        `base64url, pad ${pad.length}`,
      );
    }
  });

  it('finds nothing in ciphertext-like bytes', () => {
    const noise = Buffer.alloc(4096, 0x5a);
    assert.equal(findSecret(noise, '-12.3456789'), 0);
    assert.ok(encodings('-12.3456789').length >= 3);
  });
});

describe('hasTool', () => {
  it('finds an executable on PATH without running it, and not a missing one', () => {
    assert.equal(hasTool('sh'), true);
    assert.equal(hasTool('vigil-no-such-tool-0d1f'), false);
  });
});
