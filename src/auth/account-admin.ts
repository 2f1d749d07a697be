import { randomBytes } from 'node:crypto';
import { isVigilError, VigilError } from '../errors.ts';
import type { UserPatch, UserRecord } from './account-store.ts';
import {
  checkRole,
  checkUserName,
  FIRST_ADMIN,
  type SessionView,
  type UserView,
  view,
} from './account-view.ts';
import type { AuthDeps } from './auth-deps.ts';
import { generateOneTimePassword, hashPassword } from './password.ts';
import type { Role } from './principal.ts';
import type { SessionManager } from './sessions.ts';

/** Dependencies of the account services. */
export interface AccountAdminDeps extends AuthDeps {
  sessions: SessionManager;
}

/**
 * Account administration: create (with a one-time password), list, disable, enable, change a
 * role, reset MFA or password, list and end sessions. Every change is audited with its actor
 * (never a secret); no change may leave the installation without an active admin. Sign-in is
 * added by `AccountService` (accounts.ts).
 */
export class AccountAdmin {
  readonly sessions: SessionManager;
  protected readonly d: AccountAdminDeps;
  protected readonly random: (n: number) => Buffer;

  constructor(deps: AccountAdminDeps) {
    this.d = deps;
    this.sessions = deps.sessions;
    this.random = deps.random ?? randomBytes;
  }

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
    if (await this.d.store.getUser(name)) throw new VigilError('VIGIL_ERR_USER_EXISTS', name);
    const oneTimePassword = generateOneTimePassword(this.random);
    const now = this.d.clock();
    const rec: UserRecord = {
      name,
      role,
      status: 'active',
      passwordHash: await hashPassword(oneTimePassword, this.d.argon2Params),
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
    await this.d.store.addUser(rec);
    await this.audit(actor, 'user.add', name, { role, ...detail });
    return { user: view(rec, 0), oneTimePassword };
  }

  /**
   * First start: when no account exists, creates `admin` with a one-time password and returns
   * it (to print once). Null when any account exists (also when another process won the race).
   */
  async createFirstAdmin(): Promise<{ name: string; oneTimePassword: string } | null> {
    if ((await this.d.store.countUsers()) > 0) return null;
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
    const users = await this.d.store.listUsers();
    return Promise.all(users.map(async (u) => view(u, await this.d.store.countUnusedRecoveryCodes(u.name))));
  }

  /** One account, or null. */
  async getUser(name: string): Promise<UserView | null> {
    const u = await this.d.store.getUser(name);
    return u ? view(u, await this.d.store.countUnusedRecoveryCodes(u.name)) : null;
  }

  protected async requireUser(name: string): Promise<UserRecord> {
    const u = await this.d.store.getUser(name);
    if (!u) throw new VigilError('VIGIL_ERR_NOT_FOUND', `user ${name.slice(0, 40)}`);
    return u;
  }

  /** Refuses a change that would leave no active admin (nobody could manage users any more). */
  async #keepOneAdmin(target: UserRecord): Promise<void> {
    if (target.role !== 'admin' || target.status !== 'active') return;
    const others = (await this.d.store.listUsers()).filter(
      (u) => u.name !== target.name && u.role === 'admin' && u.status === 'active',
    );
    if (others.length === 0) throw new VigilError('VIGIL_ERR_USAGE', 'this would leave no active admin');
  }

  protected async patch(name: string, patch: UserPatch): Promise<void> {
    await this.d.store.updateUser(name, { ...patch, updatedAt: this.d.clock() });
  }

  /** Disables an account and ends its sessions. Refused for the last active admin. */
  async disableUser(name: string, actor: string): Promise<void> {
    const u = await this.requireUser(name);
    await this.#keepOneAdmin(u);
    await this.patch(name, { status: 'disabled' });
    const sessionsEnded = await this.sessions.endAll(name);
    await this.audit(actor, 'user.disable', name, { sessionsEnded });
  }

  /** Re-enables a disabled account. */
  async enableUser(name: string, actor: string): Promise<void> {
    await this.requireUser(name);
    await this.patch(name, { status: 'active' });
    await this.audit(actor, 'user.enable', name, {});
  }

  /** Changes a role; takes effect on the user's next request. Refused for the last active admin. */
  async setRole(name: string, role: Role, actor: string): Promise<void> {
    checkRole(role);
    const u = await this.requireUser(name);
    if (u.role === role) return;
    // A promotion passes (its target is no admin yet); a demotion of the last active admin does not.
    await this.#keepOneAdmin(u);
    await this.patch(name, { role });
    await this.audit(actor, 'user.role', name, { from: u.role, to: role });
  }

  /**
   * Removes the user's TOTP secret and recovery codes and ends their sessions; the next
   * sign-in must enrol again (a lost phone).
   */
  async resetMfa(name: string, actor: string): Promise<void> {
    await this.requireUser(name);
    await this.patch(name, {
      totpSecretEnc: null,
      totpPendingEnc: null,
      totpPendingAt: null,
      lastTotpStep: null,
      mustEnrolMfa: true,
    });
    await this.d.store.replaceRecoveryCodes(name, [], this.d.clock());
    const sessionsEnded = await this.sessions.endAll(name);
    await this.audit(actor, 'user.mfa_reset', name, { sessionsEnded });
  }

  /** Sets a new one-time password (returned once) and ends the user's sessions. TOTP is kept. */
  async resetPassword(name: string, actor: string): Promise<{ oneTimePassword: string }> {
    await this.requireUser(name);
    const oneTimePassword = generateOneTimePassword(this.random);
    const now = this.d.clock();
    await this.patch(name, {
      passwordHash: await hashPassword(oneTimePassword, this.d.argon2Params),
      mustChangePassword: true,
      passwordChangedAt: now,
    });
    const sessionsEnded = await this.sessions.endAll(name);
    await this.audit(actor, 'user.password_reset', name, { sessionsEnded });
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
    await this.requireUser(name);
    const n = await this.sessions.endAll(name);
    await this.audit(actor, 'user.sessions_end', name, { sessionsEnded: n });
    return n;
  }

  /** Ends one session by its id ({@link SessionView.id}); false when it did not exist. */
  async endSession(id: string, actor: string): Promise<boolean> {
    const s = await this.d.store.getSession(id);
    if (!s) return false;
    const ended = await this.sessions.end(id);
    await this.audit(actor, 'user.session_end', s.userName, {});
    return ended;
  }

  protected async audit(
    actor: string,
    action: string,
    object: string,
    detail: Record<string, unknown>,
  ): Promise<void> {
    await this.d.audit.appendAudit({ ts: this.d.clock(), actor, action, object, detail });
  }
}
