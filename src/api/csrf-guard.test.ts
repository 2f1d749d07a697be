import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { originAllowed } from './csrf-guard.ts';

describe('originAllowed', () => {
  const host = 'vigil.example:8443';

  it('lets every read through, whatever its Origin', () => {
    for (const m of ['GET', 'HEAD', 'OPTIONS'])
      assert.equal(originAllowed(m, { host, origin: 'https://evil.example' }), true);
  });

  it('requires the server origin on state-changing methods', () => {
    for (const m of ['POST', 'PUT', 'PATCH', 'DELETE']) {
      assert.equal(originAllowed(m, { host, origin: 'https://vigil.example:8443' }), true);
      assert.equal(originAllowed(m, { host, origin: 'HTTPS://Vigil.Example:8443' }), true);
      assert.equal(originAllowed(m, { host }), false, 'missing Origin');
      assert.equal(originAllowed(m, { host, origin: 'null' }), false);
      assert.equal(originAllowed(m, { host, origin: 'http://vigil.example:8443' }), false, 'scheme');
      assert.equal(originAllowed(m, { host, origin: 'https://vigil.example' }), false, 'port');
      assert.equal(originAllowed(m, { host, origin: 'https://vigil.example:8443.evil.example' }), false);
      assert.equal(originAllowed(m, { origin: 'https://vigil.example:8443' }), false, 'missing Host');
    }
  });

  it('exempts API-token requests but not other Authorization schemes', () => {
    assert.equal(originAllowed('POST', { host, authorization: 'Bearer vgl_x' }), true);
    assert.equal(originAllowed('POST', { host, authorization: 'bearer vgl_x' }), true);
    assert.equal(originAllowed('POST', { host, authorization: 'Bearer ' }), false);
    assert.equal(originAllowed('POST', { host, authorization: 'Basic dTpw' }), false);
  });
});
