import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { MasterKey } from '../keys/master-key.ts';
import {
  generateRecoveryCodes,
  hashRecoveryCode,
  looksLikeRecoveryCode,
  normalizeRecoveryCode,
  RECOVERY_CODE_COUNT,
} from './recovery-codes.ts';

describe('recovery codes', () => {
  it('generates ten distinct xxxx-xxxx-xxxx codes from an unambiguous alphabet', () => {
    const codes = generateRecoveryCodes();
    assert.equal(codes.length, RECOVERY_CODE_COUNT);
    assert.equal(new Set(codes).size, 10);
    for (const c of codes) {
      assert.match(c, /^[0-9a-hjkmnp-tv-z]{4}-[0-9a-hjkmnp-tv-z]{4}-[0-9a-hjkmnp-tv-z]{4}$/);
      assert.doesNotMatch(c, /[ilou]/);
    }
  });

  it('accepts what a person types back: case, spaces, missing dashes, o/0 and l/1 look-alikes', () => {
    assert.equal(normalizeRecoveryCode('AB01-cd2e-f3gh'), 'ab01cd2ef3gh');
    assert.equal(normalizeRecoveryCode(' abOl cd2e f3gh '), 'ab01cd2ef3gh');
    assert.equal(normalizeRecoveryCode('ab01-cd2e-f3g'), null);
    assert.equal(normalizeRecoveryCode('ab01-cd2e-f3gu'), null);
    assert.equal(looksLikeRecoveryCode('123456'), false);
    assert.equal(looksLikeRecoveryCode('AB01 cd2e f3gh'), true);
  });

  it('stores a keyed hash bound to the user: same code, other user or other key, other hash', () => {
    const master = new MasterKey(randomBytes(32));
    const [code = ''] = generateRecoveryCodes();
    const h = hashRecoveryCode(master, 'alice', code);
    assert.ok(h && !h.includes(code.replace(/-/g, '')));
    assert.equal(hashRecoveryCode(master, 'alice', code.toUpperCase().replace(/-/g, ' ')), h);
    assert.notEqual(hashRecoveryCode(master, 'bob', code), h);
    assert.notEqual(hashRecoveryCode(new MasterKey(randomBytes(32)), 'alice', code), h);
    assert.equal(hashRecoveryCode(master, 'alice', 'not a code'), null);
    // The stored form: changing its purpose or layout would orphan every stored code.
    assert.equal(h, master.keyedHash('recovery-code', `alice\n${normalizeRecoveryCode(code)}`));
  });
});
