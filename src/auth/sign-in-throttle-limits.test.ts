/**
 * The limits of the sign-in throttle on their own, over an in-memory failure log that follows the
 * `AccountStore` contract for sign-in failures (inclusive `since`, newest first, at most `limit`):
 * in-flight limits and their release, the summary of throttle decisions and its bounded memory,
 * pruning, the account-under-attack entry, and what is logged per kind of check.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { MasterKey } from '../keys/master-key.ts';
import type { AuditInput } from '../storage/store.ts';
import type { AccountStore, SignInFailure, SignInFailureQuery } from './account-store.ts';
import { fakeClock } from './auth.fixture.ts';
import { isLockedError, type LockoutPolicy } from './lockout.ts';
import { SignInThrottle } from './sign-in-throttle.ts';

type FailureLog = Pick<
  AccountStore,
  'addSignInFailure' | 'listSignInFailures' | 'clearSignInFailures' | 'pruneSignInFailures'
>;

/** Sign-in failures in memory, as the store port specifies them; `prunedBefore` records each prune. */
function memoryFailureLog() {
  let rows: SignInFailure[] = [];
  const prunedBefore: number[] = [];
  const log: FailureLog = {
    addSignInFailure: async (f) => {
      rows.push(f);
    },
    listSignInFailures: async (q: SignInFailureQuery) =>
      rows
        .filter(
          (r) =>
            (q.account === undefined || r.account === q.account) &&
            (q.address === undefined || r.address === q.address) &&
            r.at >= q.since,
        )
        .map((r) => r.at)
        .sort((a, b) => b - a)
        .slice(0, q.limit),
    clearSignInFailures: async (account, address) => {
      rows = rows.filter((r) => r.account !== account || r.address !== address);
    },
    pruneSignInFailures: async (before) => {
      prunedBefore.push(before);
      const n = rows.length;
      rows = rows.filter((r) => r.at >= before);
      return n - rows.length;
    },
  };
  return { log, prunedBefore, rows: () => rows };
}

function throttleOver(log: FailureLog, lockout: Partial<LockoutPolicy> = {}) {
  const clock = fakeClock();
  const audit: AuditInput[] = [];
  const counters: Record<string, number> = {};
  const lines: { obj: Record<string, unknown>; msg: string }[] = [];
  const throttle = new SignInThrottle({
    // Only the sign-in failure methods are used by the throttle.
    store: log as AccountStore,
    audit: {
      appendAudit: async (e: AuditInput) => {
        audit.push(e);
        return undefined as never;
      },
      addCounters: async (c: Record<string, number>) => {
        for (const [k, v] of Object.entries(c)) counters[k] = (counters[k] ?? 0) + v;
      },
    },
    master: new MasterKey(randomBytes(32)),
    clock: clock.fn,
    logger: { warn: (obj, msg) => lines.push({ obj, msg }) },
    lockout,
  });
  return { throttle, clock, audit, counters, lines };
}

/** A check that waits until `open` is called. */
function gate() {
  let open = () => {};
  const wait = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { open: () => open(), check: () => wait.then(() => 'checked') };
}

/**
 * A throttle where every pair has just failed once, and one failure holds a pair back for an
 * hour; `attempt` runs one check of an account from one address and swallows the refusal.
 */
function everyPairHeldBack() {
  const t = throttleOver(
    {
      ...memoryFailureLog().log,
      listSignInFailures: async (q) =>
        q.account !== undefined && q.address !== undefined ? [t.clock.now] : [],
    },
    { pairBackoffAfter: 1, baseDelayMs: 3_600_000 },
  );
  const attempt = (account: string) =>
    t.throttle.run(account, '10.0.0.1', async () => 'checked').catch(() => 0);
  return { ...t, attempt };
}

const refused = (r: PromiseSettledResult<unknown>) => r.status === 'rejected' && isLockedError(r.reason);

describe('sign-in throttle limits', () => {
  it('holds back a fifth concurrent check from one address across accounts, and releases the slots after', async () => {
    const { log } = memoryFailureLog();
    const { throttle, audit } = throttleOver(log);
    const g = gate();
    const settled = Promise.allSettled(
      ['a1', 'a2', 'a3', 'a4', 'a5'].map((a) => throttle.run(a, '10.0.0.1', g.check)),
    );
    await new Promise((resolve) => setImmediate(resolve));
    g.open();
    const results = await settled;
    assert.deepEqual(results.map(refused), [false, false, false, false, true]);
    assert.deepEqual(
      [audit.at(-1)?.action, audit.at(-1)?.actor, audit.at(-1)?.object, audit.at(-1)?.detail],
      [
        'auth.throttled',
        'system',
        'a5',
        { address: '10.0.0.1', scope: 'in_flight', retryAfterS: 1, underAttack: false, repeatsSinceLast: 0 },
      ],
    );
    // Every slot is free again: the same address and accounts run at once.
    const again = gate();
    const next = ['a1', 'a2', 'a3', 'a4'].map((a) => throttle.run(a, '10.0.0.1', again.check));
    again.open();
    assert.deepEqual(await Promise.all(next), ['checked', 'checked', 'checked', 'checked']);
  });

  it('counts the in-flight checks of each address apart', async () => {
    const { log } = memoryFailureLog();
    const { throttle } = throttleOver(log);
    const g = gate();
    const settled = Promise.allSettled([
      ...['a1', 'a2', 'a3', 'a4'].map((a) => throttle.run(a, '10.0.0.1', g.check)),
      throttle.run('a5', '10.0.0.2', g.check),
    ]);
    await new Promise((resolve) => setImmediate(resolve));
    g.open();
    assert.deepEqual((await settled).map(refused), [false, false, false, false, false]);
  });

  it('frees one in-flight slot per finished check, not all of them', async () => {
    const { log } = memoryFailureLog();
    const { throttle } = throttleOver(log);
    const gates = [gate(), gate(), gate(), gate()];
    const running = gates.map((g, i) => throttle.run(`a${i}`, '10.0.0.1', g.check));
    gates[0]?.open();
    assert.equal(await running[0], 'checked');
    // Three still run: one more fits, the next does not.
    const last = gate();
    const settled = Promise.allSettled([
      throttle.run('a4', '10.0.0.1', last.check),
      throttle.run('a5', '10.0.0.1', last.check),
    ]);
    await new Promise((resolve) => setImmediate(resolve));
    last.open();
    for (const g of gates) g.open();
    assert.deepEqual((await settled).map(refused), [false, true]);
    await Promise.all(running);
  });

  it('treats a check without an address (null or empty) as one pair: counted, held back, audited once, cleared', async () => {
    const store = memoryFailureLog();
    const { throttle, audit } = throttleOver(store.log, { pairBackoffAfter: 2, baseDelayMs: 10_000 });
    await throttle.failed('sign_in', 'x', null);
    await throttle.failed('sign_in', 'x', '');
    assert.deepEqual(
      store.rows().map((r) => r.address),
      ['', ''],
    );
    for (const address of [null, '']) {
      await assert.rejects(
        throttle.run('x', address, async () => 'checked'),
        (e: unknown) => isLockedError(e),
      );
    }
    assert.equal(audit.filter((e) => e.action === 'auth.throttled').length, 1, 'one pair, one entry');
    await throttle.succeeded('x', null);
    assert.deepEqual(store.rows(), []);
    // One check at a time for that pair, however the address is missing.
    const g = gate();
    const settled = Promise.allSettled([throttle.run('x', null, g.check), throttle.run('x', '', g.check)]);
    await new Promise((resolve) => setImmediate(resolve));
    g.open();
    assert.deepEqual((await settled).map(refused), [false, true]);
  });

  it('stops counting an account-wide failure exactly one window after it', async () => {
    const store = memoryFailureLog();
    const { throttle, clock } = throttleOver(store.log, { accountThreshold: 2, windowMs: 60_000 });
    await throttle.failed('sign_in', 'x', '10.0.0.1');
    clock.advance(1);
    await throttle.failed('sign_in', 'x', '10.0.0.2');
    clock.advance(59_998);
    // Both failures in the window: under attack, so the second address is held back...
    await assert.rejects(
      throttle.run('x', '10.0.0.2', async () => 'checked'),
      (e: unknown) => isLockedError(e),
    );
    clock.advance(1);
    // ...and once the first is one window old, it is one failure and no attack.
    assert.equal(await throttle.run('x', '10.0.0.2', async () => 'checked'), 'checked');
  });

  it('names the (account, address) pair as the scope when pair and address wait as long', async () => {
    const { log } = memoryFailureLog();
    const { throttle, audit } = throttleOver(log, {
      pairBackoffAfter: 1,
      addressBackoffAfter: 1,
      baseDelayMs: 10_000,
    });
    await throttle.failed('sign_in', 'x', '10.0.0.1');
    await assert.rejects(
      throttle.run('x', '10.0.0.1', async () => 'checked'),
      (e: unknown) => isLockedError(e),
    );
    assert.equal(audit.at(-1)?.detail.scope, 'account_address');
    assert.equal(audit.at(-1)?.detail.retryAfterS, 10);
  });

  it('audits the throttling of one account from two addresses as two entries', async () => {
    const { log } = memoryFailureLog();
    const { throttle, audit } = throttleOver(log, { pairBackoffAfter: 1, baseDelayMs: 3_600_000 });
    for (const address of ['10.0.0.1', '10.0.0.2']) await throttle.failed('sign_in', 'x', address);
    for (const address of ['10.0.0.1', '10.0.0.2']) {
      await assert.rejects(
        throttle.run('x', address, async () => 'checked'),
        (e: unknown) => isLockedError(e),
      );
    }
    assert.deepEqual(
      audit.filter((e) => e.action === 'auth.throttled').map((e) => e.detail.address),
      ['10.0.0.1', '10.0.0.2'],
    );
  });

  it('shares no address limit between checks that have no address', async () => {
    const { log } = memoryFailureLog();
    const { throttle } = throttleOver(log);
    const g = gate();
    const settled = Promise.allSettled(
      ['a1', 'a2', 'a3', 'a4', 'a5', 'a6'].map((a) => throttle.run(a, null, g.check)),
    );
    await new Promise((resolve) => setImmediate(resolve));
    g.open();
    assert.deepEqual((await settled).map(refused), [false, false, false, false, false, false]);
  });

  it('names the address as the scope when the address waits longer than the pair', async () => {
    const { log } = memoryFailureLog();
    const { throttle, audit } = throttleOver(log, { addressBackoffAfter: 1, baseDelayMs: 10_000 });
    await throttle.failed('sign_in', 'x', '10.0.0.1');
    await assert.rejects(
      throttle.run('y', '10.0.0.1', async () => 'checked'),
      (e: unknown) => isLockedError(e),
    );
    assert.deepEqual(audit.at(-1)?.detail, {
      address: '10.0.0.1',
      scope: 'address',
      retryAfterS: 10,
      underAttack: false,
      repeatsSinceLast: 0,
    });
    // Without an address only the pair counts: nothing holds `y` back.
    assert.equal(await throttle.run('y', null, async () => 'checked'), 'checked');
  });

  it('forgets the oldest throttled pair past 10,000, so its next refusal is audited again', async () => {
    const { audit, attempt } = everyPairHeldBack();
    for (let i = 0; i <= 10_000; i++) await attempt(`a${i}`);
    assert.equal(audit.length, 10_001);
    await attempt('a0'); // forgotten: audited afresh
    await attempt('a5000'); // remembered: a repeat, not audited
    assert.equal(audit.length, 10_002);
    assert.equal(audit.at(-1)?.object, 'a0');
    assert.equal(audit.at(-1)?.detail.repeatsSinceLast, 0);
  });

  it('keeps a pair audited again as the newest, so the oldest other pair is forgotten first', async () => {
    const { audit, clock, attempt } = everyPairHeldBack();
    for (let i = 0; i < 10_000; i++) await attempt(`a${i}`);
    clock.advance(60_000);
    await attempt('a0'); // a minute on: audited again, and now the newest pair
    await attempt('a10000'); // the 10,001st pair: forgets the oldest, a1
    const written = audit.length;
    await attempt('a0'); // still remembered: a repeat
    assert.equal(audit.length, written);
    await attempt('a1'); // forgotten: audited afresh
    assert.equal(audit.length, written + 1);
    assert.equal(audit.at(-1)?.object, 'a1');
  });

  it('prunes failures older than the window, at most once a minute', async () => {
    const store = memoryFailureLog();
    const { throttle, clock } = throttleOver(store.log, { windowMs: 3_600_000 });
    const t0 = clock.now;
    await throttle.failed('sign_in', 'x', '10.0.0.1');
    clock.advance(59_999);
    await throttle.failed('sign_in', 'x', '10.0.0.1');
    clock.advance(1);
    await throttle.failed('sign_in', 'x', '10.0.0.1');
    assert.deepEqual(store.prunedBefore, [t0 - 3_600_000, t0 + 60_000 - 3_600_000]);
  });

  it('audits an account under attack when its failures in the window reach the threshold', async () => {
    const store = memoryFailureLog();
    const { throttle, audit, counters, clock } = throttleOver(store.log, {
      accountThreshold: 3,
      windowMs: 60_000,
    });
    await throttle.failed('sign_in', 'x', '10.0.0.1');
    clock.advance(60_000); // the first failure is now exactly one window old: it no longer counts
    await throttle.failed('sign_in', 'x', '10.0.0.2');
    await throttle.failed('sign_in', 'x', '10.0.0.3');
    assert.equal(counters.auth_account_under_attack, undefined);
    await throttle.failed('sign_in', 'x', '10.0.0.4');
    const entries = audit.filter((e) => e.action === 'auth.account_under_attack');
    assert.deepEqual(
      entries.map((e) => [e.actor, e.object, e.detail]),
      [['system', 'x', { failures: 3, windowMs: 60_000 }]],
    );
    assert.equal(counters.auth_account_under_attack, 1);
  });

  it('holds back, under attack, an address with one failure on the account, and forgets a pair on success', async () => {
    const store = memoryFailureLog();
    const { throttle, audit } = throttleOver(store.log, { accountThreshold: 2 });
    await throttle.failed('sign_in', 'x', '10.0.0.1');
    await throttle.failed('sign_in', 'x', '10.0.0.2');
    await assert.rejects(
      throttle.run('x', '10.0.0.1', async () => 'checked'),
      (e: unknown) => isLockedError(e),
    );
    assert.equal(audit.at(-1)?.detail.underAttack, true);
    assert.equal(await throttle.run('x', '10.0.0.3', async () => 'checked'), 'checked');
    await throttle.succeeded('x', '10.0.0.2');
    await throttle.succeeded('x', null);
    assert.deepEqual(
      store.rows().map((r) => r.address),
      ['10.0.0.1'],
    );
  });

  it('logs a failed second factor as such, and a failed password re-entry only in the audit log', async () => {
    const { log } = memoryFailureLog();
    const { throttle, lines, audit, counters } = throttleOver(log);
    await throttle.failed('mfa', 'x', '10.0.0.1', { step: 'sign_in' });
    await throttle.failed('password', 'x', '10.0.0.1', { context: 'signature' });
    assert.deepEqual(lines, [
      {
        obj: { event: 'auth.mfa_failed', user: 'x', address: '10.0.0.1', step: 'sign_in' },
        msg: 'second factor failed',
      },
    ]);
    assert.deepEqual(
      audit.map((e) => [e.action, e.detail]),
      [
        ['auth.mfa_failed', { address: '10.0.0.1', step: 'sign_in' }],
        ['auth.password_failed', { address: '10.0.0.1', context: 'signature' }],
      ],
    );
    assert.deepEqual(counters, { auth_mfa_failed: 1, auth_password_failed: 1 });
  });
});
