/** Test helpers for sealed blobs. Not used in production code. */
import { createCipheriv, hkdfSync, randomBytes } from 'node:crypto';

/** A blob as the first seal format made it (v1, AAD = purpose only), under the raw master key `raw`. */
export function sealV1(raw: Buffer, purpose: string, plaintext: Buffer): Buffer {
  const key = Buffer.from(hkdfSync('sha256', raw, 'vigil/v1/at-rest', `seal|${purpose}`, 32));
  const nonce = randomBytes(12);
  const c = createCipheriv('aes-256-gcm', key, nonce);
  c.setAAD(Buffer.from(purpose));
  const ct = Buffer.concat([c.update(plaintext), c.final()]);
  return Buffer.concat([Buffer.from([1]), nonce, ct, c.getAuthTag()]);
}
