import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes } from 'node:crypto';
import { VigilError } from '../errors.ts';

/** What a sealed blob protects; bound into the AEAD so a blob cannot be moved between purposes. */
export type SealPurpose =
  | 'device-secret'
  | 'ca-key'
  | 'server-key'
  | 'service-key'
  | 'backup'
  | 'totp-secret'
  | 'report-key'
  | 'hash-root';

const SEAL_VERSION = 0x01;
const NONCE_LEN = 12;
const TAG_LEN = 16;

/**
 * Holds the 32-byte master key and derives every at-rest key from it (HKDF-SHA256, salt
 * `vigil/v1/at-rest`, one info string per purpose), so the master key itself never encrypts data.
 */
export class MasterKey {
  readonly #key: Buffer;
  /**
   * The root of the keyed hashes (delivery tokens, recovery codes). It is the master key itself
   * until the first master-key rotation, which keeps the old root sealed under the new master
   * key (`pki/hash-root.sealed`): hashes of values nobody stored cannot be recomputed.
   */
  readonly #hashRoot: Buffer;

  constructor(key: Buffer, hashRoot?: Buffer) {
    if (key.length !== 32) throw new VigilError('VIGIL_ERR_MASTER_KEY', 'master key must be 32 bytes');
    if (hashRoot !== undefined && hashRoot.length !== 32)
      throw new VigilError('VIGIL_ERR_MASTER_KEY', 'hash root must be 32 bytes');
    this.#key = Buffer.from(key);
    this.#hashRoot = Buffer.from(hashRoot ?? key);
  }

  /** The keyed-hash root, for a master-key rotation to carry over (sealed, never logged). */
  hashRoot(): Buffer {
    return Buffer.from(this.#hashRoot);
  }

  #derive(info: string, length = 32): Buffer {
    return Buffer.from(hkdfSync('sha256', this.#key, 'vigil/v1/at-rest', info, length));
  }

  /** Raw 32-byte key for SQLCipher (passed as a hex blob key, never as a passphrase). */
  databaseKey(): Buffer {
    return this.#derive('database');
  }

  /** A short public fingerprint so a wrong `VIGIL_MASTER_KEY` is detected with a clear error. */
  fingerprint(): string {
    return this.#derive('fingerprint', 8).toString('hex');
  }

  /** AES-256-GCM seal: version(1) | nonce(12) | ciphertext | tag(16); AAD = purpose. */
  seal(purpose: SealPurpose, plaintext: Buffer): Buffer {
    const nonce = randomBytes(NONCE_LEN);
    const cipher = createCipheriv('aes-256-gcm', this.#derive(`seal|${purpose}`), nonce);
    cipher.setAAD(Buffer.from(purpose));
    const ct = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    return Buffer.concat([Buffer.from([SEAL_VERSION]), nonce, ct, cipher.getAuthTag()]);
  }

  open(purpose: SealPurpose, sealed: Buffer): Buffer {
    if (sealed.length < 1 + NONCE_LEN + TAG_LEN || sealed[0] !== SEAL_VERSION) {
      throw new VigilError('VIGIL_ERR_MASTER_KEY', `sealed ${purpose} has an unknown format`);
    }
    const nonce = sealed.subarray(1, 1 + NONCE_LEN);
    const tag = sealed.subarray(sealed.length - TAG_LEN);
    const ct = sealed.subarray(1 + NONCE_LEN, sealed.length - TAG_LEN);
    const decipher = createDecipheriv('aes-256-gcm', this.#derive(`seal|${purpose}`), nonce);
    decipher.setAAD(Buffer.from(purpose));
    decipher.setAuthTag(tag);
    try {
      return Buffer.concat([decipher.update(ct), decipher.final()]);
    } catch (cause) {
      throw new VigilError('VIGIL_ERR_MASTER_KEY', `cannot open sealed ${purpose} (wrong master key?)`, {
        cause,
      });
    }
  }

  /** Keyed hash for values that must be matched but never stored (delivery tokens). */
  keyedHash(purpose: string, value: string): string {
    const key = Buffer.from(hkdfSync('sha256', this.#hashRoot, 'vigil/v1/at-rest', `hash|${purpose}`, 32));
    return createHmac('sha256', key).update(value).digest('base64url');
  }
}

/** Parses `VIGIL_MASTER_KEY`: 64 hex characters or 43 base64url characters. */
export function parseMasterKey(text: string): Buffer {
  const t = text.trim();
  if (/^[0-9a-fA-F]{64}$/.test(t)) return Buffer.from(t, 'hex');
  if (/^[A-Za-z0-9_-]{43}$/.test(t)) return Buffer.from(t, 'base64url');
  throw new VigilError(
    'VIGIL_ERR_MASTER_KEY',
    'VIGIL_MASTER_KEY must be 32 bytes as 64 hex or 43 base64url characters',
  );
}
