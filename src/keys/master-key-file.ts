import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { VigilError } from '../errors.ts';
import { MasterKey, parseMasterKey } from './master-key.ts';
import { externalMasterKey } from './master-key-source.ts';

/**
 * The master key comes from the systemd credential `vigil-master-key` (`$CREDENTIALS_DIRECTORY`)
 * or VIGIL_MASTER_KEY when set; otherwise from `master.key` in the data directory, generated on
 * first use with mode 0600 (DESIGN.md §2).
 */
export function loadOrCreateMasterKey(
  path: string,
  env: NodeJS.ProcessEnv,
): { key: MasterKey; created: boolean } {
  const external = externalMasterKey(env);
  if (external) return { key: new MasterKey(parseMasterKey(external.text)), created: false };
  if (existsSync(path)) {
    const mode = statSync(path).mode & 0o777;
    if (mode & 0o077) chmodSync(path, 0o600);
    return { key: new MasterKey(parseMasterKey(readFileSync(path, 'utf8'))), created: false };
  }
  const raw = randomBytes(32);
  try {
    writeFileSync(path, `${raw.toString('hex')}\n`, { mode: 0o600, flag: 'wx' });
  } catch (err) {
    throw new VigilError('VIGIL_ERR_DATA_DIR', `cannot write ${path}: ${(err as Error).message}`);
  }
  return { key: new MasterKey(raw), created: true };
}
