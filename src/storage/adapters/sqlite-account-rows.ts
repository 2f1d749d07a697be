/** Row shapes of the account tables (migration 2) and their mapping to `AccountStore` records. */
import type { ApiTokenRecord, SessionRecord, UserPatch, UserRecord } from '../../auth/account-store.ts';

/** A `users` row. */
export interface UserRow {
  name: string;
  role: UserRecord['role'];
  status: UserRecord['status'];
  password_hash: string;
  must_change_password: number;
  must_enrol_mfa: number;
  totp_secret_enc: Buffer | null;
  totp_pending_enc: Buffer | null;
  totp_pending_at: number | null;
  last_totp_step: number | null;
  created_at: number;
  updated_at: number;
  password_changed_at: number;
  last_login_at: number | null;
}

/** A `sessions` row. */
export interface SessionRow {
  id_hash: string;
  user_name: string;
  state: SessionRecord['state'];
  auth_at: number;
  created_at: number;
  last_seen_at: number;
  address: string | null;
}

/** An `api_tokens` row. */
export interface ApiTokenRow {
  id: string;
  secret_hash: string;
  label: string;
  role: ApiTokenRecord['role'];
  created_by: string;
  owner: string | null;
  created_at: number;
  expires_at: number;
  revoked_at: number | null;
  last_used_at: number | null;
}

/** Row to record mappers. */
export const toUser = (r: UserRow): UserRecord => ({
  name: r.name,
  role: r.role,
  status: r.status,
  passwordHash: r.password_hash,
  mustChangePassword: r.must_change_password === 1,
  mustEnrolMfa: r.must_enrol_mfa === 1,
  totpSecretEnc: r.totp_secret_enc,
  totpPendingEnc: r.totp_pending_enc,
  totpPendingAt: r.totp_pending_at,
  lastTotpStep: r.last_totp_step,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
  passwordChangedAt: r.password_changed_at,
  lastLoginAt: r.last_login_at,
});

export const toSession = (r: SessionRow): SessionRecord => ({
  idHash: r.id_hash,
  userName: r.user_name,
  state: r.state,
  authAt: r.auth_at,
  createdAt: r.created_at,
  lastSeenAt: r.last_seen_at,
  address: r.address,
});

export const toApiToken = (r: ApiTokenRow): ApiTokenRecord => ({
  id: r.id,
  secretHash: r.secret_hash,
  label: r.label,
  role: r.role,
  createdBy: r.created_by,
  owner: r.owner,
  createdAt: r.created_at,
  expiresAt: r.expires_at,
  revokedAt: r.revoked_at,
  lastUsedAt: r.last_used_at,
});

/** Column of each patchable user field (a fixed whitelist: only these names reach the SQL text). */
const USER_COLUMNS: Record<keyof UserPatch, keyof UserRow> = {
  role: 'role',
  status: 'status',
  passwordHash: 'password_hash',
  mustChangePassword: 'must_change_password',
  mustEnrolMfa: 'must_enrol_mfa',
  totpSecretEnc: 'totp_secret_enc',
  totpPendingEnc: 'totp_pending_enc',
  totpPendingAt: 'totp_pending_at',
  lastTotpStep: 'last_totp_step',
  updatedAt: 'updated_at',
  passwordChangedAt: 'password_changed_at',
  lastLoginAt: 'last_login_at',
};

/** `SET` clause and values for a user patch; booleans become 0/1. Fields set to undefined are skipped. */
export function userPatchSql(patch: UserPatch): { set: string; values: (string | number | Buffer | null)[] } {
  const cols: string[] = [];
  const values: (string | number | Buffer | null)[] = [];
  for (const [field, value] of Object.entries(patch)) {
    if (value === undefined) continue;
    const col = USER_COLUMNS[field as keyof UserPatch];
    if (!col) throw new TypeError(`not a patchable user field: ${field}`);
    cols.push(`${col} = ?`);
    values.push(typeof value === 'boolean' ? (value ? 1 : 0) : (value as string | number | Buffer | null));
  }
  return { set: cols.join(', '), values };
}
