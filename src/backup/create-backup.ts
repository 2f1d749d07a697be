import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { DataPaths } from '../data-dir/paths.ts';
import { VigilError } from '../errors.ts';
import type { MasterKey } from '../keys/master-key.ts';
import type { ReportSigner } from '../reports/signing.ts';
import type { DatabaseSnapshots } from '../storage/database-snapshots.ts';
import { VIGIL_VERSION } from '../vigil-version.ts';
import { type ArchivePart, writeArchive } from './backup-archive.ts';
import {
  backupFileName,
  commitFile,
  ensureBackupDir,
  partialPath,
  removeStaleParts,
} from './backup-files.ts';
import {
  type BackupManifest,
  MANIFEST_FORMAT,
  MANIFEST_NAME,
  manifestBytes,
  SIGNATURE_NAME,
  signManifest,
} from './backup-manifest.ts';

/** Archive names of the parts. */
export const PART = {
  db: 'db/vigil.db',
  config: 'config.json',
  masterKey: 'keys/master.key',
  hashRoot: 'keys/hash-root.key',
  pkiPrefix: 'pki/',
  firmwarePrefix: 'firmware/',
} as const;

/** A stored firmware image: named by its SHA-256 (src/ota/firmware-service.ts). */
export const FIRMWARE_IMAGE_NAME = /^[0-9a-f]{64}\.bin$/;

export interface CreateBackupDeps {
  paths: DataPaths;
  recipients: readonly string[];
  /** Where the file goes. */
  outDir: string;
  master: MasterKey;
  snapshots: DatabaseSnapshots;
  signer: ReportSigner;
  clock: () => number;
}

export interface CreatedBackup {
  file: string;
  bytes: number;
  durationMs: number;
  manifest: BackupManifest;
}

/** Regular files of the PKI directory (certificates, CRL, sealed keys, the report key). */
function pkiParts(pkiDir: string): ArchivePart[] {
  return readdirSync(pkiDir)
    .filter((n) => !n.includes('.tmp-') && statSync(join(pkiDir, n)).isFile())
    .sort()
    .map((n) => ({ name: `${PART.pkiPrefix}${n}`, path: join(pkiDir, n) }));
}

/**
 * Uploaded firmware images (docs/ota.md). Listed after the database snapshot: an image is written
 * before its record, so every record in the snapshot finds its image.
 */
function firmwareParts(dir: string): ArchivePart[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((n) => FIRMWARE_IMAGE_NAME.test(n) && statSync(join(dir, n)).isFile())
    .sort()
    .map((n) => ({ name: `${PART.firmwarePrefix}${n}`, path: join(dir, n) }));
}

/**
 * Takes a backup: a consistent snapshot of the live database while ingest runs, the PKI, the
 * uploaded firmware images, the sealed keys and the key material that opens them, the
 * configuration, and a signed manifest, all in one age file encrypted to `recipients`. The snapshot stays encrypted under the database
 * key until it is inside the age stream; the staging directory is removed whatever happens.
 */
export async function createBackup(d: CreateBackupDeps): Promise<CreatedBackup> {
  if (d.recipients.length === 0) {
    throw new VigilError('VIGIL_ERR_BACKUP_NOT_CONFIGURED', 'no backup.recipients: run vigil backup init');
  }
  const t0 = performance.now();
  ensureBackupDir(d.outDir);
  removeStaleParts(d.outDir);
  const createdAt = d.clock();
  const name = backupFileName(createdAt);
  const final = join(d.outDir, name);
  if (existsSync(final)) throw new VigilError('VIGIL_ERR_USAGE', `${final} exists`);
  const partial = partialPath(d.outDir, name);
  const staging = mkdtempSync(join(d.outDir, `.staging-${process.pid}-`));
  try {
    const dbCopy = join(staging, 'vigil.db');
    const facts = await d.snapshots.snapshot(dbCopy);
    const keys = d.master.exportForBackup();
    const parts: ArchivePart[] = [
      { name: PART.db, path: dbCopy },
      ...pkiParts(d.paths.pkiDir),
      ...firmwareParts(d.paths.firmwareDir),
      ...(existsSync(join(d.paths.dataDir, 'config.json'))
        ? [{ name: PART.config, path: join(d.paths.dataDir, 'config.json') }]
        : []),
      { name: PART.masterKey, data: Buffer.from(`${keys.masterKey.toString('hex')}\n`) },
      { name: PART.hashRoot, data: Buffer.from(`${keys.hashRoot.toString('hex')}\n`) },
    ];
    let manifest: BackupManifest | undefined;
    await writeArchive({
      outPath: partial,
      recipients: d.recipients,
      parts,
      trailer: (digests) => {
        manifest = {
          format: MANIFEST_FORMAT,
          vigilVersion: VIGIL_VERSION,
          schemaVersion: facts.schemaVersion,
          createdAt: new Date(createdAt).toISOString(),
          rowCounts: facts.rowCounts,
          parts: digests,
          auditHead: facts.auditHead,
          signingKey: { publicKeyPem: d.signer.publicKeyPem, fingerprint: d.signer.fingerprint },
        };
        const bytes = manifestBytes(manifest);
        return [
          { name: MANIFEST_NAME, data: bytes },
          { name: SIGNATURE_NAME, data: signManifest(bytes, d.signer) },
        ];
      },
    });
    commitFile(partial, final, d.outDir);
    if (!manifest) throw new VigilError('VIGIL_ERR_INTERNAL', 'manifest not written');
    return { file: final, bytes: statSync(final).size, durationMs: performance.now() - t0, manifest };
  } catch (err) {
    rmSync(partial, { force: true });
    throw err;
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}
