import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe } from 'node:test';
import { isVigilError } from '../errors.ts';
import { type ContractOptions, contractTest } from '../storage/contract.fixture.ts';
import type { AccountStore, SessionRecord, UserRecord } from './account-store.ts';

/** A fresh, migrated, empty account store and a way to dispose of it. */
export interface AccountStoreFixture {
  accounts: AccountStore;
  cleanup: () => Promise<void>;
}

const user = (name: string, over: Partial<UserRecord> = {}): UserRecord => ({
  name,
  role: 'viewer',
  status: 'active',
  passwordHash:
    '$argon2id$v=19$m=19456,t=2,p=1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
  mustChangePassword: true,
  mustEnrolMfa: true,
  totpSecretEnc: null,
  totpPendingEnc: null,
  totpPendingAt: null,
  lastTotpStep: null,
  createdAt: 1000,
  updatedAt: 1000,
  passwordChangedAt: 1000,
  lastLoginAt: null,
  ...over,
});

const session = (idHash: string, userName: string, over: Partial<SessionRecord> = {}): SessionRecord => ({
  idHash,
  userName,
  state: 'password_ok',
  authAt: 1000,
  createdAt: 1000,
  lastSeenAt: 1000,
  address: '127.0.0.1',
  ...over,
});

/**
 * The behaviour every `AccountStore` adapter must show (see `runStoreContract` for the options):
 * users, TOTP steps that only move forwards, single-use recovery codes, atomic session rotation,
 * failed sign-ins and API tokens.
 */
export function runAccountStoreContract(o: ContractOptions<AccountStoreFixture>): void {
  const test = contractTest(o);
  describe(`AccountStore contract: ${o.name}`, () => {
    test('adds, reads, lists and patches users; a duplicate name is refused', async ({ accounts: store }) => {
      await store.addUser(user('carol'));
      await store.addUser(user('alice', { role: 'admin' }));
      await assert.rejects(store.addUser(user('alice')), (e) => isVigilError(e, 'VIGIL_ERR_USER_EXISTS'));
      assert.deepEqual(
        (await store.listUsers()).map((u) => u.name),
        ['alice', 'carol'],
      );
      assert.equal(await store.countUsers(), 2);
      const sealed = randomBytes(40);
      await store.updateUser('carol', { mustChangePassword: false, totpSecretEnc: sealed, role: 'operator' });
      const c = await store.getUser('carol');
      assert.equal(c?.mustChangePassword, false);
      assert.equal(c?.mustEnrolMfa, true);
      assert.equal(c?.role, 'operator');
      assert.deepEqual(c?.totpSecretEnc, sealed);
      await assert.rejects(store.updateUser('nobody', { status: 'disabled' }), (e) =>
        isVigilError(e, 'VIGIL_ERR_NOT_FOUND'),
      );
      assert.equal(await store.getUser('nobody'), null);
    });

    test('advances the TOTP step only forwards', async ({ accounts: store }) => {
      await store.addUser(user('totp-user'));
      assert.equal(await store.advanceTotpStep('totp-user', 100, 1), true);
      assert.equal(await store.advanceTotpStep('totp-user', 100, 2), false);
      assert.equal(await store.advanceTotpStep('totp-user', 99, 3), false);
      assert.equal(await store.advanceTotpStep('totp-user', 101, 4), true);
      assert.equal((await store.getUser('totp-user'))?.lastTotpStep, 101);
    });

    test('consumes each recovery code once and replaces the set', async ({ accounts: store }) => {
      await store.addUser(user('rc-user'));
      await store.addUser(user('carol'));
      await store.replaceRecoveryCodes('rc-user', ['h1', 'h2'], 5);
      assert.equal(await store.countUnusedRecoveryCodes('rc-user'), 2);
      assert.equal(await store.consumeRecoveryCode('rc-user', 'h1', 6), true);
      assert.equal(await store.consumeRecoveryCode('rc-user', 'h1', 7), false);
      assert.equal(await store.consumeRecoveryCode('carol', 'h2', 7), false);
      assert.equal(await store.countUnusedRecoveryCodes('rc-user'), 1);
      await store.replaceRecoveryCodes('rc-user', ['h3'], 8);
      assert.equal(await store.consumeRecoveryCode('rc-user', 'h2', 9), false);
      assert.equal(await store.countUnusedRecoveryCodes('rc-user'), 1);
    });

    test('rotates a session atomically and never revives an ended one', async ({ accounts: store }) => {
      await store.addUser(user('carol'));
      await store.addSession(session('s1', 'carol'));
      assert.equal(await store.rotateSession('s1', session('s2', 'carol', { state: 'mfa_ok' })), true);
      assert.equal(await store.getSession('s1'), null);
      assert.equal((await store.getSession('s2'))?.state, 'mfa_ok');
      assert.equal(await store.rotateSession('s1', session('s3', 'carol')), false);
      assert.equal(await store.getSession('s3'), null);
      await assert.rejects(store.addSession(session('s4', 'ghost')), (e) =>
        isVigilError(e, 'VIGIL_ERR_NOT_FOUND'),
      );
    });

    test('touches, lists, expires and deletes sessions', async ({ accounts: store }) => {
      await store.addUser(user('alice'));
      await store.addUser(user('carol'));
      await store.addSession(session('s2', 'carol'));
      await store.addSession(session('a1', 'alice', { authAt: 10, lastSeenAt: 10 }));
      await store.addSession(session('a2', 'alice', { authAt: 500, lastSeenAt: 500 }));
      await store.touchSession('a2', 900);
      await store.touchSession('a2', 800);
      assert.equal((await store.getSession('a2'))?.lastSeenAt, 900);
      assert.deepEqual((await store.listSessions('alice')).map((s) => s.idHash).sort(), ['a1', 'a2']);
      assert.equal(await store.deleteExpiredSessions(100, 0), 1);
      assert.equal(await store.deleteUserSessions('alice'), 1);
      assert.equal(await store.deleteSession('s2'), true);
      assert.equal(await store.deleteSession('s2'), false);
    });

    test('records failures and lists them newest first by account, address or pair', async ({
      accounts: store,
    }) => {
      for (const at of [10, 20, 30])
        await store.addSignInFailure({ account: 'carol', address: '192.0.2.1', at });
      await store.addSignInFailure({ account: 'carol', address: '192.0.2.2', at: 25 });
      await store.addSignInFailure({ account: 'ghost', address: '192.0.2.1', at: 27 });
      assert.deepEqual(
        await store.listSignInFailures({ account: 'carol', since: 15, limit: 10 }),
        [30, 25, 20],
      );
      assert.deepEqual(await store.listSignInFailures({ account: 'carol', since: 0, limit: 1 }), [30]);
      assert.deepEqual(
        await store.listSignInFailures({ address: '192.0.2.1', since: 0, limit: 10 }),
        [30, 27, 20, 10],
      );
      assert.deepEqual(
        await store.listSignInFailures({ account: 'carol', address: '192.0.2.2', since: 0, limit: 10 }),
        [25],
      );
    });

    test('clears one pair and prunes old failures', async ({ accounts: store }) => {
      for (const at of [10, 20, 30])
        await store.addSignInFailure({ account: 'carol', address: '192.0.2.1', at });
      await store.addSignInFailure({ account: 'carol', address: '192.0.2.2', at: 25 });
      assert.equal(await store.pruneSignInFailures(15), 1);
      await store.clearSignInFailures('carol', '192.0.2.1');
      assert.deepEqual(await store.listSignInFailures({ account: 'carol', since: 0, limit: 10 }), [25]);
    });

    test('stores API tokens, revokes idempotently and records last use', async ({ accounts: store }) => {
      await store.addUser(user('alice'));
      await store.addApiToken({
        id: '0123456789abcdef',
        secretHash: 'h',
        label: 'prometheus',
        role: 'auditor',
        createdBy: 'user:alice',
        owner: 'alice',
        createdAt: 1,
        expiresAt: 100,
        revokedAt: null,
        lastUsedAt: null,
      });
      await store.touchApiToken('0123456789abcdef', 50);
      await store.revokeApiToken('0123456789abcdef', 60);
      await store.revokeApiToken('0123456789abcdef', 70);
      const t = await store.getApiToken('0123456789abcdef');
      assert.equal(t?.revokedAt, 60);
      assert.equal(t?.lastUsedAt, 50);
      assert.equal(t?.owner, 'alice');
      assert.equal((await store.listApiTokens()).length, 1);
      await assert.rejects(store.revokeApiToken('ffffffffffffffff', 1), (e) =>
        isVigilError(e, 'VIGIL_ERR_NOT_FOUND'),
      );
    });
  });
}
