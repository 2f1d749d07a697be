import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { backupConditions } from './backup-conditions.ts';
import type { BackupState } from './backup-state.ts';

const H = 3_600_000;
const empty: BackupState = {
  lastBackup: null,
  lastFailure: null,
  lastVerify: null,
  lastDrill: null,
  lastHook: null,
};
const active = (c: ReturnType<typeof backupConditions>) => c.filter((x) => x.active).map((x) => x.rule);

describe('backup alarms', () => {
  it('fires when the newest good backup is older than twice the interval, not before', () => {
    const base = { configured: true, intervalMs: H, state: empty, startedAt: 0 };
    assert.deepEqual(active(backupConditions({ ...base, newestAt: 10 * H, now: 12 * H - 1 })), []);
    assert.deepEqual(active(backupConditions({ ...base, newestAt: 10 * H, now: 12 * H + 1 })), [
      'backup-stale',
    ]);
    assert.deepEqual(active(backupConditions({ ...base, newestAt: null, now: 2 * H + 1 })), ['backup-stale']);
  });

  it('says nothing while backups are not configured, and reports a failed backup and a failed hook', () => {
    assert.deepEqual(
      active(
        backupConditions({
          configured: false,
          intervalMs: H,
          state: empty,
          startedAt: 0,
          newestAt: null,
          now: 99 * H,
        }),
      ),
      [],
    );
    const state: BackupState = {
      ...empty,
      lastFailure: { at: new Date(0).toISOString(), error: 'ENOSPC' },
      lastHook: {
        at: new Date(0).toISOString(),
        file: 'f',
        ok: false,
        exitCode: 3,
        durationMs: 5,
        error: 'exit code 3',
      },
    };
    const c = backupConditions({ configured: true, intervalMs: H, state, startedAt: 0, newestAt: 0, now: H });
    assert.deepEqual(active(c), ['backup-failed', 'backup-hook-failed']);
    assert.match(c.find((x) => x.rule === 'backup-hook-failed')?.message ?? '', /exit code 3/);
  });
});
