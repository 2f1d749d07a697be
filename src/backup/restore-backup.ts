import { randomBytes } from 'node:crypto';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { writeFileAtomic } from '../data-dir/context.ts';
import { dataPaths } from '../data-dir/paths.ts';
import { sealedFileIdentity } from '../data-dir/sealed-files.ts';
import { VigilError } from '../errors.ts';
import { MasterKey, parseMasterKey, type SealPurpose } from '../keys/master-key.ts';
import { HASH_ROOT_IDENTITY } from '../keys/master-key-file.ts';
import type { DatabaseSnapshots } from '../storage/database-snapshots.ts';
import { FIRMWARE_IMAGE_NAME, PART } from './create-backup.ts';
import { type OpenedBackup, withOpenedBackup } from './open-backup.ts';

export interface RestoreOptions {
  file: string;
  identities: readonly string[];
  target: string;
  trustedPem?: string | undefined;
  snapshots: DatabaseSnapshots;
  /** `VIGIL_MASTER_KEY`, when set, becomes the restored node's master key; else a new master.key. */
  env: NodeJS.ProcessEnv;
}

export interface RestoreResult {
  target: string;
  manifest: OpenedBackup['manifest'];
  trusted: boolean;
  resealed: number;
  durationMs: number;
}

function isEmptyDir(dir: string): boolean {
  try {
    return readdirSync(dir).length === 0;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return true;
    throw new VigilError('VIGIL_ERR_DATA_DIR', `${dir}: ${(err as Error).message}`);
  }
}

/**
 * Restores a backup into an empty data directory, on this machine or a new one, with the backup
 * identity alone: verifies it completely, gives the restored node a NEW master key, re-encrypts the
 * database and re-seals every sealed value (database columns and PKI files) under it. The original
 * installation's hash root is kept, sealed, so stored keyed hashes (delivery tokens, recovery
 * codes) still match. Devices reconnect with their existing certificates: CA and server
 * certificate are the same. On failure the target is left empty again.
 */
export async function restoreBackup(o: RestoreOptions): Promise<RestoreResult> {
  const target = resolve(o.target);
  if (!isEmptyDir(target)) {
    throw new VigilError(
      'VIGIL_ERR_TARGET_NOT_EMPTY',
      `${target} holds files; restore into a new, empty directory`,
    );
  }
  const t0 = performance.now();
  const created = !existsSync(target);
  mkdirSync(target, { recursive: true, mode: 0o700 });
  const paths = dataPaths(target);
  try {
    return await withOpenedBackup(
      {
        file: o.file,
        identities: o.identities,
        trustedPem: o.trustedPem,
        snapshots: o.snapshots,
        workDir: target,
      },
      async (b) => {
        const old = b.master;
        const fresh = o.env.VIGIL_MASTER_KEY ? parseMasterKey(o.env.VIGIL_MASTER_KEY) : randomBytes(32);
        const next = new MasterKey(fresh, { hashRoot: b.hashRoot });
        if (fresh.equals(old.exportForBackup().masterKey)) {
          throw new VigilError(
            'VIGIL_ERR_MASTER_KEY',
            "VIGIL_MASTER_KEY is the backed-up node's key; a restored node gets a new one",
          );
        }
        // Same purpose, same row or file identity, new master key.
        const reseal = (purpose: SealPurpose, sealed: Buffer, identity: string) =>
          next.seal(purpose, old.open(purpose, sealed, identity), identity);
        const db = join(b.dir, PART.db);
        const { resealed } = await o.snapshots.rekey(db, old, next.databaseKey(), reseal);
        mkdirSync(paths.pkiDir, { recursive: true, mode: 0o700 });
        let files = 0;
        const pkiFrom = join(b.dir, 'pki');
        for (const name of existsSync(pkiFrom) ? readdirSync(pkiFrom) : []) {
          const from = join(pkiFrom, name);
          if (name.endsWith('.sealed')) {
            const f = sealedFileIdentity(name);
            writeFileAtomic(
              join(paths.pkiDir, name),
              reseal(f.purpose, readFileSync(from), f.identity),
              0o600,
            );
            files++;
          } else copyFileSync(from, join(paths.pkiDir, name));
        }
        // Firmware images: plain copies (content-addressed, verified by the manifest's SHA-256).
        const fwFrom = join(b.dir, 'firmware');
        const images = existsSync(fwFrom)
          ? readdirSync(fwFrom).filter((n) => FIRMWARE_IMAGE_NAME.test(n))
          : [];
        if (images.length > 0) mkdirSync(paths.firmwareDir, { recursive: true, mode: 0o700 });
        for (const name of images)
          writeFileAtomic(join(paths.firmwareDir, name), readFileSync(join(fwFrom, name)), 0o600);
        if (existsSync(join(b.dir, PART.config)))
          copyFileSync(join(b.dir, PART.config), join(target, 'config.json'));
        writeFileAtomic(paths.hashRootSealed, next.seal('hash-root', b.hashRoot, HASH_ROOT_IDENTITY), 0o600);
        renameSync(db, paths.db);
        if (!o.env.VIGIL_MASTER_KEY) {
          writeFileSync(paths.masterKey, `${fresh.toString('hex')}\n`, { mode: 0o600, flag: 'wx' });
        }
        return {
          target,
          manifest: b.manifest,
          trusted: b.trusted,
          resealed: resealed + files,
          durationMs: performance.now() - t0,
        };
      },
    );
  } catch (err) {
    // Leave the target as it was: empty (or absent).
    if (created) rmSync(target, { recursive: true, force: true });
    else for (const n of readdirSync(target)) rmSync(join(target, n), { recursive: true, force: true });
    throw err;
  }
}

/** `basename` of a backup for messages and audit details (never a full path of another machine). */
export function backupLabel(file: string): string {
  return basename(file);
}
