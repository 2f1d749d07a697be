import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { isVigilError } from '../errors.ts';
import { API_TOKEN_RE } from './api-tokens.ts';
import { type AuthFixture, authFixture } from './auth.fixture.ts';

const DAY = 86_400_000;
let f: AuthFixture;
before(async () => {
  f = await authFixture();
});
after(() => f.close());

const bearer = (token: string) => f.authenticator.authenticate({ authorization: `Bearer ${token}` });

describe('API tokens', () => {
  it('are shown once as vgl_<id>_<secret> and stored only as a hash', async () => {
    const { token, view } = await f.tokens.create({
      label: 'prometheus',
      role: 'auditor',
      actor: 'user:admin',
    });
    assert.match(token, API_TOKEN_RE);
    const secret = token.slice(21);
    const rec = await f.accountStore.getApiToken(view.id);
    assert.ok(rec);
    assert.notEqual(rec.secretHash, secret);
    assert.ok(!JSON.stringify(rec).includes(secret));
    assert.equal(view.status, 'active');
    assert.equal(view.expiresAt - view.createdAt, 90 * DAY);
    assert.ok(!('secretHash' in view));
    const listed = await f.tokens.list();
    assert.ok(!JSON.stringify(listed).includes(secret));
    const audit = JSON.stringify(await f.store.queryAudit({ action: 'token.create' }));
    assert.ok(audit.includes(view.id) && !audit.includes(secret));
  });

  it('authenticate as a token principal with the token role and completed MFA', async () => {
    const { token, view } = await f.tokens.create({ label: 'erp sync', role: 'receiver', actor: 'cli' });
    assert.deepEqual(await bearer(token), { kind: 'token', name: view.id, role: 'receiver', mfa: true });
    assert.deepEqual(
      await f.authenticator.authenticate({ authorization: `bearer  ${token}` }),
      await bearer(token),
    );
    assert.ok((await f.accountStore.getApiToken(view.id))?.lastUsedAt);
  });

  it('refuse a wrong secret, a malformed value and an unknown id', async () => {
    const { token } = await f.tokens.create({ label: 'x', role: 'viewer', actor: 'cli' });
    const flipped = token.slice(0, -1) + (token.endsWith('A') ? 'B' : 'A');
    assert.equal(await bearer(flipped), null);
    assert.equal(await bearer(token.replace(/^vgl_[0-9a-f]{16}/, 'vgl_0000000000000000')), null);
    assert.equal(await bearer('vgl_nothex'), null);
    assert.equal(await f.authenticator.authenticate({ authorization: `Basic ${token}` }), null);
  });

  it('stop working when they expire', async () => {
    const { token, view } = await f.tokens.create({
      label: 'short',
      role: 'viewer',
      actor: 'cli',
      ttlMs: DAY,
    });
    f.clock.advance(DAY - 1);
    assert.ok(await bearer(token));
    f.clock.advance(1);
    assert.equal(await bearer(token), null);
    assert.equal((await f.tokens.list()).find((t) => t.id === view.id)?.status, 'expired');
  });

  it('stop working when revoked, and revoking is audited', async () => {
    const { token, view } = await f.tokens.create({ label: 'revoke me', role: 'operator', actor: 'cli' });
    assert.ok(await bearer(token));
    await f.tokens.revoke(view.id, 'user:admin');
    assert.equal(await bearer(token), null);
    assert.equal((await f.tokens.list()).find((t) => t.id === view.id)?.status, 'revoked');
    assert.equal((await f.store.queryAudit({ action: 'token.revoke' }))[0]?.object, view.id);
    await assert.rejects(f.tokens.revoke('ffffffffffffffff', 'cli'), (e) =>
      isVigilError(e, 'VIGIL_ERR_NOT_FOUND'),
    );
  });

  it('validate label, role and lifetime', async () => {
    const bad = [
      { label: '', role: 'viewer' },
      { label: 'a'.repeat(65), role: 'viewer' },
      { label: 'ok', role: 'root' },
      { label: 'ok', role: 'viewer', ttlMs: 400 * DAY },
      { label: 'ok', role: 'viewer', ttlMs: 1000 },
    ] as const;
    for (const b of bad) {
      await assert.rejects(f.tokens.create({ ...b, actor: 'cli' } as never), (e) =>
        isVigilError(e, 'VIGIL_ERR_USAGE'),
      );
    }
  });
});
