import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { b64uDecode, b64uEncode } from './base64url.ts';

describe('b64uDecode', () => {
  it('decodes every length of byte string back to the same bytes', () => {
    for (let len = 0; len <= 40; len++) {
      const bytes = Buffer.from(Array.from({ length: len }, (_, i) => (i * 37 + len) & 0xff));
      assert.deepEqual(b64uDecode(b64uEncode(bytes)), bytes);
    }
  });

  it('refuses a last character whose unused bits are set: one byte string has one text form', () => {
    // "AA" is 0x00; "AB".."AP" carry the same byte with the 4 unused bits set.
    assert.deepEqual(b64uDecode('AA'), Buffer.from([0]));
    for (const c of 'BCDEFGHIJKLMNOP') assert.equal(b64uDecode(`A${c}`), null, `A${c}`);
    // "AAA" is 0x0000; "AAB".."AAD" set the 2 unused bits.
    assert.deepEqual(b64uDecode('AAA'), Buffer.from([0, 0]));
    for (const c of 'BCD') assert.equal(b64uDecode(`AA${c}`), null, `AA${c}`);
    assert.deepEqual(b64uDecode('AAE'), Buffer.from([0, 1]));
    assert.deepEqual(b64uDecode('__8'), Buffer.from([0xff, 0xff]));
    assert.equal(b64uDecode('__9'), null);
  });

  it('refuses padding, the standard alphabet, whitespace and an impossible length', () => {
    for (const bad of ['AA==', 'AA+/', 'a/bc', 'AA A', 'AAAAA', 'A', 'AA\n'])
      assert.equal(b64uDecode(bad), null, bad);
  });
});
