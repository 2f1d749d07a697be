const B64URL = /^[A-Za-z0-9_-]*$/;

/** base64url without padding (RFC 4648 §5). */
export function b64uEncode(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64url');
}

/**
 * Strict base64url decoding: only the URL alphabet, no padding, and canonical (the unused low
 * bits of the last character are zero), so one byte string has exactly one text form.
 * Returns null on any violation instead of silently skipping characters as Buffer.from does.
 */
export function b64uDecode(text: string): Buffer | null {
  if (!B64URL.test(text) || text.length % 4 === 1) return null;
  const bytes = Buffer.from(text, 'base64url');
  if (bytes.toString('base64url') !== text) return null;
  return bytes;
}
