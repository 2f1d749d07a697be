/** base64url without padding (RFC 4648 §5). */
export function b64uEncode(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64url');
}

/**
 * Strict base64url decoding: only the URL alphabet, no padding, and canonical (the unused low
 * bits of the last character are zero), so one byte string has exactly one text form.
 * Returns null on any violation instead of silently skipping characters as Buffer.from does.
 *
 * One check covers every rule: Buffer.from skips what it does not understand, and the encoder
 * only ever writes canonical unpadded text of the URL alphabet (RFC 4648 §3.5), so a text that
 * re-encodes to itself is exactly a text that breaks none of them.
 */
export function b64uDecode(text: string): Buffer | null {
  const bytes = Buffer.from(text, 'base64url');
  return bytes.toString('base64url') === text ? bytes : null;
}
