import { randomBytes } from 'node:crypto';
import { isVigilError, VigilError } from '../errors.ts';
import type { SessionRecord, UserPatch, UserRecord } from './account-store.ts';
import type { AuthDeps } from './auth-deps.ts';
import { DEFAULT_LOCKOUT, LockedError, type LockoutPolicy, lockoutDelayMs } from './lockout.ts';
import { checkPasswordPolicy, generateOneTimePassword, hashPassword, verifyPassword } from './password.ts';
import { type Principal, ROLES, type Role } from './principal.ts';
import { generateRecoveryCodes, hashRecoveryCode } from './recovery-codes.ts';
import type { SessionManager } from './sessions.ts';
import { base32Encode, otpauthUri, TOTP_SECRET_BYTES, verifyTotp } from './totp.ts';

/** User names: a lowercase letter, then 2-31 of lowercase letters, digits, `.`, `_`, `-`. */
export const USER_NAME_RE = /^[a-z][a-z0-9._-]{2,31}$/;

/** Name of the account the first start creates. */
export const FIRST_ADMIN = 'admin';

/** How long a TOTP secret offered by {@link AccountService.beginTotpEnrolment} can be confirmed. */
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

/** Result of {@link AccountService.login}: a half-authenticated session and the next step. */
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

/** Dependencies of {@link AccountService}. */
export interface AccountServiceDeps extends AuthDeps {
  sessions: SessionManager;
  lockout?: Partial<LockoutPolicy>;
}

/** At most one password or code check in flight per account, a few per address. */
const MAX_IN_FLIGHT_PER_ACCOUNT = 1;
const MAX_IN_FLIGHT_PER_ADDRESS = 4;
const PRUNE_INTERVAL_MS = 60_000;

const view = (u: UserRecord, recoveryCodesLeft: number): UserView => ({
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

const nextStep = (u: UserRecord): SignInStep =>
  u.mustChangePassword ? 'change_password' : u.mustEnrolMfa || !u.totpSecretEnc ? 'enrol_mfa' : 'verify_mfa';

/**
 * Accounts and sign-in. Sign-in is two steps: {@link login} (password) gives a
 * half-authenticated session (`password_ok`) and says what comes next: change a one-time
 * password, enrol TOTP, or verify TOTP. {@link confirmTotpEnrolment} and {@link verifyMfa}
 * rotate the session to `mfa_ok`. Every change is written to the audit log (never a secret).
 *
 * Failed password and code checks count against the account name (known or not) and the client
 * address; see `lockout.ts`. Unknown names get the same error after the same work (an argon2id
 * verification against a dummy hash), so sign-in does not reveal which accounts exist.
 */
export class AccountService {
  readonly sessions: SessionManager;
  readonly #d: AccountServiceDeps;
  readonly #random: (n: number) => Buffer;
  readonly #policy: LockoutPolicy;
  readonly #inFlight = new Map<string, number>();
  #dummyHash: Promise<string> | undefined;
  #lastPrune = 0;

  constructor(deps: AccountServiceDeps) {
    this.#d = deps;
    this.sessions = deps.sessions;
    this.#random = deps.random ?? randomBytes;
    this.#policy = { ...DEFAULT_LOCKOUT, ...deps.lockout };
  }

  // --- administration -------------------------------------------------------------------------

  /**
   * Creates an account with a one-time password, returned once: the user must change it and
   * enrol TOTP at first sign-in. VIGIL_ERR_USER_NAME, VIGIL_ERR_USER_EXISTS.
   */
  async createUser(input: {
    name: string;
    role: Role;
    actor: string;
  }): Promise<{ user: UserView; oneTimePassword: string }> {
    return this.#create(input.name, input.role, input.actor, {});
  }

  async #create(
    name: string,
    role: string,
    actor: string,
    detail: Record<string, unknown>,
  ): Promise<{ user: UserView; oneTimePassword: string }> {
    checkUserName(name);
    checkRole(role);
    if (await this.#d.store.getUser(name)) throw new VigilError('VIGIL_ERR_USER_EXISTS', name);
    const oneTimePassword = generateOneTimePassword(this.#random);
    const now = this.#d.clock();
    const rec: UserRecord = {
      name,
      role,
      status: 'active',
      passwordHash: await hashPassword(oneTimePassword),
      mustChangePassword: true,
      mustEnrolMfa: true,
      totpSecretEnc: null,
      totpPendingEnc: null,
      totpPendingAt: null,
      lastTotpStep: null,
      createdAt: now,
      updatedAt: now,
      passwordChangedAt: now,
      lastLoginAt: null,
    };
    await this.#d.store.addUser(rec);
    await this.#audit(actor, 'user.add', name, { role, ...detail });
    return { user: view(rec, 0), oneTimePassword };
  }

  /**
   * First start: when no account exists, creates `admin` with a one-time password and returns
   * it (to print once). Null when any account exists (also when another process won the race).
   */
  async createFirstAdmin(): Promise<{ name: string; oneTimePassword: string } | null> {
    if ((await this.#d.store.countUsers()) > 0) return null;
    try {
      const r = await this.#create(FIRST_ADMIN, 'admin', 'system', { firstStart: true });
      return { name: FIRST_ADMIN, oneTimePassword: r.oneTimePassword };
    } catch (err) {
      if (isVigilError(err, 'VIGIL_ERR_USER_EXISTS')) return null;
      throw err;
    }
  }

  /** Every account, by name. */
  async listUsers(): Promise<UserView[]> {
    const users = await this.#d.store.listUsers();
    return Promise.all(users.map(async (u) => view(u, await this.#d.store.countUnusedRecoveryCodes(u.name))));
  }

  /** One account, or null. */
  async getUser(name: string): Promise<UserView | null> {
    const u = await this.#d.store.getUser(name);
    return u ? view(u, await this.#d.store.countUnusedRecoveryCodes(u.name)) : null;
  }

  async #requireUser(name: string): Promise<UserRecord> {
    const u = await this.#d.store.getUser(name);
    if (!u) throw new VigilError('VIGIL_ERR_NOT_FOUND', `user ${name.slice(0, 40)}`);
    return u;
  }

  /** Refuses a change that would leave no active admin (nobody could manage users any more). */
  async #keepOneAdmin(target: UserRecord): Promise<void> {
    if (target.role !== 'admin' || target.status !== 'active') return;
    const others = (await this.#d.store.listUsers()).filter(
      (u) => u.name !== target.name && u.role === 'admin' && u.status === 'active',
    );
    if (others.length === 0) throw new VigilError('VIGIL_ERR_USAGE', 'this would leave no active admin');
  }

  async #patch(name: string, patch: UserPatch): Promise<void> {
    await this.#d.store.updateUser(name, { ...patch, updatedAt: this.#d.clock() });
  }

  /** Disables an account and ends its sessions. Refused for the last active admin. */
  async disableUser(name: string, actor: string): Promise<void> {
    const u = await this.#requireUser(name);
    await this.#keepOneAdmin(u);
    await this.#patch(name, { status: 'disabled' });
    const sessionsEnded = await this.sessions.endAll(name);
    await this.#audit(actor, 'user.disable', name, { sessionsEnded });
  }

  /** Re-enables a disabled account. */
  async enableUser(name: string, actor: string): Promise<void> {
    await this.#requireUser(name);
    await this.#patch(name, { status: 'active' });
    await this.#audit(actor, 'user.enable', name, {});
  }

  /** Changes a role; takes effect on the user's next request. Refused for the last active admin. */
  async setRole(name: string, role: Role, actor: string): Promise<void> {
    checkRole(role);
    const u = await this.#requireUser(name);
    if (u.role === role) return;
    if (role !== 'admin') await this.#keepOneAdmin(u);
    await this.#patch(name, { role });
    await this.#audit(actor, 'user.role', name, { from: u.role, to: role });
  }

  /**
   * Removes the user's TOTP secret and recovery codes and ends their sessions; the next
   * sign-in must enrol again (a lost phone).
   */
  async resetMfa(name: string, actor: string): Promise<void> {
    await this.#requireUser(name);
    await this.#patch(name, {
      totpSecretEnc: null,
      totpPendingEnc: null,
      totpPendingAt: null,
      lastTotpStep: null,
      mustEnrolMfa: true,
    });
    await this.#d.store.replaceRecoveryCodes(name, [], this.#d.clock());
    const sessionsEnded = await this.sessions.endAll(name);
    await this.#audit(actor, 'user.mfa_reset', name, { sessionsEnded });
  }

  /** Sets a new one-time password (returned once) and ends the user's sessions. TOTP is kept. */
  async resetPassword(name: string, actor: string): Promise<{ oneTimePassword: string }> {
    await this.#requireUser(name);
    const oneTimePassword = generateOneTimePassword(this.#random);
    const now = this.#d.clock();
    await this.#patch(name, {
      passwordHash: await hashPassword(oneTimePassword),
      mustChangePassword: true,
      passwordChangedAt: now,
    });
    const sessionsEnded = await this.sessions.endAll(name);
    await this.#audit(actor, 'user.password_reset', name, { sessionsEnded });
    return { oneTimePassword };
  }

  /** Live sessions of one user or of everyone. */
  async listSessions(name?: string): Promise<SessionView[]> {
    return (await this.sessions.list(name)).map((s) => ({
      id: s.idHash,
      userName: s.userName,
      state: s.state,
      authAt: s.authAt,
      lastSeenAt: s.lastSeenAt,
      address: s.address,
    }));
  }

  /** Ends every session of a user (admin action); returns how many. */
  async endSessions(name: string, actor: string): Promise<number> {
    await this.#requireUser(name);
    const n = await this.sessions.endAll(name);
    await this.#audit(actor, 'user.sessions_end', name, { sessionsEnded: n });
    return n;
  }

  /** Ends one session by its id ({@link SessionView.id}); false when it did not exist. */
  async endSession(id: string, actor: string): Promise<boolean> {
    const s = await this.#d.store.getSession(id);
    if (!s) return false;
    const ended = await this.sessions.end(id);
    await this.#audit(actor, 'user.session_end', s.userName, {});
    return ended;
  }

  // --- sign-in --------------------------------------------------------------------------------

  /**
   * Password step. Returns a half-authenticated session and the next step, or throws
   * VIGIL_ERR_AUTH (wrong password, unknown or disabled account: one answer for all) or
   * {@link LockedError} (VIGIL_ERR_LOCKED with `retryAfterSeconds`).
   */
  async login(input: { name: string; password: string; address?: string | null }): Promise<LoginResult> {
    const name = String(input.name ?? '')
      .trim()
      .toLowerCase()
      .slice(0, 64);
    const password = typeof input.password === 'string' ? input.password : '';
    const address = input.address ?? null;
    return this.#guarded(name, address, async () => {
      const user = USER_NAME_RE.test(name) ? await this.#d.store.getUser(name) : null;
      // Same work whether or not the account exists: always one argon2id verification.
      const hash = user?.passwordHash ?? (await this.#dummy());
      const ok = await verifyPassword(hash, password);
      if (!user || !ok || user.status !== 'active') {
        await this.#fail(name, address, 'login');
        throw new VigilError('VIGIL_ERR_AUTH');
      }
      const issued = await this.sessions.issue(user.name, 'password_ok', { address });
      return { token: issued.token, sessionId: issued.session.idHash, next: nextStep(user) };
    });
  }

  /**
   * Second-factor step: a 6-digit TOTP code (each accepted once) or an unused recovery code.
   * Rotates the session to `mfa_ok` (new id). VIGIL_ERR_TOTP on a wrong code, VIGIL_ERR_SESSION
   * for a missing or expired session, VIGIL_ERR_USAGE when another step comes first.
   */
  async verifyMfa(
    principal: Principal,
    code: string,
    opts: { address?: string | null } = {},
  ): Promise<IssuedSignIn> {
    const { session, user } = await this.#sessionUser(principal);
    if (session.state === 'mfa_ok') throw new VigilError('VIGIL_ERR_USAGE', 'second factor already verified');
    if (nextStep(user) !== 'verify_mfa') {
      throw new VigilError('VIGIL_ERR_USAGE', `complete the ${nextStep(user)} step first`);
    }
    const address = opts.address ?? session.address;
    return this.#guarded(user.name, address, async () => {
      const now = this.#d.clock();
      const c = String(code ?? '').replace(/\s/g, '');
      let method: 'totp' | 'recovery_code' | null = null;
      if (/^\d{6}$/.test(c) && user.totpSecretEnc) {
        const secret = this.#d.master.open('totp-secret', user.totpSecretEnc);
        const step = verifyTotp(secret, c, now, { lastStep: user.lastTotpStep });
        // advanceTotpStep is the single-use check that holds under concurrency (RFC 6238 §5.2).
        if (step !== null && (await this.#d.store.advanceTotpStep(user.name, step, now))) method = 'totp';
      } else {
        const h = hashRecoveryCode(this.#d.master, user.name, c);
        if (h && (await this.#d.store.consumeRecoveryCode(user.name, h, now))) method = 'recovery_code';
      }
      if (!method) {
        await this.#fail(user.name, address, 'mfa');
        throw new VigilError('VIGIL_ERR_TOTP');
      }
      const detail: Record<string, unknown> = {};
      if (method === 'recovery_code') {
        detail.recoveryCodesLeft = await this.#d.store.countUnusedRecoveryCodes(user.name);
      }
      return this.#completeSignIn(user.name, session, method, detail);
    });
  }

  /**
   * Starts TOTP enrolment for a signed-in user who must enrol (a new account, or after an MFA
   * reset): a fresh 160-bit secret, kept sealed as pending until confirmed.
   */
  async beginTotpEnrolment(principal: Principal): Promise<TotpOffer> {
    const { user } = await this.#sessionUser(principal);
    if (nextStep(user) === 'change_password')
      throw new VigilError('VIGIL_ERR_USAGE', 'change the one-time password first');
    if (!user.mustEnrolMfa && user.totpSecretEnc) {
      throw new VigilError('VIGIL_ERR_USAGE', 'TOTP is already enrolled (an admin can reset it)');
    }
    const secret = this.#random(TOTP_SECRET_BYTES);
    await this.#patch(user.name, {
      totpPendingEnc: this.#d.master.seal('totp-secret', secret),
      totpPendingAt: this.#d.clock(),
    });
    return { secret: base32Encode(secret, false), uri: otpauthUri(user.name, secret) };
  }

  /**
   * Confirms enrolment with a valid code for the offered secret: stores it (sealed), creates
   * 10 recovery codes (returned once, stored as keyed hashes) and rotates the session to
   * `mfa_ok` (a valid code is the second factor).
   */
  async confirmTotpEnrolment(
    principal: Principal,
    code: string,
    opts: { address?: string | null } = {},
  ): Promise<EnrolmentResult> {
    const { session, user } = await this.#sessionUser(principal);
    if (nextStep(user) !== 'enrol_mfa')
      throw new VigilError('VIGIL_ERR_USAGE', `the next step is ${nextStep(user)}`);
    const now = this.#d.clock();
    if (
      !user.totpPendingEnc ||
      user.totpPendingAt === null ||
      now - user.totpPendingAt > TOTP_ENROLMENT_TTL_MS
    ) {
      throw new VigilError('VIGIL_ERR_USAGE', 'no TOTP enrolment in progress (start again)');
    }
    const pending = user.totpPendingEnc;
    const address = opts.address ?? session.address;
    return this.#guarded(user.name, address, async () => {
      const secret = this.#d.master.open('totp-secret', pending);
      const step = verifyTotp(secret, String(code ?? '').replace(/\s/g, ''), now);
      if (step === null) {
        await this.#fail(user.name, address, 'mfa');
        throw new VigilError('VIGIL_ERR_TOTP');
      }
      await this.#patch(user.name, {
        totpSecretEnc: pending,
        totpPendingEnc: null,
        totpPendingAt: null,
        lastTotpStep: step,
        mustEnrolMfa: false,
      });
      const recoveryCodes = await this.#newRecoveryCodes(user.name);
      await this.#audit(`user:${user.name}`, 'user.mfa_enrol', user.name, { method: 'totp' });
      const issued = await this.#completeSignIn(user.name, session, 'totp', {});
      return { ...issued, recoveryCodes };
    });
  }

  /** Replaces a fully signed-in user's recovery codes; the new ones are returned once. */
  async regenerateRecoveryCodes(principal: Principal): Promise<string[]> {
    const { session, user } = await this.#sessionUser(principal);
    if (session.state !== 'mfa_ok') throw new VigilError('VIGIL_ERR_MFA_REQUIRED');
    const codes = await this.#newRecoveryCodes(user.name);
    await this.#audit(`user:${user.name}`, 'user.recovery_codes', user.name, {});
    return codes;
  }

  async #newRecoveryCodes(name: string): Promise<string[]> {
    const codes = generateRecoveryCodes(this.#random);
    const hashes = codes.map((c) => hashRecoveryCode(this.#d.master, name, c) ?? '');
    await this.#d.store.replaceRecoveryCodes(name, hashes, this.#d.clock());
    return codes;
  }

  /**
   * Changes the caller's password (with the current one) and ends ALL their sessions, this one
   * included: the client signs in again with the new password. Allowed in a fully signed-in
   * session, or in a half-authenticated one when the password must be changed (one-time
   * password). VIGIL_ERR_AUTH for a wrong current password, VIGIL_ERR_PASSWORD_POLICY.
   */
  async changePassword(
    principal: Principal,
    current: string,
    next: string,
    opts: { address?: string | null } = {},
  ): Promise<void> {
    const { session, user } = await this.#sessionUser(principal);
    if (session.state !== 'mfa_ok' && !user.mustChangePassword)
      throw new VigilError('VIGIL_ERR_MFA_REQUIRED');
    const address = opts.address ?? session.address;
    await this.#guarded(user.name, address, async () => {
      if (!(await verifyPassword(user.passwordHash, typeof current === 'string' ? current : ''))) {
        await this.#fail(user.name, address, 'password');
        throw new VigilError('VIGIL_ERR_AUTH');
      }
      const pw = typeof next === 'string' ? next : '';
      checkPasswordPolicy(pw, user.name);
      if (await verifyPassword(user.passwordHash, pw)) {
        throw new VigilError(
          'VIGIL_ERR_PASSWORD_POLICY',
          'the new password must differ from the current one',
        );
      }
      await this.#patch(user.name, {
        passwordHash: await hashPassword(pw),
        mustChangePassword: false,
        passwordChangedAt: this.#d.clock(),
      });
      const sessionsEnded = await this.sessions.endAll(user.name);
      await this.#audit(`user:${user.name}`, 'user.password_change', user.name, { sessionsEnded });
    });
  }

  /**
   * Electronic signature (21 CFR 11.200(a)(1)(i): a signing after the first one in a session
   * still takes both components): the fully signed-in user re-enters the password and a fresh
   * TOTP code. The code is single-use as at sign-in (a recovery code is not accepted: it is not
   * a re-entry of the second factor). Both checks count against the lockout like sign-in
   * failures. Returns the signer's printed name and current role for the signed record.
   * VIGIL_ERR_FORBIDDEN for an API token (it cannot sign), VIGIL_ERR_MFA_REQUIRED for a
   * half-authenticated session, VIGIL_ERR_AUTH for a wrong password, VIGIL_ERR_TOTP for a wrong
   * or reused code, VIGIL_ERR_LOCKED.
   */
  async verifySignature(
    principal: Principal,
    credentials: { password: string; totp: string },
    opts: { address?: string | null } = {},
  ): Promise<{ name: string; role: Role }> {
    if (principal.kind !== 'user') {
      throw new VigilError('VIGIL_ERR_FORBIDDEN', 'an electronic signature needs a signed-in user');
    }
    const { session, user } = await this.#sessionUser(principal);
    if (session.state !== 'mfa_ok') throw new VigilError('VIGIL_ERR_MFA_REQUIRED');
    const address = opts.address ?? session.address;
    return this.#guarded(user.name, address, async () => {
      const password = typeof credentials.password === 'string' ? credentials.password : '';
      if (!(await verifyPassword(user.passwordHash, password))) {
        await this.#fail(user.name, address, 'password');
        throw new VigilError('VIGIL_ERR_AUTH');
      }
      const now = this.#d.clock();
      const c = String(credentials.totp ?? '').replace(/\s/g, '');
      let ok = false;
      if (/^\d{6}$/.test(c) && user.totpSecretEnc) {
        const secret = this.#d.master.open('totp-secret', user.totpSecretEnc);
        const step = verifyTotp(secret, c, now, { lastStep: user.lastTotpStep });
        // the same single-use check as sign-in (RFC 6238 §5.2)
        ok = step !== null && (await this.#d.store.advanceTotpStep(user.name, step, now));
      }
      if (!ok) {
        await this.#fail(user.name, address, 'mfa');
        throw new VigilError('VIGIL_ERR_TOTP');
      }
      return { name: user.name, role: user.role };
    });
  }

  /** Ends the caller's session (a no-op for tokens and unknown sessions). */
  async logout(principal: Principal): Promise<void> {
    if (principal.kind !== 'user' || !principal.sessionId) return;
    if (await this.sessions.end(principal.sessionId)) {
      await this.#audit(`user:${principal.name}`, 'user.sign_out', principal.name, {});
    }
  }

  // --- internals ------------------------------------------------------------------------------

  async #sessionUser(principal: Principal): Promise<{ session: SessionRecord; user: UserRecord }> {
    if (principal.kind !== 'user' || !principal.sessionId)
      throw new VigilError('VIGIL_ERR_SESSION', 'not a user session');
    const session = await this.sessions.resolveId(principal.sessionId);
    if (!session || session.userName !== principal.name) throw new VigilError('VIGIL_ERR_SESSION');
    const user = await this.#d.store.getUser(session.userName);
    if (user?.status !== 'active') throw new VigilError('VIGIL_ERR_SESSION');
    return { session, user };
  }

  async #completeSignIn(
    name: string,
    session: SessionRecord,
    method: string,
    detail: Record<string, unknown>,
  ): Promise<IssuedSignIn> {
    const issued = await this.sessions.rotate(session.idHash, 'mfa_ok');
    await this.#d.store.clearAuthFailures('account', name);
    await this.#patch(name, { lastLoginAt: this.#d.clock() });
    await this.#audit(`user:${name}`, 'user.sign_in', name, { method, address: session.address, ...detail });
    return { token: issued.token, sessionId: issued.session.idHash };
  }

  #dummy(): Promise<string> {
    // A real argon2id hash of a random password with the current parameters: verifying against
    // it costs what verifying a real account costs.
    this.#dummyHash ??= hashPassword(this.#random(24).toString('base64url'));
    return this.#dummyHash;
  }

  /** Runs a credential check under the in-flight limits and the lockout policy. */
  async #guarded<T>(name: string, address: string | null, fn: () => Promise<T>): Promise<T> {
    const keys = [`account:${name}`, ...(address ? [`address:${address}`] : [])];
    const limits = [MAX_IN_FLIGHT_PER_ACCOUNT, MAX_IN_FLIGHT_PER_ADDRESS];
    // Parallel attempts would all pass the lockout check before any failure is recorded.
    if (keys.some((k, i) => (this.#inFlight.get(k) ?? 0) >= (limits[i] ?? 1))) throw new LockedError(1000);
    for (const k of keys) this.#inFlight.set(k, (this.#inFlight.get(k) ?? 0) + 1);
    try {
      await this.#checkLock(name, address);
      return await fn();
    } finally {
      for (const k of keys) {
        const n = (this.#inFlight.get(k) ?? 1) - 1;
        if (n <= 0) this.#inFlight.delete(k);
        else this.#inFlight.set(k, n);
      }
    }
  }

  async #delay(kind: 'account' | 'address', subject: string, now: number): Promise<number> {
    const p = this.#policy;
    const limits =
      kind === 'account'
        ? { maxFailures: p.accountMaxFailures, backoffAfter: p.accountBackoffAfter }
        : { maxFailures: p.addressMaxFailures, backoffAfter: p.addressBackoffAfter };
    const failures = await this.#d.store.listAuthFailures(
      kind,
      subject,
      now - p.windowMs + 1,
      limits.maxFailures,
    );
    return lockoutDelayMs(failures, now, limits, p);
  }

  async #checkLock(name: string, address: string | null): Promise<void> {
    const now = this.#d.clock();
    const wait = Math.max(
      await this.#delay('account', name, now),
      address ? await this.#delay('address', address, now) : 0,
    );
    if (wait > 0) {
      await this.#d.audit.addCounters({ auth_locked: 1 });
      throw new LockedError(wait);
    }
  }

  async #fail(name: string, address: string | null, what: 'login' | 'mfa' | 'password'): Promise<void> {
    const now = this.#d.clock();
    const store = this.#d.store;
    await store.addAuthFailure('account', name, now);
    if (address) await store.addAuthFailure('address', address, now);
    await this.#d.audit.addCounters({ [`auth_${what}_failed`]: 1 });
    // Failures are counted, not audited one by one (an attacker could flood the audit log);
    // reaching the hourly cap is audited once.
    const p = this.#policy;
    const n = (await store.listAuthFailures('account', name, now - p.windowMs + 1, p.accountMaxFailures))
      .length;
    if (n === p.accountMaxFailures) {
      await this.#audit('system', 'auth.lockout', name.slice(0, 64), { failures: n, windowMs: p.windowMs });
    }
    if (now - this.#lastPrune >= PRUNE_INTERVAL_MS) {
      this.#lastPrune = now;
      await store.pruneAuthFailures(now - p.windowMs);
    }
  }

  async #audit(
    actor: string,
    action: string,
    object: string,
    detail: Record<string, unknown>,
  ): Promise<void> {
    await this.#d.audit.appendAudit({ ts: this.#d.clock(), actor, action, object, detail });
  }
}
