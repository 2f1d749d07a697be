import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { aeadDecrypt, aeadEncrypt, keyObjectFor, NONCE_BYTES, TAG_BYTES } from './aead.ts';
import { asconAead128Encrypt } from './ascon.ts';

const key = Buffer.from(Array.from({ length: 32 }, (_, i) => i));
const aad = Buffer.from('vigil1|truck-0001|telemetry|1|2|1|A256GCM|n');
const pt = Buffer.from('{"samples":[]}');
const flipLastBit = (b: Buffer) => Buffer.from(b.map((x, i) => (i === b.length - 1 ? x ^ 1 : x)));

describe('AEAD by algorithm (DESIGN.md §2)', () => {
  it('uses 12-byte nonces for A256GCM and none, 16 for ASCON128, and 16-byte tags', () => {
    assert.deepEqual({ ...NONCE_BYTES }, { A256GCM: 12, ASCON128: 16, none: 12 });
    assert.equal(TAG_BYTES, 16);
  });

  it('makes one key object per key buffer, and another for another buffer', () => {
    assert.equal(keyObjectFor(key), keyObjectFor(key));
    const copy = Buffer.from(key);
    assert.notEqual(keyObjectFor(copy), keyObjectFor(key));
    assert.ok(keyObjectFor(copy).equals(keyObjectFor(key)));
  });

  it('A256GCM: AES-256-GCM with the whole key, ciphertext then a 16-byte tag (NIST SP 800-38D)', () => {
    const nonce = Buffer.alloc(12, 7);
    const ct = aeadEncrypt('A256GCM', key, nonce, aad, pt);
    assert.equal(ct.length, pt.length + 16);
    assert.deepEqual(aeadDecrypt('A256GCM', key, nonce, aad, ct), pt);
    const otherTail = flipLastBit(key);
    assert.equal(aeadDecrypt('A256GCM', otherTail, nonce, aad, ct), null);
    assert.equal(aeadDecrypt('A256GCM', key, nonce, Buffer.from('other'), ct), null);
  });

  it('ASCON128: Ascon-AEAD128 keyed with the first 16 bytes only', () => {
    const nonce = Buffer.alloc(16, 7);
    const ct = aeadEncrypt('ASCON128', key, nonce, aad, pt);
    assert.deepEqual(ct, Buffer.from(asconAead128Encrypt(key.subarray(0, 16), nonce, aad, pt)));
    const otherTail = flipLastBit(key);
    assert.deepEqual(aeadEncrypt('ASCON128', otherTail, nonce, aad, pt), ct);
    assert.deepEqual(aeadDecrypt('ASCON128', key, nonce, aad, ct), pt);
    assert.ok(Buffer.isBuffer(aeadDecrypt('ASCON128', key, nonce, aad, ct)));
    assert.equal(aeadDecrypt('ASCON128', key, nonce, Buffer.from('other'), ct), null);
  });

  it('none: the body as it is, in a copy', () => {
    const nonce = Buffer.alloc(12);
    const out = aeadEncrypt('none', key, nonce, aad, pt);
    assert.deepEqual(out, pt);
    out[0] = 0;
    assert.equal(pt[0], 0x7b);
    assert.deepEqual(aeadDecrypt('none', key, nonce, aad, Buffer.from('x')), Buffer.from('x'));
  });

  for (const alg of ['A256GCM', 'ASCON128'] as const) {
    it(`${alg}: answers null, never throws, for input shorter than the tag; a bare tag is an empty body`, () => {
      const nonce = Buffer.alloc(NONCE_BYTES[alg], 1);
      for (const len of [0, 1, 15]) assert.equal(aeadDecrypt(alg, key, nonce, aad, Buffer.alloc(len)), null);
      const bare = aeadEncrypt(alg, key, nonce, aad, Buffer.alloc(0));
      assert.equal(bare.length, 16);
      assert.deepEqual(aeadDecrypt(alg, key, nonce, aad, bare), Buffer.alloc(0));
      assert.equal(aeadDecrypt(alg, key, nonce, aad, Buffer.alloc(16)), null);
    });
  }
});
