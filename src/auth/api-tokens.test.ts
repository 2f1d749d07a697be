import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { isVigilError } from '../errors.ts';
import { API_TOKEN_RE, maxTokenTtlMs } from './api-tokens.ts';
import { type AuthFixture, authFixture } from './auth.fixture.ts';
import type { Principal, Role } from './principal.ts';
import { can, PERMISSION_NAMES, PERMISSIONS } from './rbac.ts';

const DAY = 86_400_000;
let f: AuthFixture;
before(async () => {
  f = await authFixture();
  for (const [name, role] of [
    ['root', 'admin'],
    ['second', 'admin'],
    ['opal', 'operator'],
  ] as const) {
    await f.accounts.createUser({ name, role, actor: 'test' });
  }
});
after(() => f.close());

const bearer = (token: string) => f.authenticator.authenticate({ authorization: `Bearer ${token}` });
const mint = (role: Role, o: { owner?: string; ttlMs?: number; label?: string } = {}) =>
  f.tokens.create({
    label: o.label ?? `${role} token`,
    role,
    owner: o.owner ?? 'root',
    actor: `user:${o.owner ?? 'root'}`,
    ...(o.ttlMs !== undefined ? { ttlMs: o.ttlMs } : {}),
  });
const allowed = (p: Principal | null) => (p ? PERMISSION_NAMES.filter((x) => can(p, x) === 'ok') : []);

describe('API tokens', () => {
  it('are shown once as vgl_<id>_<secret> and stored only as a hash', async () => {
    const { token, view } = await mint('auditor', { label: 'prometheus' });
    assert.match(token, API_TOKEN_RE);
    const secret = API_TOKEN_RE.exec(token)?.[2] ?? '';
    const rec = await f.accountStore.getApiToken(view.id);
    assert.ok(rec);
    assert.notEqual(rec.secretHash, secret);
    assert.ok(!JSON.stringify(rec).includes(secret));
    assert.equal(view.status, 'active');
    assert.equal(view.owner, 'root');
    assert.equal(view.expiresAt - view.createdAt, 90 * DAY);
    assert.ok(!('secretHash' in view));
    const listed = await f.tokens.list();
    assert.ok(!JSON.stringify(listed).includes(secret));
    const audit = JSON.stringify(await f.store.queryAudit({ action: 'token.create' }));
    assert.ok(audit.includes(view.id) && !audit.includes(secret));
  });

  it('authenticate as a token principal with the token role, its owner and completed MFA', async () => {
    const { token, view } = await mint('receiver', { label: 'erp sync' });
    assert.deepEqual(await bearer(token), {
      kind: 'token',
      name: view.id,
      role: 'receiver',
      mfa: true,
      owner: { name: 'root', role: 'admin' },
    });
    assert.deepEqual(
      await f.authenticator.authenticate({ authorization: `bearer  ${token}` }),
      await bearer(token),
    );
    assert.ok((await f.accountStore.getApiToken(view.id))?.lastUsedAt);
  });

  it('refuse a wrong secret, a malformed value and an unknown id', async () => {
    const { token } = await mint('viewer');
    const flipped = token.slice(0, -1) + (token.endsWith('A') ? 'B' : 'A');
    assert.equal(await bearer(flipped), null);
    assert.equal(await bearer(token.replace(/^vgl_[0-9a-f]{16}/, 'vgl_0000000000000000')), null);
    assert.equal(await bearer('vgl_nothex'), null);
    // The whole value is the token: nothing before or after it is ignored.
    assert.ok(await bearer(token));
    assert.equal(await f.tokens.authenticate(`x${token}`), null);
    assert.equal(await f.tokens.authenticate(`${token}A`), null);
    assert.equal(await f.authenticator.authenticate({ authorization: `Basic ${token}` }), null);
  });

  it('stop working when they expire', async () => {
    const { token, view } = await mint('viewer', { ttlMs: DAY });
    f.clock.advance(DAY - 1);
    assert.ok(await bearer(token));
    f.clock.advance(1);
    assert.equal(await bearer(token), null);
    assert.equal((await f.tokens.list()).find((t) => t.id === view.id)?.status, 'expired');
  });

  it('stop working when revoked, and revoking is audited', async () => {
    const { token, view } = await mint('operator', { label: 'revoke me' });
    assert.ok(await bearer(token));
    await f.tokens.revoke(view.id, 'user:root');
    assert.equal(await bearer(token), null);
    assert.equal((await f.tokens.list()).find((t) => t.id === view.id)?.status, 'revoked');
    assert.equal((await f.store.queryAudit({ action: 'token.revoke' }))[0]?.object, view.id);
    await assert.rejects(f.tokens.revoke('ffffffffffffffff', 'cli'), (e) =>
      isVigilError(e, 'VIGIL_ERR_NOT_FOUND'),
    );
  });

  it('validate label, role, lifetime and owner', async () => {
    const bad = [
      { label: '', role: 'viewer' },
      { label: 'a'.repeat(65), role: 'viewer' },
      { label: 'ok', role: 'root' },
      { label: 'ok', role: 'viewer', ttlMs: 400 * DAY },
      { label: 'ok', role: 'viewer', ttlMs: 1000 },
      { label: 'ok', role: 'viewer', owner: 'nobody-here' },
    ] as const;
    for (const b of bad) {
      await assert.rejects(f.tokens.create({ owner: 'root', ...b, actor: 'cli' } as never), (e) =>
        isVigilError(e, 'VIGIL_ERR_USAGE'),
      );
    }
    // nobody grants more than their own role holds
    await assert.rejects(mint('admin', { owner: 'opal' }), (e) => isVigilError(e, 'VIGIL_ERR_FORBIDDEN'));
  });
});

describe('API tokens belong to their creator (privilege must not outlive its owner)', () => {
  it("stop working when the creator is disabled: an admin's token is no standing takeover", async () => {
    await f.accounts.createUser({ name: 'leaver', role: 'admin', actor: 'test' });
    const { token } = await mint('admin', { owner: 'leaver', ttlMs: 10 * DAY });
    assert.equal((await bearer(token))?.role, 'admin');
    await f.accounts.disableUser('leaver', 'user:root');
    assert.equal(await bearer(token), null);
    await f.accounts.enableUser('leaver', 'user:root');
    assert.ok(await bearer(token));
  });

  it("are capped at the creator's current role: a demoted admin's admin token loses admin rights", async () => {
    await f.accounts.createUser({ name: 'demoted', role: 'admin', actor: 'test' });
    const { token } = await mint('admin', { owner: 'demoted', ttlMs: 10 * DAY });
    assert.equal(can((await bearer(token))!, 'devices.manage'), 'ok');
    await f.accounts.setRole('demoted', 'viewer', 'user:root');
    const p = await bearer(token);
    assert.equal(can(p!, 'devices.manage'), 'forbidden');
    assert.equal(can(p!, 'audit.read'), 'forbidden', 'the token role alone would allow it');
    assert.deepEqual(
      allowed(p),
      PERMISSION_NAMES.filter((x) => (PERMISSIONS[x].roles as readonly Role[]).includes('viewer')),
    );
  });

  it('never manage users, tokens or notifications and never sign, even as admin', async () => {
    const { token } = await mint('admin', { ttlMs: DAY });
    const p = await bearer(token);
    for (const x of [
      'users.manage',
      'tokens.manage',
      'notifications.manage',
      'alarms.ack',
      'shipments.decide',
    ] as const) {
      assert.equal(can(p!, x), 'forbidden', x);
    }
    assert.equal(can(p!, 'devices.manage'), 'ok');
    await assert.rejects(f.accounts.verifySignature(p!, { password: 'x', totp: '000000' }), (e) =>
      isVigilError(e, 'VIGIL_ERR_FORBIDDEN'),
    );
  });

  it('live shorter the more they can change: admin 30 days, changing roles 90, read-only 366', async () => {
    assert.deepEqual(
      (['admin', 'operator', 'quality', 'receiver', 'viewer', 'auditor'] as const).map(
        (r) => maxTokenTtlMs(r) / DAY,
      ),
      [30, 90, 90, 90, 366, 366],
    );
    await assert.rejects(mint('admin', { ttlMs: 31 * DAY }), (e) => isVigilError(e, 'VIGIL_ERR_USAGE'));
    await assert.rejects(mint('operator', { ttlMs: 91 * DAY }), (e) => isVigilError(e, 'VIGIL_ERR_USAGE'));
    assert.equal((await mint('admin')).view.expiresAt - f.clock.now, 30 * DAY, 'default shortened');
    assert.equal((await mint('auditor', { ttlMs: 366 * DAY })).view.expiresAt - f.clock.now, 366 * DAY);
  });

  it('end at their role maximum even when stored with a longer expiry (tokens from before the limit)', async () => {
    const id = '00000000000000ad';
    const secret = 'A'.repeat(43);
    const { createHash } = await import('node:crypto');
    await f.accountStore.addApiToken({
      id,
      secretHash: createHash('sha256').update(secret).digest('base64url'),
      label: 'old admin token',
      role: 'admin',
      createdBy: 'user:second',
      owner: 'second',
      createdAt: f.clock.now,
      expiresAt: f.clock.now + 366 * DAY,
      revokedAt: null,
      lastUsedAt: null,
    });
    const token = `vgl_${id}_${secret}`;
    assert.ok(await bearer(token));
    f.clock.advance(30 * DAY);
    assert.equal(await bearer(token), null);
    assert.equal((await f.tokens.list()).find((t) => t.id === id)?.status, 'expired');
  });
});

describe('API tokens: bounds, messages and records', () => {
  const usage = (detail: string) => (e: unknown) => {
    assert.ok(isVigilError(e, 'VIGIL_ERR_USAGE') || isVigilError(e, 'VIGIL_ERR_FORBIDDEN'), String(e));
    assert.equal(e.detail, detail);
    return true;
  };

  it('live at least one whole minute, and say between what bounds', async () => {
    assert.equal((await mint('viewer', { ttlMs: 60_000 })).view.expiresAt - f.clock.now, 60_000);
    for (const ttlMs of [59_999, 60_000.5, 367 * DAY]) {
      await assert.rejects(
        mint('viewer', { ttlMs }),
        usage('a viewer token lives between 1 minute and 366 days'),
      );
    }
    await assert.rejects(
      mint('admin', { ttlMs: 31 * DAY }),
      usage('a admin token lives between 1 minute and 30 days'),
    );
  });

  it('name what is wrong with a label, an owner or a role above the owner', async () => {
    await assert.rejects(
      mint('viewer', { label: 'tab\there' }),
      usage('label must be 1-64 letters, digits, spaces or ._:/@-'),
    );
    await assert.rejects(
      mint('viewer', { owner: 'nobody-here' }),
      usage('a token belongs to an active user'),
    );
    await assert.rejects(mint('admin', { owner: 'opal' }), usage('a operator cannot create a admin token'));
    await assert.rejects(
      mint('root' as Role),
      usage('role must be one of admin, operator, quality, receiver, viewer, auditor'),
    );
  });

  it('record who created them, and audit the label, role, owner and expiry', async () => {
    const { view } = await f.tokens.create({
      label: 'erp',
      role: 'receiver',
      owner: 'second',
      actor: 'user:root',
    });
    assert.equal(view.createdBy, 'user:root');
    const entry = (await f.store.queryAudit({ action: 'token.create' })).find((e) => e.object === view.id);
    assert.equal(entry?.actor, 'user:root');
    assert.deepEqual(entry?.detail, {
      label: 'erp',
      role: 'receiver',
      owner: 'second',
      expiresAt: view.expiresAt,
    });
  });

  it('write their last use at most once a minute', async () => {
    const { token, view } = await mint('viewer');
    const lastUsed = async () => (await f.tokens.list()).find((t) => t.id === view.id)?.lastUsedAt;
    const t0 = f.clock.now;
    assert.ok(await bearer(token));
    assert.equal(await lastUsed(), t0);
    f.clock.advance(59_999);
    assert.ok(await bearer(token));
    assert.equal(await lastUsed(), t0);
    f.clock.advance(1);
    assert.ok(await bearer(token));
    assert.equal(await lastUsed(), t0 + 60_000);
  });

  it('refuse a token whose stored hash is damaged (another length) instead of failing', async () => {
    const id = '00000000000000be';
    const secret = 'B'.repeat(43);
    await f.accountStore.addApiToken({
      id,
      secretHash: 'short',
      label: 'damaged',
      role: 'viewer',
      createdBy: 'user:root',
      owner: 'root',
      createdAt: f.clock.now,
      expiresAt: f.clock.now + DAY,
      revokedAt: null,
      lastUsedAt: null,
    });
    assert.equal(await bearer(`vgl_${id}_${secret}`), null);
  });
});
