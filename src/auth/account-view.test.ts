import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isVigilError } from '../errors.ts';
import type { UserRecord } from './account-store.ts';
import {
  checkRole,
  checkUserName,
  nextStep,
  sessionJson,
  tokenJson,
  userJson,
  view,
} from './account-view.ts';

const T = Date.UTC(2026, 11, 7, 5, 0, 0, 123);

const user = (over: Partial<UserRecord> = {}): UserRecord => ({
  name: 'olga',
  role: 'operator',
  status: 'active',
  passwordHash: '$argon2id$hidden',
  mustChangePassword: false,
  mustEnrolMfa: false,
  totpSecretEnc: Buffer.from('sealed'),
  totpPendingEnc: null,
  totpPendingAt: null,
  lastTotpStep: 7,
  createdAt: T,
  updatedAt: T + 1,
  passwordChangedAt: T + 2,
  lastLoginAt: null,
  ...over,
});

describe('account views', () => {
  it('names at most 40 characters of a refused user name and the rule it breaks', () => {
    assert.throws(
      () => checkUserName(`A${'x'.repeat(50)}`),
      (e: unknown) => {
        assert.ok(isVigilError(e, 'VIGIL_ERR_USER_NAME'));
        assert.equal(
          e.detail,
          `"A${'x'.repeat(39)}" must match ^[a-z][a-z0-9._-]{2,31}$ (lowercase letter first, 3-32 characters)`,
        );
        return true;
      },
    );
  });

  it('lists the roles when refusing an unknown one', () => {
    assert.throws(
      () => checkRole('root'),
      (e: unknown) => {
        assert.ok(isVigilError(e, 'VIGIL_ERR_USAGE'));
        assert.equal(e.detail, 'role must be one of admin, operator, quality, receiver, viewer, auditor');
        return true;
      },
    );
  });

  it('asks for enrolment while a secret is missing, even without the enrolment flag', () => {
    assert.equal(nextStep(user()), 'verify_mfa');
    assert.equal(nextStep(user({ totpSecretEnc: null })), 'enrol_mfa');
    assert.equal(nextStep(user({ mustEnrolMfa: true })), 'enrol_mfa');
    assert.equal(nextStep(user({ mustChangePassword: true, totpSecretEnc: null })), 'change_password');
  });

  it('shows a user without hash or secret, times as ISO 8601 UTC', () => {
    assert.deepEqual(userJson(view(user(), 4)), {
      name: 'olga',
      role: 'operator',
      status: 'active',
      mfaEnrolled: true,
      mustChangePassword: false,
      mustEnrolMfa: false,
      recoveryCodesLeft: 4,
      createdAt: '2026-12-07T05:00:00.123Z',
      updatedAt: '2026-12-07T05:00:00.124Z',
      passwordChangedAt: '2026-12-07T05:00:00.125Z',
      lastLoginAt: null,
    });
    assert.equal(userJson(view(user({ lastLoginAt: T }), 0)).lastLoginAt, '2026-12-07T05:00:00.123Z');
  });

  it('shows a session and a token with ISO 8601 UTC times', () => {
    assert.deepEqual(
      sessionJson({
        id: 'h',
        userName: 'olga',
        state: 'mfa_ok',
        authAt: T,
        lastSeenAt: T + 1,
        address: '::1',
      }),
      {
        id: 'h',
        userName: 'olga',
        state: 'mfa_ok',
        authAt: '2026-12-07T05:00:00.123Z',
        lastSeenAt: '2026-12-07T05:00:00.124Z',
        address: '::1',
      },
    );
    const token = {
      id: '0011223344556677',
      label: 'prometheus',
      role: 'viewer' as const,
      createdBy: 'user:admin',
      owner: 'admin',
      createdAt: T,
      expiresAt: T + 1,
      revokedAt: null,
      lastUsedAt: T + 2,
      status: 'active' as const,
    };
    assert.deepEqual(tokenJson(token), {
      ...token,
      createdAt: '2026-12-07T05:00:00.123Z',
      expiresAt: '2026-12-07T05:00:00.124Z',
      revokedAt: null,
      lastUsedAt: '2026-12-07T05:00:00.125Z',
    });
    assert.equal(tokenJson({ ...token, revokedAt: T }).revokedAt, '2026-12-07T05:00:00.123Z');
  });
});
