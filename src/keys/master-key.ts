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
  | 'notify-credential'
  | 'hash-root'
  /** The column-encryption key of a PostgreSQL database (src/storage/adapters/postgres-cipher.ts). */
  | 'data-key';

/** v1: AAD = purpose. v2: AAD = `vigil-seal/v2|<purpose>|<identity>`. */
const SEAL_V1 = 0x01;
const SEAL_V2 = 0x02;
const NONCE_LEN = 12;
const TAG_LEN = 16;

/**
 * Purposes whose blobs live in database rows. Their identity names the row (device and key
 * generation, user, notification credential), so a blob copied into another row does not open;
 * the only blobs of these purposes sealed with v1 (purpose only) are converted by a migration,
 * and v1 is refused after (notification credentials were never sealed with v1). The other
 * purposes are one file each (CA key, server key, a service's key, the report key): there is no
 * row to swap with, and v1 files from before keep opening until they are rewritten.
 */
const ROW_PURPOSES: ReadonlySet<SealPurpose> = new Set(['device-secret', 'totp-secret', 'notify-credential']);

/** The identity a device secret is sealed to: its device id and key generation. */
export function deviceSecretIdentity(deviceId: string, kid: number): string {
  return `device:${deviceId}#kid:${kid}`;
}

/** The identity a TOTP secret (enrolled or pending) is sealed to: its user. */
export function totpSecretIdentity(userName: string): string {
  return `user:${userName}`;
}

/**
 * The identity a notification credential is sealed to: its row, named for the channel it serves
 * (`email.password`, `sms.token`, `push.vapid-private-key`) or the webhook contact it signs for
 * (`webhook:<contact id>`). A contact's webhook secret copied to another contact, or the SMS
 * token copied into the e-mail password, does not open.
 */
export function notifyCredentialIdentity(name: string): string {
  return `notify-secret:${name}`;
}

/**
 * Holds the 32-byte master key and derives every at-rest key from it (HKDF-SHA256, salt
 * `vigil/v1/at-rest`, one info string per purpose), so the master key itself never encrypts data.
 */
export class MasterKey {
  readonly #key: Buffer;
  /**
   * The key that keyed hashes and the audit chain's HMAC key derive from: the master key itself
   * until it is replaced, by `vigil keys rotate-master` (which carries the old root over) or by
   * a restore onto a new node (which keeps the original installation's); then the root is sealed
   * under the current master key (`hash-root.sealed`), since the stored hashes (delivery tokens,
   * recovery codes) and the audit chain's MACs cannot be recomputed without the values.
   */
  readonly #hashRoot: Buffer;

  constructor(key: Buffer, opts: { hashRoot?: Buffer | undefined } = {}) {
    if (key.length !== 32) throw new VigilError('VIGIL_ERR_MASTER_KEY', 'master key must be 32 bytes');
    if (opts.hashRoot && opts.hashRoot.length !== 32)
      throw new VigilError('VIGIL_ERR_MASTER_KEY', 'hash root must be 32 bytes');
    this.#key = Buffer.from(key);
    this.#hashRoot = Buffer.from(opts.hashRoot ?? key);
  }

  #derive(info: string, length = 32, root = this.#key): Buffer {
    return Buffer.from(hkdfSync('sha256', root, 'vigil/v1/at-rest', info, length));
  }

  /**
   * The raw key material a backup must carry so that it restores with the offline backup
   * identity alone (DESIGN.md §2). Only the backup writer calls this, and only to put it inside
   * the age-encrypted archive; it is never written anywhere in clear.
   */
  exportForBackup(): { masterKey: Buffer; hashRoot: Buffer } {
    return { masterKey: Buffer.from(this.#key), hashRoot: Buffer.from(this.#hashRoot) };
  }

  /** Raw 32-byte key for SQLCipher (passed as a hex blob key, never as a passphrase). */
  databaseKey(): Buffer {
    return this.#derive('database');
  }

  /** A short public fingerprint so a wrong `VIGIL_MASTER_KEY` is detected with a clear error. */
  fingerprint(): string {
    return this.#derive('fingerprint', 8).toString('hex');
  }

  /**
   * Key of the audit log's HMAC chain (src/storage/audit-chain.ts). It derives from the hash root
   * so that the chain written before a master-key rotation, or by the original installation of a
   * node restored from a backup, still verifies (the same key as before while the root is the key).
   */
  auditKey(): Buffer {
    return this.#derive('audit-chain', 32, this.#hashRoot);
  }

  /**
   * AES-256-GCM seal: version(1) = 2 | nonce(12) | ciphertext | tag(16), with AAD binding the
   * purpose AND the identity of what is sealed (`deviceSecretIdentity`, `totpSecretIdentity`, a
   * file's role), so a blob opens only for the purpose and the row or file it was made for.
   */
  seal(purpose: SealPurpose, plaintext: Buffer, identity: string): Buffer {
    const nonce = randomBytes(NONCE_LEN);
    const cipher = createCipheriv('aes-256-gcm', this.#derive(`seal|${purpose}`), nonce);
    cipher.setAAD(aadV2(purpose, identity));
    const ct = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    return Buffer.concat([Buffer.from([SEAL_V2]), nonce, ct, cipher.getAuthTag()]);
  }

  /**
   * Opens a blob sealed for `purpose` and `identity`; VIGIL_ERR_MASTER_KEY when it was sealed for
   * anything else (another row, another purpose) or under another key. A v1 blob (purpose only)
   * opens only for the file purposes (see ROW_PURPOSES).
   */
  open(purpose: SealPurpose, sealed: Buffer, identity: string): Buffer {
    if (sealed[0] === SEAL_V1 && !ROW_PURPOSES.has(purpose))
      return this.#open(purpose, sealed, Buffer.from(purpose));
    if (sealed[0] !== SEAL_V2) {
      throw new VigilError('VIGIL_ERR_MASTER_KEY', `sealed ${purpose} has an unknown or retired format`);
    }
    return this.#open(purpose, sealed, aadV2(purpose, identity));
  }

  /**
   * Re-seals a blob to its identity: a v1 blob (purpose only, from before identities were bound)
   * is opened and sealed again as v2; a v2 blob must already belong to `identity`. For the
   * migration that converts stored blobs; nothing else accepts v1 row blobs.
   */
  reseal(purpose: SealPurpose, sealed: Buffer, identity: string): Buffer {
    if (sealed[0] === SEAL_V2) {
      this.open(purpose, sealed, identity);
      return sealed;
    }
    if (sealed[0] !== SEAL_V1) {
      throw new VigilError('VIGIL_ERR_MASTER_KEY', `sealed ${purpose} has an unknown format`);
    }
    return this.seal(purpose, this.#open(purpose, sealed, Buffer.from(purpose)), identity);
  }

  #open(purpose: SealPurpose, sealed: Buffer, aad: Buffer): Buffer {
    if (sealed.length < 1 + NONCE_LEN + TAG_LEN) {
      throw new VigilError('VIGIL_ERR_MASTER_KEY', `sealed ${purpose} has an unknown format`);
    }
    const nonce = sealed.subarray(1, 1 + NONCE_LEN);
    const tag = sealed.subarray(sealed.length - TAG_LEN);
    const ct = sealed.subarray(1 + NONCE_LEN, sealed.length - TAG_LEN);
    const decipher = createDecipheriv('aes-256-gcm', this.#derive(`seal|${purpose}`), nonce);
    decipher.setAAD(aad);
    decipher.setAuthTag(tag);
    try {
      return Buffer.concat([decipher.update(ct), decipher.final()]);
    } catch (cause) {
      throw new VigilError(
        'VIGIL_ERR_MASTER_KEY',
        `cannot open sealed ${purpose} (wrong master key, or sealed for another row?)`,
        { cause },
      );
    }
  }

  /** Keyed hash for values that must be matched but never stored (delivery tokens). */
  keyedHash(purpose: string, value: string): string {
    return createHmac('sha256', this.#derive(`hash|${purpose}`, 32, this.#hashRoot))
      .update(value)
      .digest('base64url');
  }
}

const aadV2 = (purpose: SealPurpose, identity: string) =>
  Buffer.from(`vigil-seal/v2|${purpose}|${identity}`, 'utf8');

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
