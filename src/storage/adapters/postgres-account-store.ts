import type pg from 'pg';
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
import type { ColumnCipher } from './postgres-cipher.ts';
import type { PostgresDatabase } from './postgres-database.ts';
import { pgCode, pgLimit, pgStoreError } from './postgres-store-rows.ts';

interface UserRow {
  name: string;
  role: UserRecord['role'];
  status: UserRecord['status'];
  password_hash: Buffer;
  must_change_password: boolean;
  must_enrol_mfa: boolean;
  totp_secret_enc: Buffer | null;
  totp_pending_enc: Buffer | null;
  totp_pending_at: number | null;
  last_totp_step: number | null;
  created_at: number;
  updated_at: number;
  password_changed_at: number;
  last_login_at: number | null;
}

/** Columns a patch may set; the encrypted ones are marked (a fixed whitelist: only these reach SQL). */
const USER_COLUMNS: Record<keyof UserPatch, [string, 'text' | 'bytes' | 'plain']> = {
  role: ['role', 'plain'],
  status: ['status', 'plain'],
  passwordHash: ['password_hash', 'text'],
  mustChangePassword: ['must_change_password', 'plain'],
  mustEnrolMfa: ['must_enrol_mfa', 'plain'],
  totpSecretEnc: ['totp_secret_enc', 'bytes'],
  totpPendingEnc: ['totp_pending_enc', 'bytes'],
  totpPendingAt: ['totp_pending_at', 'plain'],
  lastTotpStep: ['last_totp_step', 'plain'],
  updatedAt: ['updated_at', 'plain'],
  passwordChangedAt: ['password_changed_at', 'plain'],
  lastLoginAt: ['last_login_at', 'plain'],
};

function toUser(c: ColumnCipher, r: UserRow): UserRecord {
  return {
    name: r.name,
    role: r.role,
    status: r.status,
    passwordHash: c.decrypt('users.password_hash', r.name, r.password_hash).toString('utf8'),
    mustChangePassword: r.must_change_password,
    mustEnrolMfa: r.must_enrol_mfa,
    totpSecretEnc: c.decryptBytes('users.totp_secret_enc', r.name, r.totp_secret_enc),
    totpPendingEnc: c.decryptBytes('users.totp_pending_enc', r.name, r.totp_pending_enc),
    totpPendingAt: r.totp_pending_at,
    lastTotpStep: r.last_totp_step,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    passwordChangedAt: r.password_changed_at,
    lastLoginAt: r.last_login_at,
  };
}

const SESSION_COLUMNS = `id_hash AS "idHash", user_name AS "userName", state, auth_at AS "authAt",
  created_at AS "createdAt", last_seen_at AS "lastSeenAt", address`;
const TOKEN_COLUMNS = `id, secret_hash AS "secretHash", label, role, created_by AS "createdBy", owner,
  created_at AS "createdAt", expires_at AS "expiresAt", revoked_at AS "revokedAt", last_used_at AS "lastUsedAt"`;

/**
 * The `AccountStore` port on PostgreSQL. Password hashes and sealed TOTP secrets are
 * column-encrypted with the user's name as AAD. Sessions, failed sign-ins and tokens live here,
 * so every API process sees the same sessions, lockouts and throttles.
 */
export class PostgresAccountStore implements AccountStore {
  readonly #db: PostgresDatabase;

  constructor(db: PostgresDatabase) {
    this.#db = db;
  }

  async #q<R extends pg.QueryResultRow>(sql: string, params: unknown[] = []): Promise<pg.QueryResult<R>> {
    try {
      return await this.#db.pool.query<R>(sql, params);
    } catch (err) {
      throw pgStoreError(err, 'accounts');
    }
  }

  async addUser(u: UserRecord): Promise<void> {
    const c = this.#db.cipher;
    try {
      await this.#db.pool.query(
        `INSERT INTO users (name, role, status, password_hash, must_change_password, must_enrol_mfa, totp_secret_enc,
           totp_pending_enc, totp_pending_at, last_totp_step, created_at, updated_at, password_changed_at, last_login_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
        [
          u.name,
          u.role,
          u.status,
          c.encrypt('users.password_hash', u.name, Buffer.from(u.passwordHash, 'utf8')),
          u.mustChangePassword,
          u.mustEnrolMfa,
          c.encryptBytes('users.totp_secret_enc', u.name, u.totpSecretEnc),
          c.encryptBytes('users.totp_pending_enc', u.name, u.totpPendingEnc),
          u.totpPendingAt,
          u.lastTotpStep,
          u.createdAt,
          u.updatedAt,
          u.passwordChangedAt,
          u.lastLoginAt,
        ],
      );
    } catch (err) {
      if (pgCode(err) === '23505') throw new VigilError('VIGIL_ERR_USER_EXISTS', u.name);
      throw pgStoreError(err, 'accounts');
    }
  }

  async getUser(name: string): Promise<UserRecord | null> {
    const r = await this.#q<UserRow>('SELECT * FROM users WHERE name = $1', [name]);
    return r.rows[0] ? toUser(this.#db.cipher, r.rows[0]) : null;
  }

  async listUsers(): Promise<UserRecord[]> {
    const r = await this.#q<UserRow>('SELECT * FROM users ORDER BY name');
    return r.rows.map((u) => toUser(this.#db.cipher, u));
  }

  async countUsers(): Promise<number> {
    return (await this.#q<{ n: number }>('SELECT count(*)::bigint AS n FROM users')).rows[0]?.n ?? 0;
  }

  async updateUser(name: string, patch: UserPatch): Promise<void> {
    const set: string[] = [];
    const values: unknown[] = [name];
    for (const [field, value] of Object.entries(patch)) {
      if (value === undefined) continue;
      const col = USER_COLUMNS[field as keyof UserPatch];
      if (!col) throw new TypeError(`not a patchable user field: ${field}`);
      const [column, kind] = col;
      values.push(
        kind === 'text'
          ? this.#db.cipher.encrypt(`users.${column}`, name, Buffer.from(String(value), 'utf8'))
          : kind === 'bytes'
            ? this.#db.cipher.encryptBytes(`users.${column}`, name, value as Buffer | null)
            : value,
      );
      set.push(`${column} = $${values.length}`);
    }
    const r = await this.#q(
      set.length === 0
        ? 'SELECT 1 FROM users WHERE name = $1'
        : `UPDATE users SET ${set.join(', ')} WHERE name = $1`,
      values,
    );
    if (r.rowCount === 0) throw new VigilError('VIGIL_ERR_NOT_FOUND', name);
  }

  async advanceTotpStep(name: string, step: number, at: number): Promise<boolean> {
    const r = await this.#q(
      'UPDATE users SET last_totp_step = $2, updated_at = $3 WHERE name = $1 AND coalesce(last_totp_step, -1) < $2',
      [name, step, at],
    );
    return r.rowCount === 1;
  }

  async replaceRecoveryCodes(name: string, hashes: string[], at: number): Promise<void> {
    try {
      await this.#db.tx(async ({ client }) => {
        await client.query('DELETE FROM recovery_codes WHERE user_name = $1', [name]);
        await client.query(
          `INSERT INTO recovery_codes (user_name, code_hash, created_at, used_at)
           SELECT $1, h, $3, NULL FROM unnest($2::text[]) AS h`,
          [name, hashes, at],
        );
      });
    } catch (err) {
      throw pgStoreError(err, 'accounts');
    }
  }

  async consumeRecoveryCode(name: string, hash: string, at: number): Promise<boolean> {
    const r = await this.#q(
      'UPDATE recovery_codes SET used_at = $3 WHERE user_name = $1 AND code_hash = $2 AND used_at IS NULL',
      [name, hash, at],
    );
    return r.rowCount === 1;
  }

  async countUnusedRecoveryCodes(name: string): Promise<number> {
    const r = await this.#q<{ n: number }>(
      'SELECT count(*)::bigint AS n FROM recovery_codes WHERE user_name = $1 AND used_at IS NULL',
      [name],
    );
    return r.rows[0]?.n ?? 0;
  }

  #insertSession(c: pg.ClientBase, s: SessionRecord) {
    return c.query(
      `INSERT INTO sessions (id_hash, user_name, state, auth_at, created_at, last_seen_at, address)
       VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      [s.idHash, s.userName, s.state, s.authAt, s.createdAt, s.lastSeenAt, s.address],
    );
  }

  async addSession(session: SessionRecord): Promise<void> {
    try {
      await this.#db.pool.withClient((c) => this.#insertSession(c, session));
    } catch (err) {
      if (pgCode(err) === '23503') throw new VigilError('VIGIL_ERR_NOT_FOUND', session.userName);
      throw pgStoreError(err, 'accounts');
    }
  }

  async getSession(idHash: string): Promise<SessionRecord | null> {
    const r = await this.#q<SessionRecord>(`SELECT ${SESSION_COLUMNS} FROM sessions WHERE id_hash = $1`, [
      idHash,
    ]);
    return r.rows[0] ?? null;
  }

  async rotateSession(oldIdHash: string, next: SessionRecord): Promise<boolean> {
    try {
      return await this.#db.tx(async ({ client }) => {
        const r = await client.query('DELETE FROM sessions WHERE id_hash = $1', [oldIdHash]);
        if (r.rowCount === 0) return false;
        await this.#insertSession(client, next);
        return true;
      });
    } catch (err) {
      throw pgStoreError(err, 'accounts');
    }
  }

  async touchSession(idHash: string, at: number): Promise<void> {
    await this.#q('UPDATE sessions SET last_seen_at = greatest(last_seen_at, $2) WHERE id_hash = $1', [
      idHash,
      at,
    ]);
  }

  async deleteSession(idHash: string): Promise<boolean> {
    return (await this.#q('DELETE FROM sessions WHERE id_hash = $1', [idHash])).rowCount === 1;
  }

  async deleteUserSessions(name: string): Promise<number> {
    return (await this.#q('DELETE FROM sessions WHERE user_name = $1', [name])).rowCount ?? 0;
  }

  async listSessions(name?: string): Promise<SessionRecord[]> {
    const r = await this.#q<SessionRecord>(
      `SELECT ${SESSION_COLUMNS} FROM sessions WHERE $1::text IS NULL OR user_name = $1 ORDER BY created_at, id_hash`,
      [name ?? null],
    );
    return r.rows;
  }

  async deleteExpiredSessions(idleBefore: number, authBefore: number): Promise<number> {
    return (
      (
        await this.#q('DELETE FROM sessions WHERE last_seen_at < $1 OR auth_at < $2', [
          idleBefore,
          authBefore,
        ])
      ).rowCount ?? 0
    );
  }

  async addSignInFailure(f: SignInFailure): Promise<void> {
    await this.#q('INSERT INTO sign_in_failures (account, address, at) VALUES ($1, $2, $3)', [
      f.account,
      f.address,
      f.at,
    ]);
  }

  async listSignInFailures(q: SignInFailureQuery): Promise<number[]> {
    // One statement per filter shape, so that each uses its own index.
    const where: string[] = [];
    const args: unknown[] = [];
    if (q.account !== undefined) {
      args.push(q.account);
      where.push(`account = $${args.length}`);
    }
    if (q.address !== undefined) {
      args.push(q.address);
      where.push(`address = $${args.length}`);
    }
    args.push(q.since, pgLimit(q.limit));
    where.push(`at >= $${args.length - 1}`);
    const r = await this.#q<{ at: number }>(
      `SELECT at FROM sign_in_failures WHERE ${where.join(' AND ')} ORDER BY at DESC LIMIT $${args.length}`,
      args,
    );
    return r.rows.map((x) => x.at);
  }

  async clearSignInFailures(account: string, address: string): Promise<void> {
    await this.#q('DELETE FROM sign_in_failures WHERE account = $1 AND address = $2', [account, address]);
  }

  async pruneSignInFailures(before: number): Promise<number> {
    return (await this.#q('DELETE FROM sign_in_failures WHERE at < $1', [before])).rowCount ?? 0;
  }

  async addApiToken(t: ApiTokenRecord): Promise<void> {
    await this.#q(
      `INSERT INTO api_tokens (id, secret_hash, label, role, created_by, owner, created_at, expires_at, revoked_at,
         last_used_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
      [
        t.id,
        t.secretHash,
        t.label,
        t.role,
        t.createdBy,
        t.owner,
        t.createdAt,
        t.expiresAt,
        t.revokedAt,
        t.lastUsedAt,
      ],
    );
  }

  async getApiToken(id: string): Promise<ApiTokenRecord | null> {
    return (
      (await this.#q<ApiTokenRecord>(`SELECT ${TOKEN_COLUMNS} FROM api_tokens WHERE id = $1`, [id]))
        .rows[0] ?? null
    );
  }

  async listApiTokens(): Promise<ApiTokenRecord[]> {
    return (await this.#q<ApiTokenRecord>(`SELECT ${TOKEN_COLUMNS} FROM api_tokens ORDER BY created_at, id`))
      .rows;
  }

  async revokeApiToken(id: string, at: number): Promise<void> {
    const r = await this.#q('UPDATE api_tokens SET revoked_at = coalesce(revoked_at, $2) WHERE id = $1', [
      id,
      at,
    ]);
    if (r.rowCount === 0) throw new VigilError('VIGIL_ERR_NOT_FOUND', id);
  }

  async touchApiToken(id: string, at: number): Promise<void> {
    await this.#q(
      'UPDATE api_tokens SET last_used_at = $2 WHERE id = $1 AND coalesce(last_used_at, 0) < $2',
      [id, at],
    );
  }
}
