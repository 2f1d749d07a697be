import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { VigilError } from '../errors.ts';
import { MasterKey, parseMasterKey } from './master-key.ts';
import { externalMasterKey } from './master-key-source.ts';

/**
 * The identity the hash root file is sealed to (`MasterKey.seal`): written by a restore onto a new
 * node and by `vigil keys rotate-master`, read by every open of the data directory.
 */
export const HASH_ROOT_IDENTITY = 'file:hash-root.sealed';

/** The flag of `vigil start` that accepts a master key file other users could read. */
export const ACCEPT_EXPOSED_MASTER_KEY_FLAG = '--accept-exposed-master-key';

/**
 * Refuses a `master.key` that group or others can read or write (VIGIL_ERR_MASTER_KEY) unless
 * `acceptExposed`; returns its mode. Also run before anything is written (`vigil start`'s
 * pre-flight), so a refused start leaves the data directory as it was.
 */
export function checkMasterKeyMode(path: string, acceptExposed: boolean): number {
  const mode = statSync(path).mode & 0o777;
  if (mode & 0o077 && !acceptExposed) {
    throw new VigilError(
      'VIGIL_ERR_MASTER_KEY',
      `${path} has mode ${mode.toString(8).padStart(4, '0')}: other users may have read the master key. ` +
        `If they could, treat it as leaked and rotate it. Then run \`chmod 600 ${path}\`, or start once with ` +
        `${ACCEPT_EXPOSED_MASTER_KEY_FLAG} to accept the risk (the mode is then set to 0600)`,
    );
  }
  return mode;
}

/**
 * The master key comes from the systemd credential `vigil-master-key` (`$CREDENTIALS_DIRECTORY`)
 * or VIGIL_MASTER_KEY when set; otherwise from `master.key` in the data directory, generated on
 * first use with mode 0600 (DESIGN.md §2).
 *
 * A `master.key` that group or others can read or write may have leaked: it is refused with
 * VIGIL_ERR_MASTER_KEY rather than silently chmod-ed (the operator must judge whether to rotate
 * the key), unless `acceptExposed` (`vigil start --accept-exposed-master-key`): then the mode is
 * set to 0600 and `exposedMode` tells the caller to log and audit it.
 */
export function loadOrCreateMasterKey(
  path: string,
  env: NodeJS.ProcessEnv,
  opts: { acceptExposed?: boolean; hashRootPath?: string } = {},
): { key: MasterKey; created: boolean; exposedMode?: number } {
  const withHashRoot = (raw: Buffer): MasterKey => {
    // A node restored from a backup (src/backup/restore-backup.ts), or whose master key was
    // rotated (src/data-dir/master-rotation.ts), keeps its hash root sealed under the master key.
    const hashRootPath = opts.hashRootPath;
    if (!hashRootPath || !existsSync(hashRootPath)) return new MasterKey(raw);
    const hashRoot = new MasterKey(raw).open('hash-root', readFileSync(hashRootPath), HASH_ROOT_IDENTITY);
    return new MasterKey(raw, { hashRoot });
  };
  const external = externalMasterKey(env);
  if (external) return { key: withHashRoot(parseMasterKey(external.text)), created: false };
  if (existsSync(path)) {
    const mode = checkMasterKeyMode(path, opts.acceptExposed ?? false);
    const key = withHashRoot(parseMasterKey(readFileSync(path, 'utf8')));
    if (!(mode & 0o077)) return { key, created: false };
    chmodSync(path, 0o600);
    return { key, created: false, exposedMode: mode };
  }
  const raw = randomBytes(32);
  try {
    writeFileSync(path, `${raw.toString('hex')}\n`, { mode: 0o600, flag: 'wx' });
  } catch (err) {
    throw new VigilError('VIGIL_ERR_DATA_DIR', `cannot write ${path}: ${(err as Error).message}`);
  }
  return { key: new MasterKey(raw), created: true };
}
