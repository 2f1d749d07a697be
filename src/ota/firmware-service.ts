import { readFileSync } from 'node:fs';
import { VigilError } from '../errors.ts';
import type { Store } from '../storage/store.ts';
import type { FirmwareImageStore } from './firmware-image-store.ts';
import {
  checkImage,
  checkManifestSignature,
  parseManifest,
  parsePublicKeyText,
} from './firmware-manifest.ts';
import type { FirmwareRecord, OtaStore } from './ota-store.ts';

export interface FirmwareServiceOptions {
  ota: OtaStore;
  store: Store;
  /** Where images lie, named by SHA-256 (files in the data directory, or PostgreSQL). */
  images: FirmwareImageStore;
  /** `ota.trustedKeys`. */
  trustedKeys: readonly string[];
  clock: () => number;
}

/**
 * Uploaded firmware: verifies an image and its manifest against the trusted keys before anything
 * is stored, keeps the image by its SHA-256 and audits every upload, accepted or refused.
 */
export class FirmwareService {
  readonly #o: FirmwareServiceOptions;

  constructor(o: FirmwareServiceOptions) {
    this.#o = o;
  }

  get trustedKeys(): readonly string[] {
    return this.#o.trustedKeys;
  }

  /** Verifies and stores an image; refused uploads are audited as `firmware.refused`. */
  async add(image: Buffer, manifestText: string, actor: string): Promise<FirmwareRecord> {
    const { ota, store, clock } = this.#o;
    const manifest = parseManifest(manifestText);
    const refusal = !manifest
      ? 'manifest'
      : this.#o.trustedKeys.length === 0
        ? 'no_trusted_keys'
        : (checkManifestSignature(manifest, this.#o.trustedKeys.map(parsePublicKeyText)) ??
          checkImage(manifest, image));
    if (refusal !== null || !manifest) {
      await store.appendAudit({
        ts: clock(),
        actor,
        action: 'firmware.refused',
        object: manifest?.version ?? null,
        detail: { reason: refusal, size: image.length },
      });
      throw new VigilError('VIGIL_ERR_FIRMWARE_INVALID', REFUSALS[refusal ?? 'manifest'] ?? 'refused');
    }
    if (await ota.getFirmware(manifest.version))
      throw new VigilError('VIGIL_ERR_FIRMWARE_EXISTS', `version ${manifest.version}`);
    // The image first (named by its hash, so a rerun writes the same file), then the record.
    await this.#o.images.put(manifest.sha256, image);
    const rec: FirmwareRecord = {
      version: manifest.version,
      profile: manifest.profile,
      manifest,
      addedBy: actor,
      addedAt: clock(),
    };
    await ota.addFirmware(rec);
    await store.appendAudit({
      ts: rec.addedAt,
      actor,
      action: 'firmware.add',
      object: manifest.version,
      detail: {
        profile: manifest.profile,
        size: manifest.size,
        sha256: manifest.sha256,
        securityCounter: manifest.securityCounter,
        keyId: manifest.keyId,
      },
    });
    return rec;
  }

  /**
   * The stored image of a version, its size and a reader of byte ranges (the bytes as stored:
   * devices verify them, not the server).
   */
  async image(version: string): Promise<{
    record: FirmwareRecord;
    size: number;
    read: (start: number, end: number) => AsyncIterable<Buffer>;
  } | null> {
    const record = await this.#o.ota.getFirmware(version);
    if (!record) return null;
    const { sha256 } = record.manifest;
    const size = await this.#o.images.size(sha256);
    return size === null
      ? null
      : { record, size, read: (start, end) => this.#o.images.read(sha256, start, end) };
  }

  /** Reads an image file for upload commands (bounded). */
  static readImage(path: string): Buffer {
    try {
      return readFileSync(path);
    } catch (err) {
      throw new VigilError(
        'VIGIL_ERR_USAGE',
        `cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`,
      );
    }
  }
}

const REFUSALS: Record<string, string> = {
  manifest: 'the manifest is not a valid firmware manifest',
  no_trusted_keys: 'no firmware signing key is trusted (ota.trustedKeys is empty)',
  unknown_key: 'the manifest is signed by a key that is not in ota.trustedKeys',
  signature: 'the manifest signature does not verify',
  size: 'the image size does not match the manifest',
  hash: 'the image SHA-256 does not match the manifest',
};
