import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { isDiskFull, StorageHealth } from './storage-health.ts';

describe('storage health', () => {
  it('tells a full volume from other storage failures, through wrapped causes', () => {
    const full = Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' });
    assert.equal(
      isDiskFull(new Error('write failed', { cause: new Error('[sqlite] store: x', { cause: full }) })),
      true,
    );
    assert.equal(isDiskFull(Object.assign(new Error('no space'), { code: 'ENOSPC' })), true);
    assert.equal(isDiskFull(Object.assign(new Error('busy'), { code: 'SQLITE_BUSY' })), false);
  });

  it('forecasts days until full from the ingest rate and raises the alarm below minFreeDays', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-disk-'));
    try {
      const h = new StorageHealth({ dataDir: dir, minFreeDays: 14 });
      assert.ok(existsSync(join(dir, '.space-reserve')), 'the reserve is kept');
      // 1 MB per reading, 1000 readings/s: 86.4 GB a day, far more than any test volume holds.
      const fast = h.measure({ readingsPerSec: 1000, readings: 1000, dbBytes: 1e9 });
      assert.ok(fast.forecastDays !== null && fast.forecastDays < 14);
      assert.deepEqual(
        h
          .conditions()
          .filter((c) => c.active)
          .map((c) => c.rule),
        ['disk-forecast'],
      );
      const idle = h.measure({ readingsPerSec: 0, readings: 1000, dbBytes: 1e6 });
      assert.equal(idle.forecastDays, null, 'nothing stored: no forecast');
      assert.deepEqual(
        h.conditions().filter((c) => c.active),
        [],
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('enters the disk-full state on SQLITE_FULL, frees the reserve, and leaves it when there is room', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-disk-'));
    try {
      const h = new StorageHealth({ dataDir: dir, minFreeDays: 14 });
      h.failed(Object.assign(new Error('busy'), { code: 'SQLITE_BUSY' }), 1);
      assert.equal(h.writable, true);
      h.failed(Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' }), 2);
      assert.equal(h.writable, false);
      assert.equal(existsSync(join(dir, '.space-reserve')), false, 'the reserve is released for the alarm');
      assert.deepEqual(
        h
          .conditions()
          .filter((c) => c.active)
          .map((c) => c.rule),
        ['disk-full'],
      );
      h.measure({ readingsPerSec: 0, readings: 0, dbBytes: 0 });
      assert.equal(h.writable, true, 'room again (this volume has plenty)');
      assert.ok(existsSync(join(dir, '.space-reserve')));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
