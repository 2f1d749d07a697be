import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type Principal, ROLES, type Role } from './principal.ts';
import {
  can,
  type Decision,
  PERMISSION_NAMES,
  type Permission,
  permissionsOf,
  roleCanChange,
} from './rbac.ts';

/**
 * The expected matrix, written out independently of the table: role -> permissions it holds.
 * Changing a permission means changing this list too, on purpose.
 */
const HOLDS: Record<Role, Permission[]> = {
  admin: [...PERMISSION_NAMES],
  operator: [
    'devices.read',
    'devices.labels.read',
    'devices.labels.manage',
    'devices.control',
    'devices.command',
    'claims.read',
    'readings.read',
    'alarms.read',
    'alarms.ack',
    'shipments.read',
    'shipments.manage',
    'system.read',
    'metrics.read',
    'openapi.read',
    'notifications.subscribe',
  ],
  quality: [
    'devices.read',
    'readings.read',
    'alarms.read',
    'alarms.ack',
    'shipments.read',
    'shipments.decide',
    'system.read',
    'openapi.read',
    'notifications.subscribe',
  ],
  receiver: [
    'devices.read',
    'readings.read',
    'alarms.read',
    'shipments.read',
    'shipments.deliver',
    'openapi.read',
    'notifications.subscribe',
  ],
  viewer: [
    'devices.read',
    'readings.read',
    'alarms.read',
    'shipments.read',
    'system.read',
    'openapi.read',
    'notifications.subscribe',
  ],
  auditor: [
    'devices.read',
    'devices.labels.read',
    'readings.read',
    'alarms.read',
    'shipments.read',
    'system.read',
    'metrics.read',
    'openapi.read',
    'audit.read',
    'users.read',
    'claims.read',
    'notifications.subscribe',
  ],
};

/** Permissions that change something. */
const WRITES: Permission[] = [
  'devices.labels.manage',
  'devices.control',
  'devices.command',
  'devices.manage',
  'claims.approve',
  'alarms.ack',
  'shipments.manage',
  'shipments.deliver',
  'shipments.decide',
  'users.manage',
  'notifications.manage',
  'tokens.manage',
  'seclab.run',
];

/** Never for an API token: they need a person in an interactive session with MFA. */
const INTERACTIVE: Permission[] = [
  'devices.command',
  'claims.approve',
  'alarms.ack',
  'shipments.decide',
  'users.manage',
  'notifications.manage',
  'tokens.manage',
  'seclab.run',
];

function expected(
  kind: Principal['kind'],
  role: Role,
  mfa: boolean,
  perm: Permission,
  owner?: Role,
): Decision {
  if (kind === 'user' && !mfa) return 'mfa_required';
  if (!HOLDS[role].includes(perm)) return 'forbidden';
  if (kind === 'token' && (INTERACTIVE.includes(perm) || !owner || !HOLDS[owner].includes(perm)))
    return 'forbidden';
  if (WRITES.includes(perm) && !mfa) return 'mfa_required';
  return 'ok';
}

describe('permission table', () => {
  it('decides every permission x role x MFA state x principal kind (x token owner role) as the matrix says', () => {
    let cases = 0;
    for (const perm of PERMISSION_NAMES) {
      for (const role of ROLES) {
        for (const mfa of [true, false]) {
          const user: Principal = { kind: 'user', name: 'x', role, mfa };
          assert.equal(can(user, perm), expected('user', role, mfa, perm), `user ${role} mfa=${mfa} ${perm}`);
          cases++;
          for (const owner of [...ROLES, undefined]) {
            const token: Principal = {
              kind: 'token',
              name: 't',
              role,
              mfa,
              ...(owner ? { owner: { name: 'o', role: owner } } : {}),
            };
            assert.equal(
              can(token, perm),
              expected('token', role, mfa, perm, owner),
              `token ${role}/${owner} mfa=${mfa} ${perm}`,
            );
            cases++;
          }
        }
      }
    }
    assert.equal(cases, PERMISSION_NAMES.length * ROLES.length * 2 * (1 + ROLES.length + 1));
  });

  it('gives a half-authenticated session nothing, whatever the role', () => {
    for (const role of ROLES) {
      for (const perm of PERMISSION_NAMES) {
        assert.equal(can({ kind: 'user', name: 'x', role, mfa: false }, perm), 'mfa_required');
      }
    }
  });

  it('refuses an unknown permission name', () => {
    const admin: Principal = { kind: 'user', name: 'root', role: 'admin', mfa: true };
    assert.equal(can(admin, 'devices.delete' as Permission), 'forbidden');
    assert.equal(can(admin, 'constructor' as Permission), 'forbidden');
  });

  it('marks exactly viewer and auditor as read-only (DESIGN.md §6)', () => {
    assert.deepEqual(
      ROLES.filter((r) => !roleCanChange(r)),
      ['viewer', 'auditor'],
    );
  });

  it('lists the permissions of a role', () => {
    for (const role of ROLES) assert.deepEqual(permissionsOf(role).sort(), [...HOLDS[role]].sort());
  });
});
