/** `vigil user ...` as a user runs it: real `bin/vigil` processes on one fresh data directory. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { createAuthServices } from '../src/auth/auth-services.ts';
import { openContext } from '../src/data-dir/context.ts';
import { MASTER_KEY_HEX } from './helpers/instance.ts';
import { runVigil } from './helpers/run-vigil.ts';

const _root = new URL('..', import.meta.url).pathname;
const dataDir = join(mkdtempSync(join(tmpdir(), 'vigil-cli-user-')), 'data');
after(() => rmSync(join(dataDir, '..'), { recursive: true, force: true }));

const vigil = (args: string[], timeoutMs?: number) =>
  runVigil(args, { dataDir, ...(timeoutMs ? { timeoutMs } : {}) });

const OTP = /[0-9a-z]{5}(?:-[0-9a-z]{5}){3}/;

describe('vigil user', () => {
  let adminOtp = '';
  let aliceOtp = '';

  it('vigil user needs a data directory; vigil init creates it with the admin, whose password is shown once', async () => {
    const none = await vigil(['user', 'list']);
    assert.equal(none.code, 1);
    assert.match(none.stderr, /\[VIGIL_ERR_NO_DATA_DIR\]/);
    const init = await vigil(['init', '--json']);
    assert.equal(init.code, 0, init.stderr);
    const created = JSON.parse(init.stdout);
    assert.equal(created.admin.name, 'admin');
    adminOtp = created.admin.oneTimePassword;
    assert.match(adminOtp, OTP);
    const first = await vigil(['user', 'list']);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /^admin\s+admin\s+active\s+not enrolled\s+change-password,enrol-mfa/m);
    assert.ok(!first.stderr.includes(adminOtp) && !first.stdout.includes(adminOtp));
  });

  it('adds a user with a one-time password and lists users as JSON', async () => {
    const r = await vigil(['user', 'add', 'alice', '--role', 'operator']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /user alice added \(role operator\)/);
    aliceOtp = OTP.exec(r.stdout)?.[0] ?? '';
    assert.ok(aliceOtp);
    const list = await vigil(['user', 'list', '--json']);
    assert.equal(list.code, 0, list.stderr);
    const users = list.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    assert.deepEqual(
      users.map((u) => [u.name, u.role, u.status, u.mustChangePassword, u.mustEnrolMfa]),
      [
        ['admin', 'admin', 'active', true, true],
        ['alice', 'operator', 'active', true, true],
      ],
    );
    assert.ok(!list.stdout.includes('argon2'), 'no password hash in the listing');
  });

  it('refuses bad input with a clear message and exit code', async () => {
    const badName = await vigil(['user', 'add', 'Alice', '--role', 'operator']);
    assert.equal(badName.code, 2);
    assert.match(badName.stderr, /must match/);
    const badRole = await vigil(['user', 'add', 'bob', '--role', 'root']);
    assert.equal(badRole.code, 2);
    assert.match(badRole.stderr, /role must be one of/);
    const noRole = await vigil(['user', 'add', 'bob']);
    assert.equal(noRole.code, 2);
    const dup = await vigil(['user', 'add', 'alice', '--role', 'viewer']);
    assert.equal(dup.code, 1);
    assert.match(dup.stderr, /already exists/);
    assert.equal((await vigil(['user', 'disable', 'nobody'])).code, 1);
    assert.equal((await vigil(['user', 'frobnicate', 'alice'])).code, 2);
    assert.equal((await vigil(['user', 'disable', 'admin'])).code, 2, 'the last admin stays');
  });

  it('disables, enables and resets MFA; the printed one-time password signs in', async () => {
    assert.equal((await vigil(['user', 'disable', 'alice'])).code, 0);
    let list = await vigil(['user', 'list', '--json']);
    assert.equal(JSON.parse(list.stdout.trim().split('\n')[1] ?? '{}').status, 'disabled');
    assert.equal((await vigil(['user', 'enable', 'alice'])).code, 0);
    const reset = await vigil(['user', 'reset-mfa', 'alice']);
    assert.equal(reset.code, 0, reset.stderr);
    assert.match(reset.stdout, /TOTP and recovery codes removed/);
    list = await vigil(['user', 'list', '--json']);
    assert.equal(JSON.parse(list.stdout.trim().split('\n')[1] ?? '{}').status, 'active');

    const ctx = await openContext({ dataDir, env: { VIGIL_MASTER_KEY: MASTER_KEY_HEX }, logLevel: 'silent' });
    try {
      const { accounts } = createAuthServices({
        store: ctx.accountStore,
        audit: ctx.store,
        master: ctx.master,
        clock: ctx.clock,
      });
      assert.equal((await accounts.login({ name: 'admin', password: adminOtp })).next, 'change_password');
      assert.equal((await accounts.login({ name: 'alice', password: aliceOtp })).next, 'change_password');
    } finally {
      await ctx.close();
    }
  });

  it('keeps one-time passwords out of the audit log', async () => {
    const audit = await vigil(['audit', '--json']);
    assert.equal(audit.code, 0, audit.stderr);
    for (const a of ['user.add', 'user.disable', 'user.enable', 'user.mfa_reset'])
      assert.match(audit.stdout, new RegExp(a));
    assert.ok(!audit.stdout.includes(adminOtp) && !audit.stdout.includes(aliceOtp));
  });
});
