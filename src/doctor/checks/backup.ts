import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { type DoctorCheck, type Finding, ok, rawSetting } from '../finding.ts';

const DAY = 86_400_000;
/** `vigil-backup-<UTC timestamp>.age` (docs/operations.md). */
const BACKUP_FILE = /^vigil-backup-.+\.age$/;

/**
 * Backups as the continuity settings describe them: `backup.recipients` set (initialised), the
 * newest `vigil-backup-*.age` in `backup.dir` (default `<data-dir>/backups`) no older than twice
 * `backup.intervalMinutes` (default 60), and a restore drill that passed within 30 days
 * (`backup-state.json`, written by `vigil backup drill`).
 */
export const backupCheck: DoctorCheck = {
  name: 'backup',
  async run({ rawConfig, paths, clock }) {
    const now = clock();
    const recipients = rawSetting(rawConfig, 'backup.recipients');
    if (!Array.isArray(recipients) || recipients.length === 0)
      return [
        {
          check: 'backup',
          severity: 'high',
          message: 'backups are not configured (backup.recipients is empty): a lost disk loses everything',
          fix: 'vigil backup init, then move the identity file offline (docs/operations.md)',
        },
      ];
    const findings: Finding[] = [];
    const interval = Number(rawSetting(rawConfig, 'backup.intervalMinutes') ?? 60) * 60_000;
    const dirSetting = rawSetting(rawConfig, 'backup.dir');
    const dir =
      typeof dirSetting === 'string' ? resolve(paths.dataDir, dirSetting) : join(paths.dataDir, 'backups');
    const files = existsSync(dir) ? readdirSync(dir).filter((f) => BACKUP_FILE.test(f)) : [];
    const newest = files.map((f) => statSync(join(dir, f)).mtimeMs).sort((a, b) => b - a)[0];
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
    let drill: { at?: string; ok?: boolean } | null = null;
    try {
      drill =
        (
          JSON.parse(readFileSync(join(paths.dataDir, 'backup-state.json'), 'utf8')) as {
            lastDrill?: { at?: string; ok?: boolean };
          }
        ).lastDrill ?? null;
    } catch {
      drill = null;
    }
    if (!drill?.at)
      findings.push({
        check: 'backup',
        severity: 'medium',
        message: 'no restore drill on record: a backup never restored is a hope, not a backup',
        fix: 'vigil backup drill --identity FILE',
      });
    else if (drill.ok !== true)
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
