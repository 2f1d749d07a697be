import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VigilError } from '../errors.ts';
import { MasterKey, parseMasterKey } from '../keys/master-key.ts';
import type { DatabaseSnapshots, SnapshotCheck } from '../storage/database-snapshots.ts';
import { readArchive } from './backup-archive.ts';
import { type BackupManifest, MANIFEST_NAME, openManifest, SIGNATURE_NAME } from './backup-manifest.ts';
import { PART } from './create-backup.ts';

/** A backup that passed every check, extracted into `dir` (removed after use). */
export interface OpenedBackup {
  file: string;
  bytes: number;
  dir: string;
  manifest: BackupManifest;
  /** The signing key is the trusted one (false: no trusted key was available to compare). */
  trusted: boolean;
  /** The installation's master key and hash root, as archived. */
  master: MasterKey;
  hashRoot: Buffer;
  check: SnapshotCheck;
}

export interface OpenBackupOptions {
  file: string;
  identities: readonly string[];
  /** PEM of the key the manifest must be signed with (this installation's report-signing key). */
  trustedPem?: string | undefined;
  snapshots: DatabaseSnapshots;
  /** Parent of the 0700 extraction directory; default the system temp directory. */
  workDir?: string;
}

function readKey(dir: string, name: string): Buffer {
  try {
    return parseMasterKey(readFileSync(join(dir, name), 'utf8'));
  } catch (err) {
    throw new VigilError('VIGIL_ERR_BACKUP_INVALID', `${name}: ${(err as Error).message}`);
  }
}

/**
 * Decrypts a backup into a 0700 directory and checks everything: the age authentication of every
 * byte, the manifest's Ed25519 signature (and that the key is the trusted one when known), every
 * part's SHA-256 and size against the manifest, the database's integrity check, the audit chain
 * (the Store port's verification), and the row counts and audit head against the manifest. Then
 * `use` runs on the result; the directory is removed afterwards whatever happens.
 */
export async function withOpenedBackup<T>(
  o: OpenBackupOptions,
  use: (b: OpenedBackup) => Promise<T>,
): Promise<T> {
  let bytes: number;
  try {
    bytes = statSync(o.file).size;
  } catch (err) {
    throw new VigilError('VIGIL_ERR_NOT_FOUND', `${o.file}: ${(err as Error).message}`);
  }
  const dir = mkdtempSync(join(o.workDir ?? tmpdir(), '.vigil-backup-open-'));
  try {
    const { digests, memory } = await readArchive({
      file: o.file,
      identities: o.identities,
      intoDir: dir,
      keepInMemory: [MANIFEST_NAME, SIGNATURE_NAME],
    });
    const mBytes = memory.get(MANIFEST_NAME);
    const sig = memory.get(SIGNATURE_NAME);
    if (!mBytes || !sig) throw new VigilError('VIGIL_ERR_BACKUP_INVALID', 'no signed manifest');
    const { manifest, trusted } = openManifest(mBytes, sig, o.trustedPem);
    const want = manifest.parts.map((p) => `${p.name} ${p.bytes} ${p.sha256}`);
    const got = digests.map((p) => `${p.name} ${p.bytes} ${p.sha256}`);
    for (const [i, w] of want.entries()) {
      if (got[i] !== w) {
        throw new VigilError(
          'VIGIL_ERR_BACKUP_INVALID',
          `part ${manifest.parts[i]?.name}: size or SHA-256 differs from the manifest`,
        );
      }
    }
    if (got.length !== want.length)
      throw new VigilError('VIGIL_ERR_BACKUP_INVALID', 'parts not listed in the manifest');
    const hashRoot = readKey(dir, PART.hashRoot);
    const master = new MasterKey(readKey(dir, PART.masterKey), { hashRoot });
    const check = await o.snapshots.check(join(dir, PART.db), master).catch((err: unknown) => {
      throw new VigilError('VIGIL_ERR_BACKUP_INVALID', `database: ${(err as Error).message.slice(0, 200)}`);
    });
    if (check.integrity.length !== 1 || check.integrity[0] !== 'ok') {
      throw new VigilError(
        'VIGIL_ERR_BACKUP_INVALID',
        `database integrity check: ${check.integrity.slice(0, 3).join('; ')}`,
      );
    }
    if (!check.audit.ok) {
      throw new VigilError(
        'VIGIL_ERR_BACKUP_INVALID',
        `audit chain broken at entry ${check.audit.firstBroken}`,
      );
    }
    if (JSON.stringify(check.rowCounts) !== JSON.stringify(manifest.rowCounts)) {
      throw new VigilError('VIGIL_ERR_BACKUP_INVALID', 'row counts differ from the manifest');
    }
    if (JSON.stringify(check.auditHead) !== JSON.stringify(manifest.auditHead)) {
      throw new VigilError('VIGIL_ERR_BACKUP_INVALID', 'audit head differs from the manifest');
    }
    return await use({ file: o.file, bytes, dir, manifest, trusted, master, hashRoot, check });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
