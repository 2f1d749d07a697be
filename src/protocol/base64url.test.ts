import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { b64uDecode, b64uEncode } from './base64url.ts';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** RFC 4648 §5 without padding, canonical (§3.5), written out rule by rule: the reference. */
function isStrictB64u(text: string): boolean {
  if ([...text].some((c) => !ALPHABET.includes(c))) return false;
  if (text.length % 4 === 1) return false;
  const last = ALPHABET.indexOf(text[text.length - 1] ?? 'A');
  if (text.length % 4 === 2) return (last & 0b1111) === 0; // 12 bits carry 8: the low 4 are padding
  if (text.length % 4 === 3) return (last & 0b11) === 0; // 18 bits carry 16: the low 2 are padding
  return true;
}

describe('base64url', () => {
  it('encodes without padding, in the URL alphabet (RFC 4648 §5)', () => {
    assert.equal(b64uEncode(new Uint8Array(0)), '');
    assert.equal(b64uEncode(Uint8Array.of(0xfb, 0xff)), '-_8');
    assert.equal(b64uEncode(Buffer.from('any carnal pleas', 'utf8')), 'YW55IGNhcm5hbCBwbGVhcw');
  });

  it('encodes only the bytes of a view, not the rest of its buffer', () => {
    const whole = Uint8Array.of(1, 2, 3, 4, 5, 6);
    assert.equal(b64uEncode(whole.subarray(2, 4)), b64uEncode(Uint8Array.of(3, 4)));
  });

  it('decodes what it encodes, for every length up to 40 bytes', () => {
    for (let n = 0; n <= 40; n++) {
      const bytes = Buffer.from(Array.from({ length: n }, (_, i) => (i * 37 + n) & 0xff));
      assert.deepEqual(b64uDecode(b64uEncode(bytes)), bytes);
    }
  });

  it('accepts exactly the canonical unpadded texts of the URL alphabet (every text up to 3 characters)', () => {
    // Alphabet ends, characters with unused low bits set and clear, and what strictness refuses:
    // the standard alphabet, padding, space, other ASCII and a non-ASCII letter.
    const chars = ['A', 'B', 'E', 'Q', 'g', 'w', '-', '_', '8', '+', '/', '=', ' ', '*', '\u00e9'];
    let texts = [''];
    let checked = 0;
    for (let len = 0; len <= 3; len++) {
      for (const t of texts) {
        const got = b64uDecode(t);
        assert.equal(got !== null, isStrictB64u(t), JSON.stringify(t));
        if (got) assert.equal(got.toString('base64url'), t);
        checked++;
      }
      texts = texts.flatMap((t) => chars.map((c) => t + c));
    }
    assert.equal(checked, 1 + 15 + 15 ** 2 + 15 ** 3);
  });

  it('refuses padding, the standard alphabet, a lone trailing character and non-canonical bits', () => {
    for (const bad of ['AA==', 'AAA=', 'AA+A', 'AA/A', 'AAAAA', 'AB', 'AAB', 'AAAA AAAA', 'AAAA\n']) {
      assert.equal(b64uDecode(bad), null, JSON.stringify(bad));
    }
    assert.deepEqual(b64uDecode('AA'), Buffer.of(0));
    assert.deepEqual(b64uDecode('AAE'), Buffer.of(0, 1));
  });
});
