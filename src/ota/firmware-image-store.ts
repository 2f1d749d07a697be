/**
 * The firmware image storage port: uploaded images, content-addressed by their SHA-256 (the
 * manifest's `sha256`, docs/ota.md). Embedded mode keeps them as files in the data directory
 * (`firmware/<sha256>.bin`, carried by backups); PostgreSQL keeps them in the database, in
 * chunks, so every process of a cluster serves the same bytes. Adapters must pass
 * `firmware-image-store-contract.ts`.
 *
 * The server does not verify an image when it serves it: the device checks size, hash and
 * signature before installing (docs/protocol.md §7.5). An adapter whose storage an outsider can
 * alter (PostgreSQL) still authenticates what it reads, and fails a read rather than serve bytes
 * it did not store.
 */
export interface FirmwareImageStore {
  /** Stores an image under its SHA-256 (hex). Idempotent: the same hash names the same bytes. */
  put(sha256: string, image: Buffer): Promise<void>;
  /** The stored image's size in bytes, or null when there is none. */
  size(sha256: string): Promise<number | null>;
  /**
   * Bytes `start..end` (inclusive, within the size) in order, a piece at a time: a Range request
   * never needs the whole image in memory. VIGIL_ERR_NOT_FOUND when the image is gone;
   * VIGIL_ERR_STORE when what is stored fails its integrity check.
   */
  read(sha256: string, start: number, end: number): AsyncIterable<Buffer>;
}

/** A SHA-256 in lowercase hex (what names an image). */
export const SHA256_HEX = /^[0-9a-f]{64}$/;
