import { createReadStream, existsSync, mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../../atomic-file.ts';
import { VigilError } from '../../errors.ts';
import { type FirmwareImageStore, SHA256_HEX } from '../../ota/firmware-image-store.ts';

/**
 * Firmware images as files in the data directory (`firmware/<sha256>.bin`, mode 0600), the
 * embedded mode's image store: written atomically, streamed from disk for each Range, carried by
 * `vigil backup` beside the database that holds their manifests.
 */
export class FileFirmwareImages implements FirmwareImageStore {
  readonly #dir: string;

  constructor(dir: string) {
    this.#dir = dir;
  }

  /** Where an image lies (named by its hash, so a rerun writes the same file). */
  path(sha256: string): string {
    if (!SHA256_HEX.test(sha256)) throw new VigilError('VIGIL_ERR_USAGE', 'not a SHA-256');
    return join(this.#dir, `${sha256}.bin`);
  }

  async put(sha256: string, image: Buffer): Promise<void> {
    mkdirSync(this.#dir, { recursive: true, mode: 0o700 });
    writeFileAtomic(this.path(sha256), image, 0o600);
  }

  async size(sha256: string): Promise<number | null> {
    const p = this.path(sha256);
    return existsSync(p) ? statSync(p).size : null;
  }

  async *read(sha256: string, start: number, end: number): AsyncIterable<Buffer> {
    const p = this.path(sha256);
    if (!existsSync(p)) throw new VigilError('VIGIL_ERR_NOT_FOUND', 'firmware image');
    for await (const chunk of createReadStream(p, { start, end })) yield chunk as Buffer;
  }
}
