/**
 * What the accounts module shows of an account (views, sign-in steps) and how names and roles
 * are checked. Kept apart from the service so that routes and the CLI can use them alone.
 */
import { VigilError } from '../errors.ts';
import { iso, isoOrNull } from '../iso-time.ts';
import type { SessionRecord, UserRecord } from './account-store.ts';
import type { ApiTokenView } from './api-tokens.ts';
import { ROLES, type Role } from './principal.ts';

/** User names: a lowercase letter, then 2-31 of lowercase letters, digits, `.`, `_`, `-`. */
export const USER_NAME_RE = /^[a-z][a-z0-9._-]{2,31}$/;

/** Name of the account the first start creates. */
export const FIRST_ADMIN = 'admin';

/** How long a TOTP secret offered by `AccountService.beginTotpEnrolment` can be confirmed. */
export const TOTP_ENROLMENT_TTL_MS = 10 * 60_000;

/** Throws VIGIL_ERR_USER_NAME unless `name` matches {@link USER_NAME_RE}. */
export function checkUserName(name: string): void {
  if (!USER_NAME_RE.test(name)) {
    throw new VigilError(
      'VIGIL_ERR_USER_NAME',
      `"${name.slice(0, 40)}" must match ^[a-z][a-z0-9._-]{2,31}$ (lowercase letter first, 3-32 characters)`,
    );
  }
}

/** Throws VIGIL_ERR_USAGE unless `role` is one of {@link ROLES}. */
export function checkRole(role: string): asserts role is Role {
  if (!(ROLES as readonly string[]).includes(role)) {
    throw new VigilError('VIGIL_ERR_USAGE', `role must be one of ${ROLES.join(', ')}`);
  }
}

/** A user as shown to admins and the CLI: no hash, no secret. */
export interface UserView {
  name: string;
  role: Role;
  status: UserRecord['status'];
  /** TOTP is enrolled (confirmed). */
  mfaEnrolled: boolean;
  mustChangePassword: boolean;
  mustEnrolMfa: boolean;
  /** Unused recovery codes left. */
  recoveryCodesLeft: number;
  createdAt: number;
  updatedAt: number;
  passwordChangedAt: number;
  lastLoginAt: number | null;
}

/** A session as shown to admins; `id` is the stored hash, never the cookie value. */
export interface SessionView {
  id: string;
  userName: string;
  state: SessionRecord['state'];
  authAt: number;
  lastSeenAt: number;
  address: string | null;
}

/** What the client must do after the password step. */
export type SignInStep = 'change_password' | 'enrol_mfa' | 'verify_mfa';

/** A session issued by a sign-in step: put `token` into the cookie (`sessionCookie(token)`). */
export interface IssuedSignIn {
  token: string;
  /** The stored session id (`Principal.sessionId`). */
  sessionId: string;
}

/** Result of `AccountService.login`: a half-authenticated session and the next step. */
export interface LoginResult extends IssuedSignIn {
  next: SignInStep;
}

/** A TOTP secret offered for enrolment (shown as a QR code of `uri` and as text). */
export interface TotpOffer {
  /** Base32 (RFC 4648, no padding). */
  secret: string;
  /** `otpauth://totp/Vigil:<user>?secret=...&issuer=Vigil&algorithm=SHA1&digits=6&period=30`. */
  uri: string;
}

/** Result of a confirmed enrolment: the full session, and recovery codes to show once. */
export interface EnrolmentResult extends IssuedSignIn {
  recoveryCodes: string[];
}

/** The admin's view of an account. */
export const view = (u: UserRecord, recoveryCodesLeft: number): UserView => ({
  name: u.name,
  role: u.role,
  status: u.status,
  mfaEnrolled: u.totpSecretEnc !== null,
  mustChangePassword: u.mustChangePassword,
  mustEnrolMfa: u.mustEnrolMfa,
  recoveryCodesLeft,
  createdAt: u.createdAt,
  updatedAt: u.updatedAt,
  passwordChangedAt: u.passwordChangedAt,
  lastLoginAt: u.lastLoginAt,
});

/** What a user must do after the password step. */
export const nextStep = (u: UserRecord): SignInStep =>
  u.mustChangePassword ? 'change_password' : u.mustEnrolMfa || !u.totpSecretEnc ? 'enrol_mfa' : 'verify_mfa';

/** A user as JSON shows it (`GET /api/v1/users`, `vigil user ... --json`): times ISO 8601 UTC. */
export function userJson(u: UserView) {
  return {
    name: u.name,
    role: u.role,
    status: u.status,
    mfaEnrolled: u.mfaEnrolled,
    mustChangePassword: u.mustChangePassword,
    mustEnrolMfa: u.mustEnrolMfa,
    recoveryCodesLeft: u.recoveryCodesLeft,
    createdAt: iso(u.createdAt),
    updatedAt: iso(u.updatedAt),
    passwordChangedAt: iso(u.passwordChangedAt),
    lastLoginAt: isoOrNull(u.lastLoginAt),
  };
}

/** A session as JSON shows it (`GET /api/v1/sessions`): times ISO 8601 UTC. */
export function sessionJson(s: SessionView) {
  return {
    id: s.id,
    userName: s.userName,
    state: s.state,
    authAt: iso(s.authAt),
    lastSeenAt: iso(s.lastSeenAt),
    address: s.address,
  };
}

/** An API token as JSON shows it (`GET /api/v1/tokens`; never the secret): times ISO 8601 UTC. */
export function tokenJson(t: ApiTokenView) {
  return {
    id: t.id,
    label: t.label,
    role: t.role,
    createdBy: t.createdBy,
    owner: t.owner,
    createdAt: iso(t.createdAt),
    expiresAt: iso(t.expiresAt),
    revokedAt: isoOrNull(t.revokedAt),
    lastUsedAt: isoOrNull(t.lastUsedAt),
    status: t.status,
  };
}
