import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { type DoctorCheck, type Finding, ok } from '../finding.ts';

const modeOf = (path: string) => statSync(path).mode & 0o777;
const octal = (m: number) => m.toString(8).padStart(4, '0');

/**
 * The data directory is 0700 and what holds secrets is readable by its owner only: the master
 * key file, the sealed keys, the database (its WAL and shared memory too) and config.json (it may
 * hold sink passwords). Anything group- or world-accessible there is high.
 */
export const fileModesCheck: DoctorCheck = {
  name: 'file-modes',
  async run({ paths }) {
    const findings: Finding[] = [];
    const dirMode = modeOf(paths.dataDir);
    if (dirMode & 0o077)
      findings.push({
        check: 'file-modes',
        severity: 'high',
        message: `data directory ${paths.dataDir} has mode ${octal(dirMode)}: other users can reach it`,
        fix: `chmod 700 ${paths.dataDir}`,
      });
    const secretFiles = [
      paths.masterKey,
      paths.db,
      `${paths.db}-wal`,
      `${paths.db}-shm`,
      join(paths.dataDir, 'config.json'),
      ...(existsSync(paths.pkiDir)
        ? readdirSync(paths.pkiDir)
            .filter((f) => f.endsWith('.sealed') || f.endsWith('.key'))
            .map((f) => join(paths.pkiDir, f))
        : []),
    ];
    for (const f of secretFiles) {
      if (!existsSync(f)) continue;
      const m = modeOf(f);
      if (m & 0o077)
        findings.push({
          check: 'file-modes',
          severity: 'high',
          message: `${f} has mode ${octal(m)}: group or others can read it${f === paths.masterKey ? ' (the master key: treat it as leaked)' : ''}`,
          fix: `chmod 600 ${f}${f === paths.masterKey ? ', and rotate the master key if anyone could have read it' : ''}`,
        });
    }
    return findings.length > 0
      ? findings
      : [ok('file-modes', 'data directory 0700, secrets readable by their owner only')];
  },
};
