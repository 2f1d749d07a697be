const B64URL = /^[A-Za-z0-9_-]*$/;
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** base64url without padding (RFC 4648 §5). */
export function b64uEncode(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64url');
}

/**
 * Strict base64url decoding: only the URL alphabet, no padding, and canonical (the unused low
 * bits of the last character are zero, RFC 4648 §3.5), so one byte string has exactly one text
 * form. Returns null on any violation instead of silently skipping characters as Buffer.from does.
 *
 * Canonical form is checked on the last character alone: a final group of 2 characters carries
 * one byte (its last character's low 4 bits unused), a group of 3 two bytes (low 2 bits unused);
 * a group of 1 is never valid. Equivalent to re-encoding and comparing, without the second pass.
 */
export function b64uDecode(text: string): Buffer | null {
  const rest = text.length % 4;
  if (rest === 1 || !B64URL.test(text)) return null;
  if (rest !== 0 && ALPHABET.indexOf(text.charAt(text.length - 1)) & (rest === 2 ? 0x0f : 0x03)) return null;
  return Buffer.from(text, 'base64url');
}
