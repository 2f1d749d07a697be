import { argon2, randomBytes, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { VigilError } from '../errors.ts';

/** The cost of an argon2id hash, and the sizes of its salt and tag. */
export interface Argon2Params {
  memoryKiB: number;
  passes: number;
  parallelism: number;
  saltBytes: number;
  tagBytes: number;
}

/**
 * Argon2id cost parameters of every new hash. OWASP Password Storage Cheat Sheet minimum for
 * argon2id: m = 19 MiB (19456 KiB), t = 2, p = 1; a 16-byte salt and a 32-byte tag (RFC 9106 §3.1
 * recommends 128-bit salts and 256-bit tags). About 30 ms per hash on the reference machine.
 * Only the auth unit tests hash with less (`AuthDeps.argon2Params`), so that mutation testing
 * can run them hundreds of times.
 */
export const ARGON2_PARAMS: Readonly<Argon2Params> = Object.freeze({
  memoryKiB: 19456,
  passes: 2,
  parallelism: 1,
  saltBytes: 16,
  tagBytes: 32,
});

/** Password policy (NIST SP 800-63B §3.1.1.2: length and a blocklist, no composition rules). */
export const PASSWORD_MIN_LENGTH = 12;
/** Upper bound on what is hashed at all: far beyond any real password, stops multi-MB inputs. */
export const PASSWORD_MAX_LENGTH = 1024;

// Bounds on parameters read back from a stored hash: a corrupted or hostile row must not make
// verification allocate gigabytes or run for minutes.
const MAX_MEMORY_KIB = 1 << 20;
const MAX_PASSES = 16;
const MAX_PARALLELISM = 8;

const PHC_RE =
  /^\$argon2id\$v=19\$m=(\d{1,8}),t=(\d{1,3}),p=(\d{1,2})\$([A-Za-z0-9+/]{11,64})\$([A-Za-z0-9+/]{22,128})$/;

/** The cost part of {@link Argon2Params}, as read back from a stored hash. */
export interface Argon2Cost {
  memoryKiB: number;
  passes: number;
  parallelism: number;
}

function runArgon2(password: string, salt: Buffer, cost: Argon2Cost, tagBytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    argon2(
      'argon2id',
      {
        message: Buffer.from(password.normalize('NFC')),
        nonce: salt,
        memory: cost.memoryKiB,
        passes: cost.passes,
        parallelism: cost.parallelism,
        tagLength: tagBytes,
      },
      (err, key) => (err ? reject(err) : resolve(key)),
    );
  });
}

// PHC string format: standard base64 without padding.
const b64 = (b: Buffer) => b.toString('base64').replace(/=/g, '');

/**
 * Hashes a password with argon2id into a PHC string:
 * `$argon2id$v=19$m=19456,t=2,p=1$<salt b64>$<hash b64>`. The password is NFC-normalised first
 * (NIST SP 800-63B §5.1.1.2) so that the same text typed on different systems matches.
 */
export async function hashPassword(
  password: string,
  p: Readonly<Argon2Params> = ARGON2_PARAMS,
  salt: Buffer = randomBytes(p.saltBytes),
): Promise<string> {
  if (password.length > PASSWORD_MAX_LENGTH) throw new VigilError('VIGIL_ERR_PASSWORD_POLICY', 'too long');
  const tag = await runArgon2(password, salt, p, p.tagBytes);
  return `$argon2id$v=19$m=${p.memoryKiB},t=${p.passes},p=${p.parallelism}$${b64(salt)}$${b64(tag)}`;
}

/**
 * Checks a password against a PHC string from {@link hashPassword}, comparing tags in constant
 * time. Returns false (never throws) for a wrong password, a malformed hash or out-of-range
 * parameters, so callers give one answer for every failure.
 */
export async function verifyPassword(encoded: string, password: string): Promise<boolean> {
  const stored = parseStoredHash(encoded);
  if (!stored || password.length > PASSWORD_MAX_LENGTH) return false;
  const actual = await runArgon2(password, stored.salt, stored.cost, stored.tag.length);
  return timingSafeEqual(actual, stored.tag);
}

/** What a stored PHC string holds. */
export interface StoredHash {
  cost: Argon2Cost;
  salt: Buffer;
  tag: Buffer;
}

/**
 * Reads a PHC string from {@link hashPassword}: null when it is malformed or its cost is out of
 * the bounds above (RFC 9106 §3.1 needs m >= 8p). The pattern itself bounds the salt to 8..48
 * bytes and the tag to 16..96 (11..64 and 22..128 base64 characters).
 */
export function parseStoredHash(encoded: string): StoredHash | null {
  const m = PHC_RE.exec(encoded);
  if (!m) return null;
  const cost = { memoryKiB: Number(m[1]), passes: Number(m[2]), parallelism: Number(m[3]) };
  if (
    cost.parallelism < 1 ||
    cost.parallelism > MAX_PARALLELISM ||
    cost.passes < 1 ||
    cost.passes > MAX_PASSES ||
    cost.memoryKiB < 8 * cost.parallelism ||
    cost.memoryKiB > MAX_MEMORY_KIB
  ) {
    return null;
  }
  // The pattern matched, so all five groups are there.
  return { cost, salt: Buffer.from(m[4] as string, 'base64'), tag: Buffer.from(m[5] as string, 'base64') };
}

/**
 * True when a stored hash is weaker than `p` (rehash at next login), or cannot be verified at all.
 */
export function needsRehash(encoded: string, p: Readonly<Argon2Params> = ARGON2_PARAMS): boolean {
  const s = parseStoredHash(encoded);
  return !s || s.cost.memoryKiB < p.memoryKiB || s.cost.passes < p.passes || s.tag.length < p.tagBytes;
}

let common: Set<string> | undefined;

/**
 * The bundled blocklist (`common-passwords.txt`: 49,233 entries from the MIT-licensed
 * `@zxcvbn-ts/language-common` 4.1.3 dictionary, lowercased), loaded on first use.
 */
export function commonPasswords(): ReadonlySet<string> {
  if (!common) {
    const text = readFileSync(new URL('./common-passwords.txt', import.meta.url), 'utf8');
    common = new Set(text.split('\n').filter((l) => l !== '' && !l.startsWith('# ')));
  }
  return common;
}

/**
 * Throws VIGIL_ERR_PASSWORD_POLICY (with a reason a user can act on, never the password) unless
 * the password has at least 12 characters, is not a common password (also after stripping
 * leading and trailing characters that are not letters, so `password1234!` counts as `password`), and is not
 * the user name.
 */
export function checkPasswordPolicy(password: string, userName: string): void {
  const fail = (why: string): never => {
    throw new VigilError('VIGIL_ERR_PASSWORD_POLICY', why);
  };
  const chars = [...password.normalize('NFC')].length;
  if (chars < PASSWORD_MIN_LENGTH) fail(`use at least ${PASSWORD_MIN_LENGTH} characters`);
  if (password.length > PASSWORD_MAX_LENGTH) fail(`use at most ${PASSWORD_MAX_LENGTH} characters`);
  const lower = password.normalize('NFC').toLowerCase();
  const core = lower.replace(/^[^\p{L}]+|[^\p{L}]+$/gu, '');
  const name = userName.toLowerCase();
  if (lower === name || core === name) fail('the password must not be the user name');
  const list = commonPasswords();
  // The list holds no empty entry, so a password without letters never matches by its core.
  if (list.has(lower) || list.has(core)) fail('this password is too common');
  if (/^(.)\1*$/su.test(lower)) fail('the password must not be one repeated character');
}

// Crockford base32 (no i, l, o, u): a one-time password is read off a terminal and typed.
const OTP_ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';

/**
 * A one-time password for a new account or a reset: 20 symbols (100 bits) in groups,
 * `xxxxx-xxxxx-xxxxx-xxxxx`. It passes {@link checkPasswordPolicy} for any user name.
 */
export function generateOneTimePassword(random: (n: number) => Buffer = randomBytes): string {
  const chars = [...random(20)].map((b) => OTP_ALPHABET[b & 31]).join('');
  return (chars.match(/.{5}/g) ?? []).join('-');
}
