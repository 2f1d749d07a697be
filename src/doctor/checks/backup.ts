import { backupDir, listBackups } from '../../backup/backup-files.ts';
import { readBackupState } from '../../backup/backup-state.ts';
import { type DoctorCheck, type Finding, ok } from '../finding.ts';

const DAY = 86_400_000;

/**
 * Backups as configured (`backup.*`, docs/operations.md): recipients set (initialised), the newest
 * complete backup in the backup directory no older than twice `backup.intervalMinutes` (the limit
 * of the `backup-stale` alarm), and a restore drill that passed within 30 days (the backup state
 * that `vigil backup drill` records).
 */
export const backupCheck: DoctorCheck = {
  name: 'backup',
  async run({ config, paths, clock }) {
    const now = clock();
    if (config.backup.recipients.length === 0)
      return [
        {
          check: 'backup',
          severity: 'high',
          message: 'backups are not configured (backup.recipients is empty): a lost disk loses everything',
          fix: 'vigil backup init, then move the identity file offline (docs/operations.md)',
        },
      ];
    const findings: Finding[] = [];
    const interval = config.backup.intervalMinutes * 60_000;
    const dir = backupDir(config);
    const newest = listBackups(dir)[0]?.createdAt;
    if (newest === undefined)
      findings.push({
        check: 'backup',
        severity: 'high',
        message: `no backup in ${dir}`,
        fix: 'vigil backup create, and check that vigil start runs (it takes them on schedule)',
      });
    else if (now - newest > 2 * interval)
      findings.push({
        check: 'backup',
        severity: 'high',
        message: `newest backup is ${Math.round((now - newest) / 3_600_000)} h old (interval ${interval / 60_000} min)`,
        fix: 'look at the backup alarm and the server log; run vigil backup create',
      });
    const drill = readBackupState(paths.backupState).lastDrill;
    if (!drill)
      findings.push({
        check: 'backup',
        severity: 'medium',
        message: 'no restore drill on record: a backup never restored is a hope, not a backup',
        fix: 'vigil backup drill --identity FILE',
      });
    else if (!drill.ok)
      findings.push({
        check: 'backup',
        severity: 'high',
        message: `the last restore drill (${drill.at}) failed`,
        fix: 'vigil backup drill --identity FILE, and fix what it reports',
      });
    else if (now - Date.parse(drill.at) > 30 * DAY)
      findings.push({
        check: 'backup',
        severity: 'medium',
        message: `the last restore drill passed on ${drill.at}, more than 30 days ago`,
        fix: 'vigil backup drill --identity FILE (monthly)',
      });
    return findings.length > 0
      ? findings
      : [ok('backup', 'backups configured, recent, and a drill passed within 30 days')];
  },
};
