import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { asconAead128Decrypt, asconAead128Encrypt } from './ascon.ts';

/** One known-answer vector; all fields are hex, `ct` is ciphertext || tag. */
interface Kat {
  count: number;
  key: string;
  nonce: string;
  pt: string;
  ad: string;
  ct: string;
}

// Subset of the official SP 800-232 KAT: ascon/ascon-c, crypto_aead_hash/asconaeadxof128/LWC_AEAD_KAT_128_128.txt
// (the same Ascon-AEAD128 vectors as crypto_aead/asconaead128/LWC_AEAD_KAT_128_128.txt).
const KATS: Kat[] = JSON.parse(
  readFileSync(new URL('../../test/vectors/ascon-aead128-kat.json', import.meta.url), 'utf8'),
);

const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, 'hex'));
const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex').toUpperCase();

function flipBit(b: Uint8Array, bit: number): Uint8Array {
  const c = b.slice();
  c[bit >>> 3]! ^= 1 << (bit & 7);
  return c;
}

describe('asconAead128Encrypt', () => {
  it('uses the final SP 800-232 vectors (Count 1 is the empty message, empty AD)', () => {
    const first = KATS.find((v) => v.count === 1);
    assert.ok(first);
    assert.equal(first.pt, '');
    assert.equal(first.ad, '');
    assert.equal(first.ct, '4F9C278211BEC9316BF68F46EE8B2EC6');
    assert.ok(KATS.length >= 60);
  });

  for (const v of KATS) {
    it(`matches KAT Count ${v.count} (PT ${v.pt.length / 2} B, AD ${v.ad.length / 2} B)`, () => {
      const ct = asconAead128Encrypt(hex(v.key), hex(v.nonce), hex(v.ad), hex(v.pt));
      assert.equal(toHex(ct), v.ct);
    });
  }

  it('does not modify its inputs', () => {
    const v = KATS[KATS.length - 1]!;
    const [key, nonce, ad, pt] = [hex(v.key), hex(v.nonce), hex(v.ad), hex(v.pt)];
    asconAead128Encrypt(key, nonce, ad, pt);
    assert.equal(toHex(key) + toHex(nonce) + toHex(ad) + toHex(pt), v.key + v.nonce + v.ad + v.pt);
  });

  it('rejects a key that is not 16 bytes', () => {
    assert.throws(
      () => asconAead128Encrypt(new Uint8Array(15), new Uint8Array(16), new Uint8Array(0), new Uint8Array(0)),
      {
        message: /key must be 16 bytes, got 15/,
      },
    );
    assert.throws(
      () => asconAead128Encrypt(new Uint8Array(32), new Uint8Array(16), new Uint8Array(0), new Uint8Array(0)),
      {
        message: /key must be 16 bytes, got 32/,
      },
    );
  });

  it('rejects a nonce that is not 16 bytes', () => {
    assert.throws(
      () => asconAead128Encrypt(new Uint8Array(16), new Uint8Array(12), new Uint8Array(0), new Uint8Array(0)),
      {
        message: /nonce must be 16 bytes, got 12/,
      },
    );
  });
});

describe('asconAead128Decrypt', () => {
  for (const v of KATS) {
    it(`recovers the plaintext of KAT Count ${v.count}`, () => {
      const pt = asconAead128Decrypt(hex(v.key), hex(v.nonce), hex(v.ad), hex(v.ct));
      assert.ok(pt);
      assert.equal(toHex(pt), v.pt);
    });
  }

  it('round-trips messages of every length up to 100 bytes', () => {
    const key = hex('00112233445566778899AABBCCDDEEFF');
    const nonce = hex('0F0E0D0C0B0A09080706050403020100');
    for (let n = 0; n <= 100; n++) {
      const pt = Uint8Array.from({ length: n }, (_, i) => (i * 7 + n) & 0xff);
      const ad = Uint8Array.from({ length: n % 37 }, (_, i) => i ^ 0x5a);
      const ct = asconAead128Encrypt(key, nonce, ad, pt);
      assert.equal(ct.length, n + 16);
      assert.deepEqual(asconAead128Decrypt(key, nonce, ad, ct), pt);
    }
  });

  // Vectors with both a partial-block ciphertext and non-empty AD exercise every input.
  const tamperCases = KATS.filter((v) => v.pt.length > 0 && v.ad.length > 0);

  it('returns null when any single bit of the ciphertext body is flipped', () => {
    for (const v of tamperCases) {
      const ct = hex(v.ct);
      const bodyBits = (ct.length - 16) * 8;
      for (let bit = 0; bit < bodyBits; bit++) {
        assert.equal(asconAead128Decrypt(hex(v.key), hex(v.nonce), hex(v.ad), flipBit(ct, bit)), null);
      }
    }
  });

  it('returns null when any single bit of the tag is flipped', () => {
    for (const v of tamperCases) {
      const ct = hex(v.ct);
      for (let bit = (ct.length - 16) * 8; bit < ct.length * 8; bit++) {
        assert.equal(asconAead128Decrypt(hex(v.key), hex(v.nonce), hex(v.ad), flipBit(ct, bit)), null);
      }
    }
  });

  it('returns null when any single bit of the associated data is flipped', () => {
    for (const v of tamperCases) {
      const ad = hex(v.ad);
      for (let bit = 0; bit < ad.length * 8; bit++) {
        assert.equal(asconAead128Decrypt(hex(v.key), hex(v.nonce), flipBit(ad, bit), hex(v.ct)), null);
      }
    }
  });

  it('returns null when any single bit of the nonce or key is flipped', () => {
    const v = tamperCases[0]!;
    for (let bit = 0; bit < 128; bit++) {
      assert.equal(asconAead128Decrypt(hex(v.key), flipBit(hex(v.nonce), bit), hex(v.ad), hex(v.ct)), null);
      assert.equal(asconAead128Decrypt(flipBit(hex(v.key), bit), hex(v.nonce), hex(v.ad), hex(v.ct)), null);
    }
  });

  it('returns null when the associated data is dropped, extended or the ciphertext truncated', () => {
    const v = tamperCases[0]!;
    const [key, nonce, ad, ct] = [hex(v.key), hex(v.nonce), hex(v.ad), hex(v.ct)];
    assert.equal(asconAead128Decrypt(key, nonce, new Uint8Array(0), ct), null);
    assert.equal(asconAead128Decrypt(key, nonce, Uint8Array.of(...ad, 0x01), ct), null);
    assert.equal(asconAead128Decrypt(key, nonce, ad, ct.subarray(1)), null);
    assert.equal(asconAead128Decrypt(key, nonce, ad, ct.subarray(0, ct.length - 1)), null);
  });

  it('returns null (no exception) for input shorter than the 16-byte tag', () => {
    for (const len of [0, 1, 15]) {
      assert.equal(
        asconAead128Decrypt(new Uint8Array(16), new Uint8Array(16), new Uint8Array(0), new Uint8Array(len)),
        null,
      );
    }
  });

  it('rejects a key or nonce that is not 16 bytes', () => {
    assert.throws(
      () => asconAead128Decrypt(new Uint8Array(8), new Uint8Array(16), new Uint8Array(0), new Uint8Array(16)),
      {
        message: /key must be 16 bytes/,
      },
    );
    assert.throws(
      () =>
        asconAead128Decrypt(new Uint8Array(16), new Uint8Array(17), new Uint8Array(0), new Uint8Array(16)),
      {
        message: /nonce must be 16 bytes/,
      },
    );
  });
});
