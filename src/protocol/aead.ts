import { createCipheriv, createDecipheriv, createSecretKey, type KeyObject } from 'node:crypto';
import type { Alg } from './alg.ts';
import { asconAead128Decrypt, asconAead128Encrypt } from './ascon.ts';

export { ALGS, type Alg } from './alg.ts';

/** Nonce length in bytes per algorithm. `none` still carries a fresh nonce for replay detection. */
export const NONCE_BYTES: Record<Alg, number> = { A256GCM: 12, ASCON128: 16, none: 12 };
export const TAG_BYTES = 16;

// node:crypto re-imports a raw Buffer key on every call (~10 us); a KeyObject made once per key
// Buffer costs nothing after. Keyed by the Buffer object, so cached device keys hit.
const keyObjects = new WeakMap<Buffer, KeyObject>();
export function keyObjectFor(key: Buffer): KeyObject {
  let k = keyObjects.get(key);
  if (!k) {
    k = createSecretKey(key);
    keyObjects.set(key, k);
  }
  return k;
}

/** AEAD-Encrypt(K_enc, n, aad, body) -> ciphertext || tag. For `none` the body is returned as is. */
export function aeadEncrypt(alg: Alg, encKey: Buffer, nonce: Buffer, aad: Buffer, plaintext: Buffer): Buffer {
  switch (alg) {
    case 'A256GCM': {
      const c = createCipheriv('aes-256-gcm', keyObjectFor(encKey), nonce, { authTagLength: TAG_BYTES });
      c.setAAD(aad);
      return Buffer.concat([c.update(plaintext), c.final(), c.getAuthTag()]);
    }
    case 'ASCON128':
      // NIST SP 800-232 Ascon-AEAD128 takes a 128-bit key: the first 16 bytes of K_enc (DESIGN.md §2).
      return Buffer.from(asconAead128Encrypt(encKey.subarray(0, 16), nonce, aad, plaintext));
    case 'none':
      return Buffer.from(plaintext);
  }
}

/** Returns the plaintext, or null when the tag does not verify. */
export function aeadDecrypt(
  alg: Alg,
  encKey: Buffer,
  nonce: Buffer,
  aad: Buffer,
  data: Buffer,
): Buffer | null {
  switch (alg) {
    case 'A256GCM': {
      if (data.length < TAG_BYTES) return null;
      const d = createDecipheriv('aes-256-gcm', keyObjectFor(encKey), nonce, { authTagLength: TAG_BYTES });
      d.setAAD(aad);
      d.setAuthTag(data.subarray(data.length - TAG_BYTES));
      try {
        const pt = d.update(data.subarray(0, data.length - TAG_BYTES));
        // GCM is a stream mode: final() only checks the tag and returns no bytes, so no copy.
        const rest = d.final();
        return rest.length === 0 ? pt : Buffer.concat([pt, rest]);
      } catch {
        return null;
      }
    }
    case 'ASCON128': {
      // asconAead128Decrypt answers null itself for input shorter than the tag.
      const pt = asconAead128Decrypt(encKey.subarray(0, 16), nonce, aad, data);
      return pt ? Buffer.from(pt.buffer, pt.byteOffset, pt.byteLength) : null;
    }
    case 'none':
      return data;
  }
}
