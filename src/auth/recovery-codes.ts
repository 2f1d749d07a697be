import { randomBytes } from 'node:crypto';
import type { MasterKey } from '../keys/master-key.ts';

/** How many codes a user gets at TOTP enrolment. */
export const RECOVERY_CODE_COUNT = 10;

// Crockford's base32 alphabet: no i, l, o, u, so nothing is ambiguous once typed back (and
// 32 symbols = 5 bits per character, so a byte maps to a symbol without modulo bias).
const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';
const GROUPS = 3;
const GROUP_LEN = 4;

/**
 * Ten fresh codes `xxxx-xxxx-xxxx` (12 symbols, 60 bits each) from `random`. Shown to the user
 * once; only {@link hashRecoveryCode} values are stored.
 */
export function generateRecoveryCodes(
  random: (n: number) => Buffer = randomBytes,
  count = RECOVERY_CODE_COUNT,
): string[] {
  const codes: string[] = [];
  for (let i = 0; i < count; i++) {
    const bytes = random(GROUPS * GROUP_LEN);
    const chars = [...bytes].map((b) => ALPHABET[b & 31]);
    const groups: string[] = [];
    for (let g = 0; g < GROUPS; g++) groups.push(chars.slice(g * GROUP_LEN, (g + 1) * GROUP_LEN).join(''));
    codes.push(groups.join('-'));
  }
  return codes;
}

/**
 * Canonical form of what a user typed: lowercase, separators and spaces dropped, and the
 * look-alikes Crockford maps (o -> 0, i and l -> 1). Null when it cannot be a recovery code.
 */
export function normalizeRecoveryCode(input: string): string | null {
  const s = input.toLowerCase().replace(/[\s-]/g, '').replace(/o/g, '0').replace(/[il]/g, '1');
  if (s.length !== GROUPS * GROUP_LEN) return null;
  for (const ch of s) if (!ALPHABET.includes(ch)) return null;
  return s;
}

/** True when the input has the shape of a recovery code (as opposed to a 6-digit TOTP code). */
export function looksLikeRecoveryCode(input: string): boolean {
  return normalizeRecoveryCode(input) !== null;
}

/**
 * The stored form of a code: HMAC-SHA256 under a key derived from the master key
 * (`MasterKey.keyedHash`), over the user name and the normalised code. Keyed rather than a plain
 * SHA-256 because a code has only 60 bits: someone holding a copy of the database (without the
 * master key) must not be able to search that space offline; binding the user name means a hash
 * cannot be copied to another account. Returns null for input that is not a code.
 */
export function hashRecoveryCode(master: MasterKey, userName: string, code: string): string | null {
  const norm = normalizeRecoveryCode(code);
  return norm === null ? null : master.keyedHash('recovery-code', `${userName}\n${norm}`);
}
