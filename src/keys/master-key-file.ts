import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { VigilError } from '../errors.ts';
import { MasterKey, parseMasterKey } from './master-key.ts';

/**
 * The master key comes from VIGIL_MASTER_KEY when set; otherwise from `master.key` in the data
 * directory, generated on first use with mode 0600 (DESIGN.md §2).
 */
export function loadOrCreateMasterKey(
  path: string,
  env: NodeJS.ProcessEnv,
  hashRootPath?: string,
): { key: MasterKey; created: boolean } {
  if (env.VIGIL_MASTER_KEY)
    return { key: withHashRoot(parseMasterKey(env.VIGIL_MASTER_KEY), hashRootPath), created: false };
  if (existsSync(path)) {
    const mode = statSync(path).mode & 0o777;
    if (mode & 0o077) chmodSync(path, 0o600);
    return { key: withHashRoot(parseMasterKey(readFileSync(path, 'utf8')), hashRootPath), created: false };
  }
  const raw = randomBytes(32);
  try {
    writeFileSync(path, `${raw.toString('hex')}\n`, { mode: 0o600, flag: 'wx' });
  } catch (err) {
    throw new VigilError('VIGIL_ERR_DATA_DIR', `cannot write ${path}: ${(err as Error).message}`);
  }
  return { key: new MasterKey(raw), created: true };
}

/** The master key with the keyed-hash root a master-key rotation left (when there is one). */
export function withHashRoot(raw: Buffer, hashRootPath: string | undefined): MasterKey {
  if (!hashRootPath || !existsSync(hashRootPath)) return new MasterKey(raw);
  const sealed = readFileSync(hashRootPath);
  return new MasterKey(raw, new MasterKey(raw).open('hash-root', sealed));
}
