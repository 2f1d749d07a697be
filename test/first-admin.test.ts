/** First start creates `admin` with a one-time password that is reported once and stored nowhere. */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { createAuthServices } from '../src/auth/auth-services.ts';
import { openContext } from '../src/data-dir/context.ts';

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? filesUnder(p) : [p];
  });
}

describe('first start: admin account', () => {
  it('reports the one-time password once, keeps it out of the audit log and the files, and it signs in', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'vigil-admin-')), 'data');
    const env = { PATH: process.env.PATH };
    try {
      const ctx = await openContext({
        dataDir: dir,
        env,
        logLevel: 'silent',
        create: true,
        createAdmin: true,
      });
      const lines = ctx.created.filter((c) => c.startsWith('admin account:'));
      assert.equal(lines.length, 1);
      const otp = /one-time password (\S+) \(shown once; change it and enrol TOTP at first sign-in\)$/.exec(
        lines[0] ?? '',
      )?.[1];
      assert.ok(otp);
      const audit = JSON.stringify(await ctx.store.queryAudit({}));
      assert.ok(!audit.includes(otp));
      assert.match(audit, /"action":"user.add"/);
      const { accounts } = createAuthServices({
        store: ctx.accountStore,
        audit: ctx.store,
        master: ctx.master,
        clock: ctx.clock,
      });
      assert.equal((await accounts.login({ name: 'admin', password: otp })).next, 'change_password');
      await ctx.close();
      for (const f of filesUnder(dir)) assert.ok(!readFileSync(f).includes(otp), f);

      const again = await openContext({
        dataDir: dir,
        env,
        logLevel: 'silent',
        create: true,
        createAdmin: true,
      });
      assert.deepEqual(again.created, []);
      await again.close();
    } finally {
      rmSync(join(dir, '..'), { recursive: true, force: true });
    }
  });

  it('is left to the command that prints it (vigil start, vigil init)', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'vigil-admin-')), 'data');
    const env = { PATH: process.env.PATH };
    try {
      const ctx = await openContext({ dataDir: dir, env, logLevel: 'silent', create: true });
      assert.ok(!ctx.created.some((c) => c.startsWith('admin account:')));
      assert.equal(await ctx.accountStore.countUsers(), 0);
      await ctx.close();
      const later = await openContext({ dataDir: dir, env, logLevel: 'silent', createAdmin: true });
      assert.equal(later.created.filter((c) => c.startsWith('admin account:')).length, 1);
      await later.close();
    } finally {
      rmSync(join(dir, '..'), { recursive: true, force: true });
    }
  });
});
