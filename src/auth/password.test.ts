import assert from 'node:assert/strict';
import { argon2Sync } from 'node:crypto';
import { describe, it } from 'node:test';
import { isVigilError } from '../errors.ts';
import {
  ARGON2_PARAMS,
  checkPasswordPolicy,
  commonPasswords,
  generateOneTimePassword,
  hashPassword,
  needsRehash,
  verifyPassword,
} from './password.ts';

const policyError = (e: unknown) => isVigilError(e, 'VIGIL_ERR_PASSWORD_POLICY');

describe('password hashing', () => {
  it('uses an argon2id that matches the RFC 9106 §5.3 test vector', () => {
    // Guards against a platform whose crypto.argon2 is not argon2id v1.3.
    const tag = argon2Sync('argon2id', {
      message: Buffer.alloc(32, 1),
      nonce: Buffer.alloc(16, 2),
      secret: Buffer.alloc(8, 3),
      associatedData: Buffer.alloc(12, 4),
      passes: 3,
      memory: 32,
      parallelism: 4,
      tagLength: 32,
    });
    assert.equal(tag.toString('hex'), '0d640df58d78766c08c037a34a8b53c9d01ef0452d75b65eb52520e96b01e659');
  });

  it('keeps the production cost at the OWASP argon2id minimum, frozen', () => {
    assert.deepEqual(
      { ...ARGON2_PARAMS },
      { memoryKiB: 19456, passes: 2, parallelism: 1, saltBytes: 16, tagBytes: 32 },
    );
    assert.ok(Object.isFrozen(ARGON2_PARAMS));
  });

  it('encodes a PHC string at or above the OWASP minimum and round-trips', async () => {
    const h = await hashPassword('correct horse battery staple');
    assert.match(h, /^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/);
    assert.ok(ARGON2_PARAMS.memoryKiB >= 19456 && ARGON2_PARAMS.passes >= 2);
    assert.equal(await verifyPassword(h, 'correct horse battery staple'), true);
    assert.equal(needsRehash(h), false);
  });

  it('rejects a wrong password, and two hashes of one password differ (random salt)', async () => {
    const a = await hashPassword('correct horse battery staple');
    const b = await hashPassword('correct horse battery staple');
    assert.notEqual(a, b);
    assert.equal(await verifyPassword(a, 'correct horse battery stapl'), false);
    assert.equal(await verifyPassword(a, ''), false);
  });

  it('treats NFC and NFD spellings of a password as the same', async () => {
    const h = await hashPassword('crème brûlée au café');
    assert.equal(await verifyPassword(h, 'crème brûlée au café'.normalize('NFD')), true);
  });

  it('answers false, never throws, for malformed or hostile stored hashes', async () => {
    for (const bad of [
      '',
      'plaintext',
      '$argon2i$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2g',
      '$argon2id$v=19$m=99999999,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2g',
      '$argon2id$v=19$m=19456,t=200,p=1$c29tZXNhbHRzb21lc2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2g',
    ]) {
      assert.equal(await verifyPassword(bad, 'x'), false, bad);
    }
    assert.equal(
      needsRehash('$argon2id$v=19$m=4096,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2g'),
      true,
    );
  });
});

describe('password policy', () => {
  it('accepts a long uncommon passphrase', () => {
    checkPasswordPolicy('correct horse battery staple', 'alice');
    checkPasswordPolicy('Tr0ub4dor&3-vaccine-fridge', 'alice');
  });

  it('refuses fewer than 12 characters (counted as characters, not bytes)', () => {
    assert.throws(() => checkPasswordPolicy('short-pw-11', 'alice'), policyError);
    assert.throws(() => checkPasswordPolicy('éééééééééé1', 'alice'), policyError);
    checkPasswordPolicy('ééé-ùùù-ççç-1', 'alice');
  });

  it('refuses common passwords from the bundled list, also with digits or symbols around', () => {
    assert.ok(commonPasswords().size >= 10_000);
    for (const pw of ['123qweasdzxc', 'Qwerty123456', 'PASSWORD1234!', '!!football2024']) {
      assert.throws(() => checkPasswordPolicy(pw, 'alice'), policyError, pw);
    }
  });

  it('refuses the user name, and one character repeated', () => {
    assert.throws(() => checkPasswordPolicy('quality.lead', 'quality.lead'), policyError);
    assert.throws(() => checkPasswordPolicy('Quality.Lead2026', 'quality.lead'), policyError);
    assert.throws(() => checkPasswordPolicy('zzzzzzzzzzzzzzzz', 'alice'), policyError);
  });

  it('says why without echoing the password', () => {
    try {
      checkPasswordPolicy('hunter2', 'alice');
      assert.fail('accepted');
    } catch (e) {
      assert.ok(policyError(e));
      assert.doesNotMatch((e as Error).message, /hunter2/);
      assert.match((e as Error).message, /12 characters/);
    }
  });

  it('generates one-time passwords that pass the policy', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 50; i++) {
      const p = generateOneTimePassword();
      assert.match(p, /^[0-9a-hjkmnp-tv-z]{5}(-[0-9a-hjkmnp-tv-z]{5}){3}$/);
      checkPasswordPolicy(p, 'admin');
      seen.add(p);
    }
    assert.equal(seen.size, 50);
  });
});
