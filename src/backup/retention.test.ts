import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { backupsToKeep } from './retention.ts';

const H = 3_600_000;
const T = Date.UTC(2026, 11, 6, 12, 30);

describe('backup retention', () => {
  it('keeps the newest of each hour, day and month within the limits, and always the newest', () => {
    // every 20 minutes for 3 days
    const times = Array.from({ length: 3 * 72 }, (_, i) => T - i * 20 * 60_000);
    const keep = backupsToKeep(times, { hourly: 5, daily: 2, monthly: 1 });
    const hours = new Set([...keep].map((t) => new Date(t).toISOString().slice(0, 13)));
    assert.ok(keep.has(T), 'newest kept');
    assert.equal(keep.size, hours.size, 'one per hour at most');
    // 5 newest hours, plus the newest of yesterday (and day before is beyond daily=2)
    assert.equal(keep.size, 6);
  });

  it('keeps only the newest when every limit is zero, and nothing of an empty list', () => {
    assert.deepEqual([...backupsToKeep([T - H, T, T - 2 * H], { hourly: 0, daily: 0, monthly: 0 })], [T]);
    assert.equal(backupsToKeep([], { hourly: 48, daily: 30, monthly: 12 }).size, 0);
  });
});
