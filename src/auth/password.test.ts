import assert from 'node:assert/strict';
import crypto, { argon2Sync } from 'node:crypto';
import { syncBuiltinESMExports } from 'node:module';
import { describe, it, mock } from 'node:test';
import { isVigilError } from '../errors.ts';
import {
  ARGON2_PARAMS,
  checkPasswordPolicy,
  commonPasswords,
  generateOneTimePassword,
  hashPassword,
  needsRehash,
  PASSWORD_MAX_LENGTH,
  PASSWORD_MIN_LENGTH,
  parseStoredHash,
  verifyPassword,
} from './password.ts';

const policyError = (e: unknown) => isVigilError(e, 'VIGIL_ERR_PASSWORD_POLICY');
/** The policy refusal with this reason. */
const refusedFor = (why: string) => (e: unknown) =>
  policyError(e) && (e as { detail?: string }).detail === why;
const cheap = { memoryKiB: 8, passes: 1, parallelism: 1, saltBytes: 16, tagBytes: 32 };

/** How many argon2 runs `fn` makes. */
async function argon2Runs(fn: () => Promise<unknown>): Promise<number> {
  const argon2 = mock.method(crypto, 'argon2');
  syncBuiltinESMExports();
  try {
    await fn();
    return argon2.mock.callCount();
  } finally {
    argon2.mock.restore();
    syncBuiltinESMExports();
  }
}

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

describe('stored hashes: bounds and rehash', () => {
  const withCost = (h: string, cost: string) => h.replace(/m=\d+,t=\d+,p=\d+/, cost);

  it('verifies hashes at each bound of the cost it accepts', async () => {
    for (const cost of [
      { memoryKiB: 64, passes: 1, parallelism: 8 },
      { memoryKiB: 8, passes: 16, parallelism: 1 },
      { memoryKiB: 16, passes: 1, parallelism: 2 },
    ]) {
      const h = await hashPassword('correct horse battery staple', { ...cheap, ...cost });
      assert.equal(await verifyPassword(h, 'correct horse battery staple'), true, h);
    }
    // The shortest salt and tag the format takes: 8 and 16 bytes.
    const short = await hashPassword(
      'correct horse battery staple',
      { ...cheap, tagBytes: 16 },
      Buffer.alloc(8, 1),
    );
    assert.match(short, /\$[A-Za-z0-9+/]{11}\$[A-Za-z0-9+/]{22}$/);
    assert.equal(await verifyPassword(short, 'correct horse battery staple'), true);
    assert.deepEqual(parseStoredHash(withCost(short, 'm=1048576,t=1,p=1'))?.cost, {
      memoryKiB: 1048576,
      passes: 1,
      parallelism: 1,
    });
  });

  it('answers false without running argon2 for a cost out of bounds or a password over the limit', async () => {
    const h = await hashPassword('correct horse battery staple', cheap);
    for (const cost of [
      'm=64,t=1,p=0',
      'm=72,t=1,p=9',
      'm=8,t=0,p=1',
      'm=8,t=17,p=1',
      'm=7,t=1,p=1',
      'm=15,t=1,p=2',
      'm=1048577,t=1,p=1',
    ]) {
      const bad = withCost(h, cost);
      assert.equal(parseStoredHash(bad), null, cost);
      assert.equal(
        await argon2Runs(async () => assert.equal(await verifyPassword(bad, 'x'), false)),
        0,
        cost,
      );
    }
    const long = 'x'.repeat(PASSWORD_MAX_LENGTH + 1);
    assert.equal(await argon2Runs(async () => assert.equal(await verifyPassword(h, long), false)), 0);
    assert.equal(await argon2Runs(() => verifyPassword(h, 'wrong')), 1);
  });

  it('reads only a whole stored hash: anything before or after it makes it unreadable', async () => {
    const h = await hashPassword('correct horse battery staple', cheap);
    assert.equal(await verifyPassword(h, 'correct horse battery staple'), true);
    for (const damaged of [`x${h}`, `${h}$x`, `${h}\n`]) {
      assert.equal(parseStoredHash(damaged), null, damaged);
      assert.equal(await verifyPassword(damaged, 'correct horse battery staple'), false, damaged);
    }
  });

  it('hashes and verifies a password of exactly the longest length, and refuses one character more', async () => {
    const longest = 'x'.repeat(PASSWORD_MAX_LENGTH);
    const h = await hashPassword(longest, cheap);
    assert.equal(await verifyPassword(h, longest), true);
    await assert.rejects(hashPassword(`${longest}x`, cheap), refusedFor('too long'));
  });

  it('reads the salt and tag of a stored hash', async () => {
    const salt = Buffer.alloc(16, 7);
    const h = await hashPassword('correct horse battery staple', cheap, salt);
    const stored = parseStoredHash(h);
    assert.deepEqual(stored?.salt, salt);
    assert.equal(stored?.tag.length, 32);
    // 16 and 32 bytes would end in padding in plain base64; PHC drops it.
    assert.deepEqual(
      h
        .split('$')
        .slice(4)
        .map((part) => part.length),
      [22, 43],
    );
  });

  it('asks for a rehash when memory, passes or tag are below the given cost, or the hash cannot be read', async () => {
    const p = { memoryKiB: 16, passes: 2, parallelism: 1, saltBytes: 16, tagBytes: 32 };
    const h = await hashPassword('correct horse battery staple', p);
    assert.equal(needsRehash(h, p), false);
    assert.equal(needsRehash(h, { ...p, memoryKiB: 15, passes: 1, tagBytes: 24 }), false);
    assert.equal(needsRehash(h, { ...p, memoryKiB: 17 }), true);
    assert.equal(needsRehash(h, { ...p, passes: 3 }), true);
    assert.equal(needsRehash(h, { ...p, tagBytes: 33 }), true);
    // A 24-byte tag is 32 base64 characters: counted in bytes, it is below 32.
    assert.equal(
      needsRehash(await hashPassword('correct horse battery staple', { ...p, tagBytes: 24 }), p),
      true,
    );
    assert.equal(needsRehash('garbage', p), true);
    assert.equal(needsRehash(withCost(h, 'm=16,t=2,p=0'), p), true);
    // The production cost is the default.
    assert.equal(needsRehash(h), true);
  });
});

describe('password policy', () => {
  it('accepts a long uncommon passphrase', () => {
    checkPasswordPolicy('correct horse battery staple', 'alice');
    checkPasswordPolicy('Tr0ub4dor&3-vaccine-fridge', 'alice');
  });

  it('takes exactly 12 and up to 1024 characters, and says why it refuses more', () => {
    assert.equal(PASSWORD_MIN_LENGTH, 12);
    checkPasswordPolicy('vaccine-fr1d', 'alice');
    checkPasswordPolicy(`vaccine fridge ${'q'.repeat(PASSWORD_MAX_LENGTH - 15)}`, 'alice');
    assert.throws(
      () => checkPasswordPolicy('vaccine-fr1', 'alice'),
      refusedFor('use at least 12 characters'),
    );
    assert.throws(
      () => checkPasswordPolicy(`vaccine fridge ${'q'.repeat(PASSWORD_MAX_LENGTH - 14)}`, 'alice'),
      refusedFor('use at most 1024 characters'),
    );
  });

  it('refuses fewer than 12 characters (counted as characters, not bytes)', () => {
    assert.throws(() => checkPasswordPolicy('short-pw-11', 'alice'), policyError);
    assert.throws(() => checkPasswordPolicy('éééééééééé1', 'alice'), policyError);
    checkPasswordPolicy('ééé-ùùù-ççç-1', 'alice');
  });

  it('refuses common passwords from the bundled list, also with digits or symbols around', () => {
    assert.ok(commonPasswords().size >= 10_000);
    // The bundled file's entries without its comment lines; read once.
    assert.equal(commonPasswords().size, 49_233);
    assert.equal(commonPasswords(), commonPasswords());
    assert.ok(![...commonPasswords()].some((p) => p === '' || p.startsWith('# ')));
    for (const pw of ['123qweasdzxc', 'Qwerty123456', 'PASSWORD1234!', '!!football2024']) {
      assert.throws(() => checkPasswordPolicy(pw, 'alice'), policyError, pw);
    }
  });

  it('names why: the user name (also with digits around it), a common password, one repeated character', () => {
    const name = refusedFor('the password must not be the user name');
    assert.throws(() => checkPasswordPolicy('Quality.Lead.2026', 'quality.lead.2026'), name);
    assert.throws(() => checkPasswordPolicy('2026-Quality.Lead!', 'quality.lead'), name);
    assert.throws(
      () => checkPasswordPolicy('PASSWORD1234!', 'alice'),
      refusedFor('this password is too common'),
    );
    assert.throws(
      () => checkPasswordPolicy('zzzzzzzzzzzzzzzz', 'alice'),
      refusedFor('the password must not be one repeated character'),
    );
    // No letters at all: the core is empty and matches nothing.
    checkPasswordPolicy('8264-1937-5501', 'alice');
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
