/**
 * Scheduled backups inside `vigil start`: the first runs at start, `backup.command` gets the file
 * as `$1` (here it copies it off-site); a failing hook is an alarm, not a crash, and so is a
 * failing backup; the next good run clears them.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { generateBackupIdentity } from '../src/backup/age-identity.ts';
import { runBackup } from '../src/backup/backup-run.ts';
import { SYSTEM_SUBJECT } from '../src/continuity/system-alarms.ts';
import { databaseSnapshots } from '../src/data-dir/snapshots.ts';
import { loadOrCreateReportSigner } from '../src/reports/signing.ts';
import { apiRequest } from './helpers/api-client.ts';
import { fakeAuthenticator, tokenOf } from './helpers/fake-authenticator.ts';
import { type Instance, startInstance, waitFor } from './helpers/instance.ts';

let work: string;
let inst: Instance;

before(async () => {
  work = mkdtempSync(join(tmpdir(), 'vigil-backup-schedule-'));
  const { recipient } = await generateBackupIdentity();
  inst = await startInstance(
    {
      backup: {
        recipients: [recipient],
        intervalMinutes: 60,
        command: `cp "$1" '${join(work, 'offsite')}/'`,
      },
    },
    undefined,
    {
      authenticator: fakeAuthenticator,
      webRoot: '/nonexistent-vigil-web',
      continuity: { checkMs: 200, backupFirstDelayMs: 0, backupRetryBaseMs: 200 },
    },
  );
});

after(async () => {
  await inst?.destroy();
  rmSync(work, { recursive: true, force: true });
});

const active = async (rule: string) =>
  (await inst.server.alarms.list({ subject: SYSTEM_SUBJECT, rule, state: 'active' }))[0];

describe('scheduled backups and the off-site hook', () => {
  it('takes the first backup at start and the hook copies it off-site; the hook failing raises its alarm', async () => {
    // The hook's target does not exist yet: the first run's hook fails, and that is an alarm.
    const failed = await waitFor('hook alarm', () => active('backup-hook-failed'), 30_000);
    assert.match(failed.message, /exit code 1/);
    const dir = join(inst.dataDir, 'backups');
    const first = readdirSync(dir).filter((n) => n.endsWith('.age'));
    assert.equal(first.length, 1);
    const report = await inst.server.continuity.report();
    assert.equal(report.backup.lastHook?.ok, false);
    assert.ok(report.backup.nextAt !== null);

    // The target appears: the next run copies the file and clears the alarm.
    mkdirSync(join(work, 'offsite'));
    const r = await inst.server.continuity.backups.runNow();
    assert.equal(r.hook?.ok, true);
    assert.ok(existsSync(join(work, 'offsite', basename(r.backup.file))));
    await inst.server.continuity.check();
    assert.equal(await active('backup-hook-failed'), undefined);
    // /metrics: backup age and last success.
    const m = await apiRequest(inst.httpUrl, inst.ctx.ca.certPem, {
      path: '/metrics',
      headers: tokenOf('admin'),
    });
    assert.equal(m.status, 200, m.text);
    const value = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(m.text)?.[1]);
    assert.ok(value('vigil_backup_age_seconds') >= 0 && value('vigil_backup_age_seconds') < 60);
    assert.ok(Math.abs(value('vigil_backup_last_success_timestamp_seconds') * 1000 - Date.now()) < 60_000);
    assert.equal(value('vigil_backup_hook_ok'), 1);
    assert.equal(value('vigil_backup_configured'), 1);
  });

  it('a failing backup is an alarm, not a crash', async () => {
    const ctx = inst.ctx;
    const blocked = join(work, 'not-a-dir');
    writeFileSync(blocked, 'a file where the backup directory should be');
    await assert.rejects(
      runBackup(
        {
          paths: ctx.paths,
          config: { ...ctx.config, backup: { ...ctx.config.backup, dir: blocked } },
          master: ctx.master,
          snapshots: databaseSnapshots(ctx),
          signer: () => loadOrCreateReportSigner(ctx.paths.pkiDir, ctx.master),
          audit: ctx.store,
          clock: ctx.clock,
        },
        { actor: 'test' },
      ),
    );
    await inst.server.continuity.check();
    const a = await active('backup-failed');
    assert.ok(a, 'backup-failed alarm');
    await inst.server.continuity.backups.runNow();
    await inst.server.continuity.check();
    assert.equal(await active('backup-failed'), undefined);
    assert.equal((await ctx.store.queryAudit({ action: 'backup.failed', limit: 5 })).length, 1);
  });
});
