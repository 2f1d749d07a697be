import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { syncBuiltinESMExports } from 'node:module';
import { afterEach, beforeEach, describe, it, mock } from 'node:test';
import { isVigilError } from '../errors.ts';
import { AccountAdmin } from './account-admin.ts';
import type { AccountStore } from './account-store.ts';
import {
  type AuthFixture,
  audited,
  authFixture,
  enrolledUser,
  GOOD_PASSWORD,
  TEST_ARGON2_PARAMS,
} from './auth.fixture.ts';

const code = (c: string) => (e: unknown) => isVigilError(e, c as never);

let f: AuthFixture;
beforeEach(async () => {
  f = await authFixture();
});
afterEach(() => f.close());

/** An AccountAdmin over the fixture's database whose store is changed by `over`. */
function adminOver(over: Partial<AccountStore>): AccountAdmin {
  const real = f.accountStore;
  const store = new Proxy(real, {
    get: (t, key) => {
      if (Object.hasOwn(over, key)) return over[key as keyof AccountStore];
      const v = Reflect.get(t, key, t);
      return typeof v === 'function' ? v.bind(t) : v;
    },
  }) as AccountStore;
  return new AccountAdmin({
    store,
    audit: f.store,
    master: f.master,
    clock: f.clock.fn,
    argon2Params: TEST_ARGON2_PARAMS,
    sessions: f.sessions,
  });
}

describe('account administration: creation', () => {
  it('refuses a taken name before hashing anything', async () => {
    await f.accounts.createUser({ name: 'alice', role: 'viewer', actor: 'test' });
    const argon2 = mock.method(crypto, 'argon2');
    syncBuiltinESMExports();
    try {
      await assert.rejects(
        f.accounts.createUser({ name: 'alice', role: 'admin', actor: 'test' }),
        code('VIGIL_ERR_USER_EXISTS'),
      );
      assert.equal(argon2.mock.callCount(), 0);
    } finally {
      argon2.mock.restore();
      syncBuiltinESMExports();
    }
    assert.equal((await f.accounts.getUser('alice'))?.role, 'viewer');
  });

  it('audits a new account with its role, and the first admin as a first start', async () => {
    await f.accounts.createFirstAdmin();
    await f.accounts.createUser({ name: 'olga', role: 'operator', actor: 'user:admin' });
    assert.deepEqual(await audited(f, 'user.add'), [
      ['system', 'admin', { role: 'admin', firstStart: true }],
      ['user:admin', 'olga', { role: 'operator' }],
    ]);
  });

  it('creates no first admin once any account exists, even one not named admin', async () => {
    await f.accounts.createUser({ name: 'alice', role: 'viewer', actor: 'test' });
    assert.equal(await f.accounts.createFirstAdmin(), null);
    assert.equal(await f.accounts.getUser('admin'), null);
  });

  it('answers null when another process created the first admin meanwhile, and passes other errors on', async () => {
    await f.accounts.createFirstAdmin();
    // The count was read before the other process wrote its row.
    assert.equal(await adminOver({ countUsers: async () => 0 }).createFirstAdmin(), null);
    const broken = adminOver({
      countUsers: async () => 0,
      getUser: async () => null,
      addUser: async () => {
        throw new Error('disk full');
      },
    });
    await assert.rejects(broken.createFirstAdmin(), /disk full/);
  });

  it('lists every account with its unused recovery codes', async () => {
    const { recoveryCodes } = await enrolledUser(f, 'rita');
    await f.accounts.createUser({ name: 'bob', role: 'viewer', actor: 'test' });
    const list = await f.accounts.listUsers();
    assert.deepEqual(
      list.map((u) => [u.name, u.recoveryCodesLeft]),
      [
        ['bob', 0],
        ['rita', recoveryCodes.length],
      ],
    );
    assert.ok(recoveryCodes.length > 0);
  });
});

describe('account administration: changes', () => {
  it('refuses every change to an unknown account, naming at most 40 characters of it', async () => {
    const name = `${'x'.repeat(40)}tail`;
    const calls: [string, () => Promise<unknown>][] = [
      ['disable', () => f.accounts.disableUser(name, 'test')],
      ['enable', () => f.accounts.enableUser(name, 'test')],
      ['role', () => f.accounts.setRole(name, 'viewer', 'test')],
      ['mfa', () => f.accounts.resetMfa(name, 'test')],
      ['password', () => f.accounts.resetPassword(name, 'test')],
      ['sessions', () => f.accounts.endSessions(name, 'test')],
    ];
    for (const [what, call] of calls) {
      await assert.rejects(call(), (e: unknown) => {
        assert.ok(isVigilError(e, 'VIGIL_ERR_NOT_FOUND'), what);
        assert.equal(e.detail, `user ${'x'.repeat(40)}`, what);
        return true;
      });
    }
    assert.deepEqual(await f.store.queryAudit({}), []);
  });

  it('counts only other active admins when keeping one: not operators, not disabled admins', async () => {
    await f.accounts.createFirstAdmin();
    await f.accounts.createUser({ name: 'olga', role: 'operator', actor: 'test' });
    await f.accounts.createUser({ name: 'old', role: 'admin', actor: 'test' });
    await f.accounts.disableUser('old', 'test');
    for (const change of [
      () => f.accounts.disableUser('admin', 'test'),
      () => f.accounts.setRole('admin', 'operator', 'test'),
    ]) {
      await assert.rejects(change(), (e: unknown) => {
        assert.ok(isVigilError(e, 'VIGIL_ERR_USAGE'));
        assert.equal(e.detail, 'this would leave no active admin');
        return true;
      });
    }
    assert.equal((await f.accounts.getUser('admin'))?.role, 'admin');
    assert.equal((await f.accounts.getUser('admin'))?.status, 'active');
  });

  it('lets a disabled admin be demoted even when no admin is active (it is not one)', async () => {
    await f.accounts.createFirstAdmin();
    await f.accountStore.updateUser('admin', { status: 'disabled' });
    await f.accounts.setRole('admin', 'viewer', 'test');
    assert.equal((await f.accounts.getUser('admin'))?.role, 'viewer');
  });

  it('treats setting the current role as no change, even for the last admin', async () => {
    await f.accounts.createFirstAdmin();
    await f.accounts.setRole('admin', 'admin', 'test');
    assert.deepEqual(await audited(f, 'user.role'), []);
  });

  it('refuses an unknown role and changes nothing', async () => {
    await f.accounts.createUser({ name: 'olga', role: 'operator', actor: 'test' });
    await assert.rejects(f.accounts.setRole('olga', 'root' as never, 'test'), code('VIGIL_ERR_USAGE'));
    assert.equal((await f.accounts.getUser('olga'))?.role, 'operator');
    assert.deepEqual(await audited(f, 'user.role'), []);
  });

  it('promotes and demotes with an audit entry naming both roles', async () => {
    await f.accounts.createFirstAdmin();
    await f.accounts.createUser({ name: 'olga', role: 'operator', actor: 'test' });
    await f.accounts.setRole('olga', 'admin', 'user:admin');
    await f.accounts.setRole('admin', 'viewer', 'user:olga');
    assert.deepEqual(await audited(f, 'user.role'), [
      ['user:admin', 'olga', { from: 'operator', to: 'admin' }],
      ['user:olga', 'admin', { from: 'admin', to: 'viewer' }],
    ]);
  });

  it('audits disable, enable, resets and ended sessions with how many sessions ended', async () => {
    await enrolledUser(f, 'sam');
    await f.accounts.login({ name: 'sam', password: GOOD_PASSWORD });
    await f.accounts.disableUser('sam', 'user:a');
    await f.accounts.enableUser('sam', 'user:b');
    await f.accounts.login({ name: 'sam', password: GOOD_PASSWORD });
    await f.accounts.resetMfa('sam', 'user:c');
    await f.accounts.resetPassword('sam', 'user:d');
    await f.accounts.endSessions('sam', 'user:e');
    assert.deepEqual(await audited(f, 'user.disable'), [['user:a', 'sam', { sessionsEnded: 2 }]]);
    assert.deepEqual(await audited(f, 'user.enable'), [['user:b', 'sam', {}]]);
    assert.deepEqual(await audited(f, 'user.mfa_reset'), [['user:c', 'sam', { sessionsEnded: 1 }]]);
    assert.deepEqual(await audited(f, 'user.password_reset'), [['user:d', 'sam', { sessionsEnded: 0 }]]);
    assert.deepEqual(await audited(f, 'user.sessions_end'), [['user:e', 'sam', { sessionsEnded: 0 }]]);
  });

  it('requires a new TOTP enrolment after an MFA reset', async () => {
    await enrolledUser(f, 'sam');
    await f.accounts.resetMfa('sam', 'test');
    const u = await f.accounts.getUser('sam');
    assert.equal(u?.mustEnrolMfa, true);
    assert.equal(u?.mfaEnrolled, false);
    assert.equal(u?.recoveryCodesLeft, 0);
  });

  it('ends one session by its id with an audit entry; an unknown id is false and not audited', async () => {
    await enrolledUser(f, 'sam');
    await f.accounts.login({ name: 'sam', password: GOOD_PASSWORD });
    const [first, second] = await f.accounts.listSessions('sam');
    assert.ok(first && second);
    assert.equal(await f.accounts.endSession(first.id, 'user:admin'), true);
    assert.deepEqual(
      (await f.accounts.listSessions('sam')).map((s) => s.id),
      [second.id],
    );
    assert.equal(await f.accounts.endSession(first.id, 'user:admin'), false);
    assert.equal(await f.accounts.endSession('no-such-session', 'user:admin'), false);
    assert.deepEqual(await audited(f, 'user.session_end'), [['user:admin', 'sam', {}]]);
  });
});
