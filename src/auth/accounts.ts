import { VigilError } from '../errors.ts';
import { totpSecretIdentity } from '../keys/master-key.ts';
import { AccountAdmin, type AccountAdminDeps } from './account-admin.ts';
import type { SessionRecord, UserRecord } from './account-store.ts';
import {
  type EnrolmentResult,
  type IssuedSignIn,
  type LoginResult,
  nextStep,
  TOTP_ENROLMENT_TTL_MS,
  type TotpOffer,
  USER_NAME_RE,
} from './account-view.ts';
import type { LockoutPolicy } from './lockout.ts';
import { checkPasswordPolicy, hashPassword, verifyPassword } from './password.ts';
import type { Principal, Role } from './principal.ts';
import { generateRecoveryCodes, hashRecoveryCode } from './recovery-codes.ts';
import { SignInThrottle } from './sign-in-throttle.ts';
import { base32Encode, otpauthUri, TOTP_SECRET_BYTES, verifyTotp } from './totp.ts';

// The account views and checks live in account-view.ts; re-exported for the API and the CLI.
export {
  checkRole,
  checkUserName,
  type EnrolmentResult,
  FIRST_ADMIN,
  type IssuedSignIn,
  type LoginResult,
  type SessionView,
  type SignInStep,
  TOTP_ENROLMENT_TTL_MS,
  type TotpOffer,
  USER_NAME_RE,
  type UserView,
} from './account-view.ts';

/** Dependencies of {@link AccountService}. */
export interface AccountServiceDeps extends AccountAdminDeps {
  lockout?: Partial<LockoutPolicy> | undefined;
}

/**
 * Accounts (administration: `account-admin.ts`) and sign-in. Sign-in is two steps: {@link login} (password) gives a
 * half-authenticated session (`password_ok`) and says what comes next: change a one-time
 * password, enrol TOTP, or verify TOTP. {@link confirmTotpEnrolment} and {@link verifyMfa}
 * rotate the session to `mfa_ok`. Every change is written to the audit log (never a secret).
 *
 * Every password and code check runs under the brute-force defence of `sign-in-throttle.ts`
 * (counted per account and address, audited, logged; see `lockout.ts` for the policy). Unknown
 * names get the same error after the same work (an argon2id verification against a dummy hash),
 * so sign-in does not reveal which accounts exist.
 */
export class AccountService extends AccountAdmin {
  readonly #throttle: SignInThrottle;
  #dummyHash: Promise<string> | undefined;

  constructor(deps: AccountServiceDeps) {
    super(deps);
    this.#throttle = new SignInThrottle(deps);
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
    return this.#throttle.run(name, address, async () => {
      const user = USER_NAME_RE.test(name) ? await this.d.store.getUser(name) : null;
      // Same work whether or not the account exists: always one argon2id verification.
      const hash = user?.passwordHash ?? (await this.#dummy());
      const ok = await verifyPassword(hash, password);
      if (!user || !ok || user.status !== 'active') {
        const reason = !user ? 'unknown_user' : !ok ? 'wrong_password' : 'account_disabled';
        await this.#throttle.failed('sign_in', name, address, { reason });
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
    return this.#throttle.run(user.name, address, async () => {
      const now = this.d.clock();
      const c = String(code ?? '').replace(/\s/g, '');
      let method: 'totp' | 'recovery_code' | null = null;
      if (/^\d{6}$/.test(c)) {
        if (await this.#acceptTotp(user, c, now)) method = 'totp';
      } else {
        const h = hashRecoveryCode(this.d.master, user.name, c);
        if (h && (await this.d.store.consumeRecoveryCode(user.name, h, now))) method = 'recovery_code';
      }
      if (!method) {
        await this.#throttle.failed('mfa', user.name, address, { step: 'sign_in' });
        throw new VigilError('VIGIL_ERR_TOTP');
      }
      const detail: Record<string, unknown> = {};
      if (method === 'recovery_code') {
        detail.recoveryCodesLeft = await this.d.store.countUnusedRecoveryCodes(user.name);
      }
      return this.#completeSignIn(user.name, session, address, method, detail);
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
    if (nextStep(user) === 'verify_mfa') {
      throw new VigilError('VIGIL_ERR_USAGE', 'TOTP is already enrolled (an admin can reset it)');
    }
    const secret = this.random(TOTP_SECRET_BYTES);
    await this.patch(user.name, {
      totpPendingEnc: this.d.master.seal('totp-secret', secret, totpSecretIdentity(user.name)),
      totpPendingAt: this.d.clock(),
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
    const now = this.d.clock();
    if (
      !user.totpPendingEnc ||
      user.totpPendingAt === null ||
      now - user.totpPendingAt > TOTP_ENROLMENT_TTL_MS
    ) {
      throw new VigilError('VIGIL_ERR_USAGE', 'no TOTP enrolment in progress (start again)');
    }
    const pending = user.totpPendingEnc;
    const address = opts.address ?? session.address;
    return this.#throttle.run(user.name, address, async () => {
      const secret = this.d.master.open('totp-secret', pending, totpSecretIdentity(user.name));
      const step = verifyTotp(secret, String(code ?? '').replace(/\s/g, ''), now);
      if (step === null) {
        await this.#throttle.failed('mfa', user.name, address, { step: 'enrolment' });
        throw new VigilError('VIGIL_ERR_TOTP');
      }
      await this.patch(user.name, {
        totpSecretEnc: pending,
        totpPendingEnc: null,
        totpPendingAt: null,
        lastTotpStep: step,
        mustEnrolMfa: false,
      });
      const recoveryCodes = await this.#newRecoveryCodes(user.name);
      await this.audit(`user:${user.name}`, 'user.mfa_enrol', user.name, { method: 'totp' });
      const issued = await this.#completeSignIn(user.name, session, address, 'totp', {});
      return { ...issued, recoveryCodes };
    });
  }

  /** Replaces a fully signed-in user's recovery codes; the new ones are returned once. */
  async regenerateRecoveryCodes(principal: Principal): Promise<string[]> {
    const { session, user } = await this.#sessionUser(principal);
    if (session.state !== 'mfa_ok') throw new VigilError('VIGIL_ERR_MFA_REQUIRED');
    const codes = await this.#newRecoveryCodes(user.name);
    await this.audit(`user:${user.name}`, 'user.recovery_codes', user.name, {});
    return codes;
  }

  async #newRecoveryCodes(name: string): Promise<string[]> {
    const codes = generateRecoveryCodes(this.random);
    const hashes = codes.map((c) => hashRecoveryCode(this.d.master, name, c) ?? '');
    await this.d.store.replaceRecoveryCodes(name, hashes, this.d.clock());
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
    await this.#throttle.run(user.name, address, async () => {
      if (!(await verifyPassword(user.passwordHash, typeof current === 'string' ? current : ''))) {
        await this.#throttle.failed('password', user.name, address, { context: 'password_change' });
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
      await this.patch(user.name, {
        passwordHash: await hashPassword(pw, this.d.argon2Params),
        mustChangePassword: false,
        passwordChangedAt: this.d.clock(),
      });
      const sessionsEnded = await this.sessions.endAll(user.name);
      await this.audit(`user:${user.name}`, 'user.password_change', user.name, { sessionsEnded });
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
    return this.#throttle.run(user.name, address, async () => {
      const password = typeof credentials.password === 'string' ? credentials.password : '';
      if (!(await verifyPassword(user.passwordHash, password))) {
        await this.#throttle.failed('password', user.name, address, { context: 'signature' });
        throw new VigilError('VIGIL_ERR_AUTH');
      }
      const c = String(credentials.totp ?? '').replace(/\s/g, '');
      if (!(/^\d{6}$/.test(c) && (await this.#acceptTotp(user, c, this.d.clock())))) {
        await this.#throttle.failed('mfa', user.name, address, { step: 'signature' });
        throw new VigilError('VIGIL_ERR_TOTP');
      }
      return { name: user.name, role: user.role };
    });
  }

  /** Ends the caller's session (a no-op for tokens and unknown sessions). */
  async logout(principal: Principal): Promise<void> {
    if (principal.kind !== 'user' || !principal.sessionId) return;
    if (await this.sessions.end(principal.sessionId)) {
      await this.audit(`user:${principal.name}`, 'user.sign_out', principal.name, {});
    }
  }

  // --- internals ------------------------------------------------------------------------------

  async #sessionUser(principal: Principal): Promise<{ session: SessionRecord; user: UserRecord }> {
    if (principal.kind !== 'user' || !principal.sessionId)
      throw new VigilError('VIGIL_ERR_SESSION', 'not a user session');
    const session = await this.sessions.resolveId(principal.sessionId);
    if (!session || session.userName !== principal.name) throw new VigilError('VIGIL_ERR_SESSION');
    const user = await this.d.store.getUser(session.userName);
    if (user?.status !== 'active') throw new VigilError('VIGIL_ERR_SESSION');
    return { session, user };
  }

  /**
   * A 6-digit TOTP code of the user's enrolled secret, accepted once: `advanceTotpStep` is the
   * single-use check that holds under concurrency (RFC 6238 §5.2).
   */
  async #acceptTotp(user: UserRecord, code: string, now: number): Promise<boolean> {
    if (!user.totpSecretEnc) return false;
    const secret = this.d.master.open('totp-secret', user.totpSecretEnc, totpSecretIdentity(user.name));
    const step = verifyTotp(secret, code, now, { lastStep: user.lastTotpStep });
    return step !== null && (await this.d.store.advanceTotpStep(user.name, step, now));
  }

  async #completeSignIn(
    name: string,
    session: SessionRecord,
    address: string | null,
    method: string,
    detail: Record<string, unknown>,
  ): Promise<IssuedSignIn> {
    const issued = await this.sessions.rotate(session.idHash, 'mfa_ok');
    await this.#throttle.succeeded(name, address);
    await this.patch(name, { lastLoginAt: this.d.clock() });
    await this.audit(`user:${name}`, 'user.sign_in', name, { method, address: session.address, ...detail });
    return { token: issued.token, sessionId: issued.session.idHash };
  }

  #dummy(): Promise<string> {
    // A real argon2id hash of a random password with the current parameters: verifying against
    // it costs what verifying a real account costs.
    this.#dummyHash ??= hashPassword(this.random(24).toString('base64url'), this.d.argon2Params);
    return this.#dummyHash;
  }
}
