import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { VigilError } from '../errors.ts';

/**
 * The name of the systemd credential holding the master key: `LoadCredential=vigil-master-key:PATH`
 * (deploy/systemd/vigil.service). systemd puts it, readable by the service alone, in
 * `$CREDENTIALS_DIRECTORY` (systemd.exec(5), "Credentials").
 */
export const MASTER_KEY_CREDENTIAL = 'vigil-master-key';

/** Where the master key comes from, in this order. */
export type MasterKeySource = 'credential' | 'env' | 'file';

/** The master key text from the systemd credential or `VIGIL_MASTER_KEY`, and which. */
export function externalMasterKey(
  env: NodeJS.ProcessEnv,
): { text: string; source: 'credential' | 'env' } | null {
  const dir = env.CREDENTIALS_DIRECTORY;
  const path = dir ? join(dir, MASTER_KEY_CREDENTIAL) : undefined;
  if (path && existsSync(path)) {
    if (env.VIGIL_MASTER_KEY)
      throw new VigilError(
        'VIGIL_ERR_MASTER_KEY',
        `both the systemd credential ${MASTER_KEY_CREDENTIAL} and VIGIL_MASTER_KEY are set: keep one`,
      );
    try {
      return { text: readFileSync(path, 'utf8'), source: 'credential' };
    } catch (err) {
      throw new VigilError(
        'VIGIL_ERR_MASTER_KEY',
        `cannot read the credential ${MASTER_KEY_CREDENTIAL}: ${(err as Error).message}`,
      );
    }
  }
  return env.VIGIL_MASTER_KEY ? { text: env.VIGIL_MASTER_KEY, source: 'env' } : null;
}

/** Which source `loadOrCreateMasterKey` will use (for `vigil doctor`). */
export function masterKeySource(env: NodeJS.ProcessEnv): MasterKeySource {
  const dir = env.CREDENTIALS_DIRECTORY;
  if (dir && existsSync(join(dir, MASTER_KEY_CREDENTIAL))) return 'credential';
  return env.VIGIL_MASTER_KEY ? 'env' : 'file';
}
