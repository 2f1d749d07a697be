/**
 * TOTP (RFC 6238) over HOTP (RFC 4226) with HMAC-SHA1, and RFC 4648 base32 for the shared
 * secret. Pure: the time is passed in, no randomness, no I/O.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { VigilError } from '../errors.ts';

/** RFC 6238 §4.1 X: the time step. */
export const TOTP_STEP_SECONDS = 30;
/** Digits in the codes Vigil accepts (what authenticator apps show by default). */
export const TOTP_DIGITS = 6;
/** Steps of tolerance either side of the current one (RFC 6238 §5.2 recommends at most one). */
export const TOTP_WINDOW = 1;
/** Length of a new secret: 160 bits, the HMAC-SHA1 output size (RFC 4226 §4 R6). */
export const TOTP_SECRET_BYTES = 20;

/** RFC 4226 §5.3: HOTP(K, C) = Truncate(HMAC-SHA-1(K, C)) mod 10^digits, zero-padded. */
export function hotp(secret: Buffer, counter: number, digits: number = TOTP_DIGITS): string {
  if (!Number.isSafeInteger(counter) || counter < 0)
    throw new RangeError('counter must be a safe integer >= 0');
  if (!Number.isInteger(digits) || digits < 6 || digits > 10) throw new RangeError('digits must be 6..10');
  const msg = Buffer.alloc(8);
  msg.writeBigUInt64BE(BigInt(counter));
  const mac = createHmac('sha1', secret).update(msg).digest();
  // Dynamic truncation: the low nibble of the last byte picks 4 bytes; drop the top bit.
  const offset = (mac[mac.length - 1] ?? 0) & 0x0f;
  const bin = mac.readUInt32BE(offset) & 0x7fffffff;
  return String(bin % 10 ** digits).padStart(digits, '0');
}

/** RFC 6238 §4.2: the time step containing `timeMs` (T0 = 0). */
export function totpStep(timeMs: number): number {
  return Math.floor(timeMs / 1000 / TOTP_STEP_SECONDS);
}

/** The TOTP code for `timeMs`. */
export function totpCode(secret: Buffer, timeMs: number, digits: number = TOTP_DIGITS): string {
  return hotp(secret, totpStep(timeMs), digits);
}

/** Options of {@link verifyTotp}. */
export interface VerifyTotpOptions {
  /** The step of the last code accepted for this secret; steps at or below it are refused. */
  lastStep?: number | null;
  /** Tolerance in steps either side of now; default {@link TOTP_WINDOW}. */
  window?: number;
}

/**
 * Checks a 6-digit code against the steps now-window .. now+window, skipping any step at or
 * below `lastStep` so that each code is accepted once (RFC 6238 §5.2). Returns the matched
 * step (the caller stores it as the new `lastStep`), or null. Every candidate is compared, in
 * constant time, whether or not an earlier one matched.
 */
export function verifyTotp(
  secret: Buffer,
  code: string,
  nowMs: number,
  opts: VerifyTotpOptions = {},
): number | null {
  if (!/^\d{6}$/.test(code)) return null;
  const window = opts.window ?? TOTP_WINDOW;
  const now = totpStep(nowMs);
  const given = Buffer.from(code);
  let matched: number | null = null;
  for (let step = now - window; step <= now + window; step++) {
    if (step < 0) continue;
    const ok = timingSafeEqual(Buffer.from(hotp(secret, step)), given);
    const fresh = opts.lastStep === undefined || opts.lastStep === null || step > opts.lastStep;
    if (ok && fresh && matched === null) matched = step;
  }
  return matched;
}

const B32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** RFC 4648 §6 base32. `pad: false` drops the `=` padding (otpauth URIs omit it). */
export function base32Encode(data: Buffer, pad = true): string {
  let out = '';
  let bits = 0;
  let value = 0;
  for (const byte of data) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += B32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
    value &= (1 << bits) - 1;
  }
  if (bits > 0) out += B32[(value << (5 - bits)) & 31];
  if (pad) while (out.length % 8 !== 0) out += '=';
  return out;
}

/**
 * RFC 4648 §6 base32 decoding. Case-insensitive; spaces and padding are ignored (people copy
 * secrets in groups). Throws VIGIL_ERR_USAGE on any other character or on leftover bits that are
 * not zero (a non-canonical encoding).
 */
export function base32Decode(text: string): Buffer {
  const clean = text.replace(/[\s=]/g, '').toUpperCase();
  const out: number[] = [];
  let bits = 0;
  let value = 0;
  for (const ch of clean) {
    const v = B32.indexOf(ch);
    if (v < 0) throw new VigilError('VIGIL_ERR_USAGE', 'invalid base32 character');
    value = (value << 5) | v;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
    value &= (1 << bits) - 1;
  }
  if (bits >= 5 || value !== 0)
    throw new VigilError('VIGIL_ERR_USAGE', 'invalid base32 length or padding bits');
  return Buffer.from(out);
}

/** Issuer shown by authenticator apps. */
export const TOTP_ISSUER = 'Vigil';

/**
 * The Key URI an authenticator app scans (Google Authenticator "Key Uri Format"):
 * `otpauth://totp/Vigil:<user>?secret=<base32>&issuer=Vigil&algorithm=SHA1&digits=6&period=30`.
 */
export function otpauthUri(userName: string, secret: Buffer): string {
  const label = `${encodeURIComponent(TOTP_ISSUER)}:${encodeURIComponent(userName)}`;
  return `otpauth://totp/${label}?secret=${base32Encode(secret, false)}&issuer=${encodeURIComponent(TOTP_ISSUER)}&algorithm=SHA1&digits=${TOTP_DIGITS}&period=${TOTP_STEP_SECONDS}`;
}
