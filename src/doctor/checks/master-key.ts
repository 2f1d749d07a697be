import { existsSync } from 'node:fs';
import { masterKeySource } from '../../keys/master-key-source.ts';
import type { DoctorCheck } from '../finding.ts';

/**
 * Where the master key comes from. A systemd credential keeps it out of the data directory and
 * out of the environment; `VIGIL_MASTER_KEY` is visible to anything that can read the process's
 * environment; `master.key` beside the data goes wherever the data directory is copied.
 */
export const masterKeyCheck: DoctorCheck = {
  name: 'master-key',
  async run({ env, paths }) {
    const source = masterKeySource(env);
    if (source === 'credential')
      return [
        {
          check: 'master-key',
          severity: 'ok',
          message: 'master key from the systemd credential vigil-master-key',
          fix: null,
        },
      ];
    if (source === 'env')
      return [
        {
          check: 'master-key',
          severity: 'low',
          message: 'master key from VIGIL_MASTER_KEY: processes of the same user can read the environment',
          fix: 'run under systemd with LoadCredential=vigil-master-key:/etc/vigil/master.key (deploy/systemd/vigil.service)',
        },
      ];
    return [
      {
        check: 'master-key',
        severity: 'medium',
        message: `master key in ${paths.masterKey}, inside the data directory${existsSync(paths.masterKey) ? '' : ' (not created yet)'}: a copy of the directory carries the key`,
        fix: 'move it to /etc/vigil/master.key (0400) and pass it as the systemd credential vigil-master-key (deploy/systemd/README.md)',
      },
    ];
  },
};
