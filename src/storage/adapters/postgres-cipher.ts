/**
 * Column encryption for PostgreSQL, which has no transparent encryption at rest: sensitive columns
 * (reading values, event bodies, batch ids, TOTP seeds, sealed keys, alarm texts, audit details)
 * are encrypted in the process before they are sent, so the server, its files, its backups and
 * its operators see only ciphertext. Ids, timestamps and seqs stay in clear for indexing.
 *
 * - One random 256-bit data key per database, stored in `vigil_keys` sealed under the master key
 *   (`MasterKey.seal('data-key', ...)`, AES-256-GCM); rotating the master key re-seals only it.
 * - Each value: AES-256-GCM (NIST SP 800-38D) with a fresh random 96-bit nonce:
 *   `0x01 | nonce(12) | ciphertext | tag(16)`. 2^32 values per key keep the random-nonce
 *   collision bound of SP 800-38D §8.3 far away for one database's lifetime at Vigil's rates
 *   only together with rotation; `vigil_keys` carries a key id for that.
 * - AAD = `vigil-col/v1|<table>.<column>|<row identity>` (device id + seq + idx for a reading,
 *   device id + seq for a message, the primary key elsewhere), so a ciphertext copied into
 *   another row or column does not open: an operator cannot move values between rows.
 */
import {
  createCipheriv,
  createDecipheriv,
  createHmac,
  hkdfSync,
  randomBytes,
  timingSafeEqual,
} from 'node:crypto';
import { VigilError } from '../../errors.ts';

const VERSION = 0x01;
const NONCE_LEN = 12;
const TAG_LEN = 16;

/** Encrypts and decrypts column values under one data key. */
export class ColumnCipher {
  readonly #key: Buffer;
  /** HMAC key of values kept in clear but authenticated (HKDF, RFC 5869, from the data key). */
  readonly #macKey: Buffer;

  constructor(key: Buffer) {
    if (key.length !== 32) throw new VigilError('VIGIL_ERR_MASTER_KEY', 'data key must be 32 bytes');
    this.#key = Buffer.from(key);
    this.#macKey = Buffer.from(hkdfSync('sha256', this.#key, '', 'vigil-col-mac/v1', 32));
  }

  /**
   * HMAC-SHA-256 of a value stored in clear (public, but not to be altered: firmware manifests
   * and images), bound to its column and row like the AAD of an encrypted value.
   */
  mac(column: string, identity: string, ...parts: Buffer[]): Buffer {
    const h = createHmac('sha256', this.#macKey).update(ColumnCipher.aad(column, identity));
    // Each part length-prefixed, so no two part lists give the same input.
    for (const p of parts) h.update(Buffer.from(String(p.length).padStart(12, '0'))).update(p);
    return h.digest();
  }

  /** Throws VIGIL_ERR_STORE unless `tag` is the value's {@link mac}. */
  checkMac(column: string, identity: string, tag: Buffer, ...parts: Buffer[]): void {
    const want = this.mac(column, identity, ...parts);
    if (tag.length !== want.length || !timingSafeEqual(tag, want)) {
      throw new VigilError(
        'VIGIL_ERR_STORE',
        `[postgres] ${column}: value altered outside Vigil (${identity})`,
      );
    }
  }

  static aad(column: string, identity: string): Buffer {
    return Buffer.from(`vigil-col/v1|${column}|${identity}`, 'utf8');
  }

  /** `column` is `table.column`; `identity` names the row (see the module comment). */
  encrypt(column: string, identity: string, plaintext: Buffer): Buffer {
    const nonce = randomBytes(NONCE_LEN);
    const c = createCipheriv('aes-256-gcm', this.#key, nonce);
    c.setAAD(ColumnCipher.aad(column, identity));
    const ct = Buffer.concat([c.update(plaintext), c.final()]);
    return Buffer.concat([Buffer.from([VERSION]), nonce, ct, c.getAuthTag()]);
  }

  decrypt(column: string, identity: string, blob: Buffer): Buffer {
    if (blob.length < 1 + NONCE_LEN + TAG_LEN || blob[0] !== VERSION) {
      throw new VigilError('VIGIL_ERR_STORE', `[postgres] ${column}: not an encrypted value`);
    }
    const d = createDecipheriv('aes-256-gcm', this.#key, blob.subarray(1, 1 + NONCE_LEN));
    d.setAAD(ColumnCipher.aad(column, identity));
    d.setAuthTag(blob.subarray(blob.length - TAG_LEN));
    try {
      return Buffer.concat([d.update(blob.subarray(1 + NONCE_LEN, blob.length - TAG_LEN)), d.final()]);
    } catch (cause) {
      // Never the value: only where it failed.
      throw new VigilError(
        'VIGIL_ERR_STORE',
        `[postgres] ${column}: value does not open for this row (moved, altered, or another key)`,
        { cause },
      );
    }
  }

  /** JSON-serialisable value -> ciphertext. */
  encryptJson(column: string, identity: string, value: unknown): Buffer {
    return this.encrypt(column, identity, Buffer.from(JSON.stringify(value), 'utf8'));
  }

  decryptJson<T>(column: string, identity: string, blob: Buffer): T {
    return JSON.parse(this.decrypt(column, identity, blob).toString('utf8')) as T;
  }

  /** Nullable variants: SQL NULL stays NULL (whether a value is set is not hidden). */
  encryptNullable(column: string, identity: string, value: unknown): Buffer | null {
    return value === null || value === undefined ? null : this.encryptJson(column, identity, value);
  }

  decryptNullable<T>(column: string, identity: string, blob: Buffer | null): T | null {
    return blob === null ? null : this.decryptJson<T>(column, identity, blob);
  }

  /** A Buffer value (sealed keys, TOTP seeds), nullable. */
  encryptBytes(column: string, identity: string, value: Buffer | null): Buffer | null {
    return value === null ? null : this.encrypt(column, identity, value);
  }

  decryptBytes(column: string, identity: string, blob: Buffer | null): Buffer | null {
    return blob === null ? null : this.decrypt(column, identity, blob);
  }
}
