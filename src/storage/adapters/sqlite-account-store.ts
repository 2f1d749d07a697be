import type {
  AccountStore,
  ApiTokenRecord,
  SessionRecord,
  SignInFailure,
  SignInFailureQuery,
  UserPatch,
  UserRecord,
} from '../../auth/account-store.ts';
import { VigilError } from '../../errors.ts';
import {
  type ApiTokenRow,
  type SessionRow,
  toApiToken,
  toSession,
  toUser,
  type UserRow,
  userPatchSql,
} from './sqlite-account-rows.ts';
import { clampLimit, type SqliteDatabase, type SqliteScope, sqliteCode } from './sqlite-database.ts';

/**
 * The `AccountStore` port (users, recovery codes, sessions, failed sign-ins, API tokens;
 * migration 2) on a {@link SqliteDatabase}.
 */
export class SqliteAccountStore implements AccountStore {
  readonly #q: SqliteScope;

  constructor(db: SqliteDatabase) {
    this.#q = db.scope('accounts');
  }

  async addUser(user: UserRecord): Promise<void> {
    this.#q.read(() => {
      try {
        this.#q
          .stmt(
            `INSERT INTO users (name, role, status, password_hash, must_change_password, must_enrol_mfa,
             totp_secret_enc, totp_pending_enc, totp_pending_at, last_totp_step, created_at, updated_at,
             password_changed_at, last_login_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
          )
          .run(
            user.name,
            user.role,
            user.status,
            user.passwordHash,
            user.mustChangePassword ? 1 : 0,
            user.mustEnrolMfa ? 1 : 0,
            user.totpSecretEnc,
            user.totpPendingEnc,
            user.totpPendingAt,
            user.lastTotpStep,
            user.createdAt,
            user.updatedAt,
            user.passwordChangedAt,
            user.lastLoginAt,
          );
      } catch (err) {
        if (sqliteCode(err) === 'SQLITE_CONSTRAINT_PRIMARYKEY')
          throw new VigilError('VIGIL_ERR_USER_EXISTS', user.name);
        throw err;
      }
    });
  }

  async getUser(name: string): Promise<UserRecord | null> {
    const row = this.#q.one<UserRow>('SELECT * FROM users WHERE name = ?', name);
    return row ? toUser(row) : null;
  }

  async listUsers(): Promise<UserRecord[]> {
    return this.#q.read(() =>
      (this.#q.stmt('SELECT * FROM users ORDER BY name').all() as UserRow[]).map(toUser),
    );
  }

  async countUsers(): Promise<number> {
    return this.#q.read(() => this.#q.stmt('SELECT count(*) FROM users').pluck().get() as number);
  }

  async updateUser(name: string, patch: UserPatch): Promise<void> {
    const { set, values } = userPatchSql(patch);
    if (set === '') {
      if (!(await this.getUser(name))) throw new VigilError('VIGIL_ERR_NOT_FOUND', name);
      return;
    }
    const r = this.#q.read(() => this.#q.stmt(`UPDATE users SET ${set} WHERE name = ?`).run(...values, name));
    if (r.changes === 0) throw new VigilError('VIGIL_ERR_NOT_FOUND', name);
  }

  async advanceTotpStep(name: string, step: number, at: number): Promise<boolean> {
    const r = this.#q.read(() =>
      this.#q
        .stmt(
          'UPDATE users SET last_totp_step = ?, updated_at = ? WHERE name = ? AND coalesce(last_totp_step, -1) < ?',
        )
        .run(step, at, name, step),
    );
    return r.changes === 1;
  }

  async replaceRecoveryCodes(name: string, hashes: string[], at: number): Promise<void> {
    this.#q.write(() => {
      this.#q.stmt('DELETE FROM recovery_codes WHERE user_name = ?').run(name);
      const ins = this.#q.stmt(
        'INSERT INTO recovery_codes (user_name, code_hash, created_at, used_at) VALUES (?, ?, ?, NULL)',
      );
      for (const h of hashes) ins.run(name, h, at);
    });
  }

  async consumeRecoveryCode(name: string, hash: string, at: number): Promise<boolean> {
    const r = this.#q.read(() =>
      this.#q
        .stmt(
          'UPDATE recovery_codes SET used_at = ? WHERE user_name = ? AND code_hash = ? AND used_at IS NULL',
        )
        .run(at, name, hash),
    );
    return r.changes === 1;
  }

  async countUnusedRecoveryCodes(name: string): Promise<number> {
    return this.#q.read(
      () =>
        this.#q
          .stmt('SELECT count(*) FROM recovery_codes WHERE user_name = ? AND used_at IS NULL')
          .pluck()
          .get(name) as number,
    );
  }

  #insertSession(s: SessionRecord): void {
    this.#q
      .stmt(
        `INSERT INTO sessions (id_hash, user_name, state, auth_at, created_at, last_seen_at, address)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(s.idHash, s.userName, s.state, s.authAt, s.createdAt, s.lastSeenAt, s.address);
  }

  async addSession(session: SessionRecord): Promise<void> {
    this.#q.read(() => {
      try {
        this.#insertSession(session);
      } catch (err) {
        if (sqliteCode(err) === 'SQLITE_CONSTRAINT_FOREIGNKEY')
          throw new VigilError('VIGIL_ERR_NOT_FOUND', session.userName);
        throw err;
      }
    });
  }

  async getSession(idHash: string): Promise<SessionRecord | null> {
    const row = this.#q.one<SessionRow>('SELECT * FROM sessions WHERE id_hash = ?', idHash);
    return row ? toSession(row) : null;
  }

  async rotateSession(oldIdHash: string, next: SessionRecord): Promise<boolean> {
    return this.#q.write(() => {
      const r = this.#q.stmt('DELETE FROM sessions WHERE id_hash = ?').run(oldIdHash);
      if (r.changes === 0) return false;
      this.#insertSession(next);
      return true;
    });
  }

  async touchSession(idHash: string, at: number): Promise<void> {
    this.#q.read(() =>
      this.#q
        .stmt('UPDATE sessions SET last_seen_at = max(last_seen_at, ?) WHERE id_hash = ?')
        .run(at, idHash),
    );
  }

  async deleteSession(idHash: string): Promise<boolean> {
    return this.#q.read(
      () => this.#q.stmt('DELETE FROM sessions WHERE id_hash = ?').run(idHash).changes === 1,
    );
  }

  async deleteUserSessions(name: string): Promise<number> {
    return this.#q.read(() => this.#q.stmt('DELETE FROM sessions WHERE user_name = ?').run(name).changes);
  }

  async listSessions(name?: string): Promise<SessionRecord[]> {
    const rows = this.#q.read(
      () =>
        this.#q.select('sessions', [['user_name = ?', name]], 'ORDER BY created_at, id_hash') as SessionRow[],
    );
    return rows.map(toSession);
  }

  async deleteExpiredSessions(idleBefore: number, authBefore: number): Promise<number> {
    return this.#q.read(
      () =>
        this.#q.stmt('DELETE FROM sessions WHERE last_seen_at < ? OR auth_at < ?').run(idleBefore, authBefore)
          .changes,
    );
  }

  async addSignInFailure(f: SignInFailure): Promise<void> {
    this.#q.read(() =>
      this.#q
        .stmt('INSERT INTO sign_in_failures (account, address, at) VALUES (?, ?, ?)')
        .run(f.account, f.address, f.at),
    );
  }

  async listSignInFailures(q: SignInFailureQuery): Promise<number[]> {
    // One statement per filter shape, so that each uses its own index.
    const filters: [string, string][] = [];
    if (q.account !== undefined) filters.push(['account = ?', q.account]);
    if (q.address !== undefined) filters.push(['address = ?', q.address]);
    const where = filters.map((x) => `${x[0]} AND `).join('');
    return this.#q.read(
      () =>
        this.#q
          .stmt(`SELECT at FROM sign_in_failures WHERE ${where}at >= ? ORDER BY at DESC LIMIT ?`)
          .pluck()
          .all(...filters.map((x) => x[1]), q.since, clampLimit(q.limit)) as number[],
    );
  }

  async clearSignInFailures(account: string, address: string): Promise<void> {
    this.#q.read(() =>
      this.#q.stmt('DELETE FROM sign_in_failures WHERE account = ? AND address = ?').run(account, address),
    );
  }

  async pruneSignInFailures(before: number): Promise<number> {
    return this.#q.read(() => this.#q.stmt('DELETE FROM sign_in_failures WHERE at < ?').run(before).changes);
  }

  async addApiToken(token: ApiTokenRecord): Promise<void> {
    this.#q.read(() =>
      this.#q
        .stmt(
          `INSERT INTO api_tokens (id, secret_hash, label, role, created_by, owner, created_at, expires_at,
           revoked_at, last_used_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(
          token.id,
          token.secretHash,
          token.label,
          token.role,
          token.createdBy,
          token.owner,
          token.createdAt,
          token.expiresAt,
          token.revokedAt,
          token.lastUsedAt,
        ),
    );
  }

  async getApiToken(id: string): Promise<ApiTokenRecord | null> {
    const row = this.#q.one<ApiTokenRow>('SELECT * FROM api_tokens WHERE id = ?', id);
    return row ? toApiToken(row) : null;
  }

  async listApiTokens(): Promise<ApiTokenRecord[]> {
    return this.#q.read(() =>
      (this.#q.stmt('SELECT * FROM api_tokens ORDER BY created_at, id').all() as ApiTokenRow[]).map(
        toApiToken,
      ),
    );
  }

  async revokeApiToken(id: string, at: number): Promise<void> {
    this.#q.write(() => {
      const r = this.#q
        .stmt('UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL')
        .run(at, id);
      if (r.changes === 0 && !this.#q.stmt('SELECT 1 FROM api_tokens WHERE id = ?').get(id)) {
        throw new VigilError('VIGIL_ERR_NOT_FOUND', id);
      }
    });
  }

  async touchApiToken(id: string, at: number): Promise<void> {
    this.#q.read(() =>
      this.#q
        .stmt('UPDATE api_tokens SET last_used_at = ? WHERE id = ? AND coalesce(last_used_at, 0) < ?')
        .run(at, id, at),
    );
  }
}
