import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isVigilError } from '../errors.ts';
import { DEFAULT_LOCKOUT, LockedError, lockoutDelayMs } from './lockout.ts';

const account = { maxFailures: 100, backoffAfter: DEFAULT_LOCKOUT.pairBackoffAfter };
const now = 10_000_000;

describe('lockout policy', () => {
  it('lets the first four failures retry at once', () => {
    const failures = [now - 1, now - 2, now - 3, now - 4];
    assert.equal(lockoutDelayMs(failures, now, account, DEFAULT_LOCKOUT), 0);
  });

  it('backs off exponentially from the fifth failure, measured from the last one', () => {
    const at = (n: number) => Array.from({ length: n }, () => now);
    assert.equal(lockoutDelayMs(at(5), now, account, DEFAULT_LOCKOUT), 1000);
    assert.equal(lockoutDelayMs(at(6), now, account, DEFAULT_LOCKOUT), 2000);
    assert.equal(lockoutDelayMs(at(8), now, account, DEFAULT_LOCKOUT), 8000);
    assert.equal(lockoutDelayMs(at(30), now, account, DEFAULT_LOCKOUT), 15 * 60_000);
    assert.equal(lockoutDelayMs(at(8), now + 8000, account, DEFAULT_LOCKOUT), 0);
  });

  it('locks at 100 failures in an hour until the oldest counted one leaves the window', () => {
    // 100 failures one second apart, the newest 1 s ago.
    const failures = Array.from({ length: 100 }, (_, i) => now - 1000 - i * 1000);
    const wait = lockoutDelayMs(failures, now, account, DEFAULT_LOCKOUT);
    const oldest = now - 1000 - 99 * 1000;
    assert.equal(wait, oldest + 3_600_000 - now);
    assert.ok(wait > 15 * 60_000);
  });

  it('forgets failures older than the window', () => {
    const old = Array.from({ length: 100 }, () => now - 3_600_000);
    assert.equal(lockoutDelayMs(old, now, account, DEFAULT_LOCKOUT), 0);
  });

  it('counts a failure 1 ms inside the window and not one at its edge', () => {
    const recent = [now - 1, now - 2, now - 3, now - 4];
    assert.equal(lockoutDelayMs([...recent, now - 3_600_000], now, account, DEFAULT_LOCKOUT), 0);
    assert.equal(lockoutDelayMs([...recent, now - 3_599_999], now, account, DEFAULT_LOCKOUT), 999);
  });

  it('reports VIGIL_ERR_LOCKED with a whole number of seconds to wait', () => {
    const e = new LockedError(1500);
    assert.ok(isVigilError(e, 'VIGIL_ERR_LOCKED'));
    assert.equal(e.status, 429);
    assert.equal(e.retryAfterSeconds, 2);
    assert.equal(e.detail, 'retry after 2 s');
    assert.equal(new LockedError(1).retryAfterSeconds, 1);
  });
});
