import { randomBytes } from 'node:crypto';

/**
 * A fresh certificate serial: 16 random bytes as lowercase hex. RFC 5280 §4.1.2.2 wants a
 * positive INTEGER of at most 20 octets, so the top bit is cleared; a zero first byte would be
 * dropped by the minimal DER encoding and change the printed serial, so it is bumped to 1.
 * That keeps 126+ bits of entropy (CA/B Forum BR §7.1 asks for 64).
 */
export function newSerial(): string {
  const bytes = randomBytes(16);
  bytes[0] = bytes[0]! & 0x7f || 0x01;
  return bytes.toString('hex');
}

/**
 * Canonical form of a serial given by a caller or printed by a parser: lowercase hex, whole
 * bytes, no `:` separators and no leading 00 bytes (the DER sign pad). Returns '' if not hex.
 */
export function normalizeSerial(serial: string): string {
  let hex = serial.replace(/:/g, '').toLowerCase();
  if (!/^[0-9a-f]{1,42}$/.test(hex)) return '';
  if (hex.length % 2 === 1) hex = `0${hex}`;
  while (hex.length > 2 && hex.startsWith('00')) hex = hex.slice(2);
  return hex;
}
