import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { Logger } from 'pino';
import { dataPaths } from '../data-dir/paths.ts';
import type { BackupRunDeps } from './backup-run.ts';
import { startBackupSchedule } from './backup-schedule.ts';

function schedule(storageUrl: string | undefined) {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-backup-schedule-unit-'));
  const warnings: string[] = [];
  const logger = {
    warn: (m: string) => warnings.push(m),
    info: () => {},
    error: () => {},
  } as unknown as Logger;
  const config = {
    dataDir: dir,
    storage: storageUrl ? { url: storageUrl } : {},
    backup: { recipients: ['age1recipient'], intervalMinutes: 60, keep: { hourly: 1, daily: 1, monthly: 1 } },
  } as unknown as BackupRunDeps['config'];
  const never = () => {
    throw new Error('no backup may start');
  };
  const s = startBackupSchedule({
    paths: dataPaths(dir),
    config,
    master: {} as BackupRunDeps['master'],
    snapshots: {} as BackupRunDeps['snapshots'],
    signer: never,
    audit: { appendAudit: async () => never() },
    clock: Date.now,
    logger,
    firstDelayMs: 60_000,
  });
  return {
    s,
    warnings,
    done: () => {
      s.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

describe('startBackupSchedule', () => {
  it('schedules no backup on PostgreSQL and says so once, with what to do instead', () => {
    const { s, warnings, done } = schedule('postgres://vigil@db.example/vigil');
    try {
      assert.equal(s.nextAt(), null);
      assert.equal(warnings.length, 1);
      assert.match(warnings[0] as string, /scheduled backups are off: the database is PostgreSQL/);
      assert.match(warnings[0] as string, /pg_basebackup/);
    } finally {
      done();
    }
  });

  it('schedules backups on the embedded database without a warning', () => {
    const { s, warnings, done } = schedule(undefined);
    try {
      assert.notEqual(s.nextAt(), null);
      assert.deepEqual(warnings, []);
    } finally {
      done();
    }
  });
});
