import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Principal, Role } from '../auth/principal.ts';
import { actorOf, checkAccess, isRouteAccess } from './access.ts';

const user = (role: Role, mfa = true): Principal => ({ kind: 'user', name: `${role}1`, role, mfa });

describe('checkAccess', () => {
  it('lets anyone through a public route', () => {
    assert.equal(checkAccess(null, 'public'), null);
  });

  it('answers 401 before anything else when nobody is signed in', () => {
    assert.equal(checkAccess(null, 'signed-in'), 'VIGIL_ERR_AUTH');
    assert.equal(checkAccess(null, 'devices.control'), 'VIGIL_ERR_AUTH');
  });

  it('lets a half-authenticated session finish signing in, but nothing else', () => {
    assert.equal(checkAccess(user('operator', false), 'signed-in'), null);
    assert.equal(checkAccess(user('operator', false), 'devices.read'), 'VIGIL_ERR_MFA_REQUIRED');
  });

  it('operator with MFA can control devices, viewer cannot', () => {
    assert.equal(checkAccess(user('operator'), 'devices.control'), null);
    assert.equal(checkAccess(user('viewer'), 'devices.control'), 'VIGIL_ERR_FORBIDDEN');
  });

  it('knows the route access names', () => {
    assert.equal(isRouteAccess('public'), true);
    assert.equal(isRouteAccess('audit.read'), true);
    assert.equal(isRouteAccess('audit.write'), false);
    assert.equal(isRouteAccess('__proto__'), false);
    assert.equal(isRouteAccess(undefined), false);
  });

  it('names the audit actor by kind', () => {
    assert.equal(actorOf(user('admin')), 'user:admin1');
    assert.equal(actorOf({ kind: 'token', name: 'abc', role: 'viewer', mfa: true }), 'token:abc');
  });
});
