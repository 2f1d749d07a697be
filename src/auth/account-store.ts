/**
 * The storage port of the accounts module: users, sessions, recovery codes, API tokens and
 * failed sign-in attempts. Kept apart from `Store` (the ingest/registry port) so that each stays
 * small; the SQLite adapter implements both. Timestamps are milliseconds since the Unix epoch.
 * Nothing here holds a secret in clear: passwords are argon2id hashes, session ids and token
 * secrets SHA-256 hashes, recovery codes keyed hashes, TOTP secrets sealed under the master key.
 */
import type { Role } from './principal.ts';

export type UserStatus = 'active' | 'disabled';

export interface UserRecord {
  /** `^[a-z][a-z0-9._-]{2,31}$`. */
  name: string;
  role: Role;
  status: UserStatus;
  /** argon2id PHC string. */
  passwordHash: string;
  /** Set for a one-time password: the next sign-in must choose a new one. */
  mustChangePassword: boolean;
  /** Set for a new account or after an MFA reset: the next sign-in must enrol TOTP. */
  mustEnrolMfa: boolean;
  /** The TOTP secret sealed under the master key (purpose `totp-secret`), null until enrolled. */
  totpSecretEnc: Buffer | null;
  /** A secret offered during enrolment and not yet confirmed (sealed), with when it was offered. */
  totpPendingEnc: Buffer | null;
  totpPendingAt: number | null;
  /** The last accepted TOTP time step; codes of this step or earlier are refused (RFC 6238 §5.2). */
  lastTotpStep: number | null;
  createdAt: number;
  updatedAt: number;
  passwordChangedAt: number;
  /** When the user last completed sign-in (both factors). */
  lastLoginAt: number | null;
}

/** The fields {@link AccountStore.updateUser} can change. */
export type UserPatch = Partial<Omit<UserRecord, 'name' | 'createdAt'>>;

/** Session states: password checked (half-authenticated), then second factor checked. */
export type SessionState = 'password_ok' | 'mfa_ok';

export interface SessionRecord {
  /** SHA-256 (base64url) of the cookie value; the cookie value itself is never stored. */
  idHash: string;
  userName: string;
  state: SessionState;
  /** When the sign-in that led to this session started; the absolute timeout counts from here. */
  authAt: number;
  /** When this row (this session id) was issued. */
  createdAt: number;
  /** Last authenticated request; the idle timeout counts from here. */
  lastSeenAt: number;
  /** Client address at sign-in, for the admin's session list. */
  address: string | null;
}

export interface ApiTokenRecord {
  /** Public id (16 hex characters), the middle part of `vgl_<id>_<secret>`. */
  id: string;
  /** SHA-256 (base64url) of the secret part. */
  secretHash: string;
  /** A label chosen by the admin ("prometheus", "erp-sync"). */
  label: string;
  role: Role;
  /** Audit actor that created it (`user:<name>`, `cli`). */
  createdBy: string;
  /**
   * The user the token belongs to: it is refused while that user is disabled and acts at most
   * with that user's current role. Null only for tokens from before owners were recorded, which
   * the migration revoked.
   */
  owner: string | null;
  createdAt: number;
  expiresAt: number;
  revokedAt: number | null;
  lastUsedAt: number | null;
}

/**
 * One failed password or second-factor check: the account name tried (known or not, normalised)
 * and the client address (`''` when the caller has none, as for the CLI).
 */
export interface SignInFailure {
  account: string;
  address: string;
  at: number;
}

/** Which failures {@link AccountStore.listSignInFailures} returns: one account, one address, or one pair. */
export interface SignInFailureQuery {
  account?: string;
  address?: string;
  /** Inclusive lower bound on `at`. */
  since: number;
  limit: number;
}

export interface AccountStore {
  // users
  /** Throws VIGIL_ERR_USER_EXISTS when the name is taken. */
  addUser(user: UserRecord): Promise<void>;
  getUser(name: string): Promise<UserRecord | null>;
  /** Ordered by name. */
  listUsers(): Promise<UserRecord[]>;
  countUsers(): Promise<number>;
  /** Throws VIGIL_ERR_NOT_FOUND for an unknown user. */
  updateUser(name: string, patch: UserPatch): Promise<void>;
  /**
   * Records `step` as the last accepted TOTP step only if it is greater than the stored one, in
   * one statement (two requests racing with the same code cannot both win). False otherwise.
   */
  advanceTotpStep(name: string, step: number, at: number): Promise<boolean>;

  // recovery codes
  /** Replaces every code of the user with these hashes (unused). */
  replaceRecoveryCodes(name: string, hashes: string[], at: number): Promise<void>;
  /** Marks an unused code used; false when no unused code has this hash. */
  consumeRecoveryCode(name: string, hash: string, at: number): Promise<boolean>;
  countUnusedRecoveryCodes(name: string): Promise<number>;

  // sessions
  addSession(session: SessionRecord): Promise<void>;
  getSession(idHash: string): Promise<SessionRecord | null>;
  /**
   * Deletes `oldIdHash` and inserts `next` in one transaction. False (and nothing inserted) when
   * the old session no longer exists, so a session ended concurrently cannot be revived.
   */
  rotateSession(oldIdHash: string, next: SessionRecord): Promise<boolean>;
  touchSession(idHash: string, at: number): Promise<void>;
  deleteSession(idHash: string): Promise<boolean>;
  /** Returns how many sessions were deleted. */
  deleteUserSessions(name: string): Promise<number>;
  /** All sessions, or one user's; ordered by creation. */
  listSessions(name?: string): Promise<SessionRecord[]>;
  /** Deletes sessions idle since before `idleBefore` or signed in before `authBefore`. */
  deleteExpiredSessions(idleBefore: number, authBefore: number): Promise<number>;

  // failed sign-in attempts (brute-force defence)
  addSignInFailure(failure: SignInFailure): Promise<void>;
  /**
   * Times of the failures matching every filter that is set (account, address, or both), at or
   * after `since`, newest first, at most `limit`.
   */
  listSignInFailures(q: SignInFailureQuery): Promise<number[]>;
  /** Forgets the failures of one (account, address) pair (after a successful sign-in from there). */
  clearSignInFailures(account: string, address: string): Promise<void>;
  /** Deletes failures older than `before`; returns how many. */
  pruneSignInFailures(before: number): Promise<number>;

  // API tokens
  addApiToken(token: ApiTokenRecord): Promise<void>;
  getApiToken(id: string): Promise<ApiTokenRecord | null>;
  /** Ordered by creation. */
  listApiTokens(): Promise<ApiTokenRecord[]>;
  /** Idempotent (keeps the first revocation time); throws VIGIL_ERR_NOT_FOUND for an unknown id. */
  revokeApiToken(id: string, at: number): Promise<void>;
  touchApiToken(id: string, at: number): Promise<void>;
}
