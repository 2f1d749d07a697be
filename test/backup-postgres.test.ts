/**
 * `vigil backup` on a PostgreSQL installation (storage.url): a Vigil backup is a copy of the
 * embedded SQLite database plus the data directory, so on PostgreSQL `vigil backup create` is
 * refused with a clear VIGIL_ERR_CONFIG that names the database's own tools, and `vigil start`
 * does not try (and fail) a scheduled backup every interval: no backup, no failure recorded, no
 * backup alarm (docs/operations.md).
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { generateBackupIdentity } from '../src/backup/age-identity.ts';
import { readBackupState } from '../src/backup/backup-state.ts';
import { SYSTEM_SUBJECT } from '../src/continuity/system-alarms.ts';
import { type PgServer, postgresOrSkip } from '../src/storage/adapters/postgres-server.fixture.ts';
import { startInstance } from './helpers/instance.ts';
import { runVigil } from './helpers/run-vigil.ts';

const pgs = await postgresOrSkip();
const pg = typeof pgs === 'string' ? undefined : (pgs as PgServer);
if (pg) after(() => pg.stop());

describe('backups on PostgreSQL (storage.url)', { skip: typeof pgs === 'string' ? pgs : false }, () => {
  it('refuses vigil backup create with a clear error and skips the scheduled backups without failing', async () => {
    assert.ok(pg);
    await pg.query('CREATE DATABASE vigil_backup');
    const { recipient } = await generateBackupIdentity();
    const inst = await startInstance(
      { storage: { url: pg.url('vigil_backup') }, backup: { recipients: [recipient], intervalMinutes: 60 } },
      undefined,
      { continuity: { checkMs: 100, backupFirstDelayMs: 0, backupRetryBaseMs: 100 } },
    );
    try {
      const dir = join(inst.dataDir, 'backups');
      // The configuration as an operator writes it, for the command line.
      writeFileSync(
        join(inst.dataDir, 'config.json'),
        JSON.stringify({ storage: { url: pg.url('vigil_backup') }, backup: { recipients: [recipient] } }),
      );
      const r = await runVigil(['backup', 'create', '--json'], { dataDir: inst.dataDir, timeoutMs: 120_000 });
      assert.notEqual(r.code, 0, r.stdout);
      assert.match(r.stderr, /VIGIL_ERR_CONFIG/);
      assert.match(r.stderr, /the database is PostgreSQL/);
      assert.match(r.stderr, /pg_basebackup/);
      assert.match(r.stderr, /config\.json, pki\/ and keys\//);
      assert.doesNotMatch(r.stderr, /SQLITE_CANTOPEN|VIGIL_ERR_STORE/);
      assert.equal(r.stdout, '');

      // The schedule would have run at once (first delay 0) and retried every 100 ms.
      assert.equal(inst.server.continuity.backups.nextAt(), null, 'no scheduled backup');
      await new Promise((res) => setTimeout(res, 1500));
      await inst.server.continuity.check();
      assert.equal(existsSync(dir) ? readdirSync(dir).filter((n) => n.endsWith('.age')).length : 0, 0);
      assert.equal(
        readBackupState(inst.ctx.paths.backupState).lastFailure ?? null,
        null,
        'no failure recorded',
      );
      const alarms = await inst.server.alarms.list({ subject: SYSTEM_SUBJECT, state: 'active' });
      assert.deepEqual(
        alarms.map((a) => a.rule).filter((rule) => rule.startsWith('backup')),
        [],
        'no backup alarm',
      );
      const audit = await inst.ctx.store.queryAudit({ action: 'backup.failed', limit: 10 });
      assert.equal(audit.length, 0, 'no failed backup audited');
    } finally {
      await inst.destroy();
    }
  });
});
