import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../atomic-file.ts';
import { VigilError } from '../errors.ts';
import type { Store } from '../storage/store.ts';
import {
  checkImage,
  checkManifestSignature,
  type FirmwareManifest,
  parseManifest,
  parsePublicKeyText,
} from './firmware-manifest.ts';
import type { FirmwareRecord, OtaStore } from './ota-store.ts';

export interface FirmwareServiceOptions {
  ota: OtaStore;
  store: Store;
  /** Where images lie, named by SHA-256. */
  dir: string;
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
    mkdirSync(this.#o.dir, { recursive: true, mode: 0o700 });
    writeFileAtomic(this.imagePath(manifest), image, 0o600);
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

  imagePath(m: FirmwareManifest): string {
    return join(this.#o.dir, `${m.sha256}.bin`);
  }

  /** The stored image of a version (as it lies on disk: devices verify it, not the server). */
  async image(version: string): Promise<{ record: FirmwareRecord; path: string } | null> {
    const record = await this.#o.ota.getFirmware(version);
    if (!record) return null;
    const path = this.imagePath(record.manifest);
    return existsSync(path) ? { record, path } : null;
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
