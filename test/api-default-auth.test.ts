/**
 * The API as `vigil start` wires it: the real authenticator of src/auth (sessions and API tokens
 * over the encrypted store), not the fake one of the other API tests.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createAuthServices } from '../src/auth/auth-services.ts';
import { apiRequest } from './helpers/api-client.ts';
import { type Instance, startInstance } from './helpers/instance.ts';

let inst: Instance;

before(async () => {
  inst = await startInstance();
});

after(async () => {
  await inst.destroy();
});

describe('API with the default authenticator', () => {
  const get = (path: string, headers: Record<string, string> = {}) =>
    apiRequest(inst.httpUrl, inst.ctx.ca.certPem, { path, headers });

  it('serves /healthz and refuses guarded routes without credentials or with forged ones', async () => {
    assert.equal((await get('/healthz')).status, 200);
    assert.equal((await get('/api/v1/devices')).status, 401);
    assert.equal((await get('/api/v1/devices', { cookie: '__Host-vigil_session=forged' })).status, 401);
    assert.equal((await get('/metrics', { authorization: 'Bearer vgl_0000000000000000_x' })).status, 401);
  });

  it('lets a Prometheus API token scrape /metrics', async () => {
    const { ctx } = inst;
    const auth = createAuthServices({
      store: ctx.accountStore,
      audit: ctx.store,
      master: ctx.master,
      clock: ctx.clock,
    });
    const { token } = await auth.tokens.create({
      label: 'prometheus',
      role: 'operator',
      owner: 'admin',
      actor: 'user:admin',
    });
    const r = await get('/metrics', { authorization: `Bearer ${token}` });
    assert.equal(r.status, 200, r.text);
    assert.match(r.text, /^vigil_ingest_accepted_total \d+$/m);
    const viewer = (
      await auth.tokens.create({ label: 'dash', role: 'viewer', owner: 'admin', actor: 'user:admin' })
    ).token;
    assert.equal((await get('/metrics', { authorization: `Bearer ${viewer}` })).status, 403);
    assert.equal((await get('/api/v1/devices', { authorization: `Bearer ${viewer}` })).status, 200);
  });
});
