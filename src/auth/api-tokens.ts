import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { VigilError } from '../errors.ts';
import type { ApiTokenRecord } from './account-store.ts';
import type { AuthDeps } from './auth-deps.ts';
import { type Principal, ROLES, type Role } from './principal.ts';
import { roleCanChange, roleIsAdminCapable, roleWithin } from './rbac.ts';

/**
 * API token format: `vgl_<id>_<secret>`, id = 8 random bytes in hex (public, names the row),
 * secret = 32 random bytes base64url (only its SHA-256 is stored; with 256 bits of entropy a
 * plain hash is enough: there is nothing to guess offline). The prefix lets secret scanners
 * recognise a leaked token.
 */
export const API_TOKEN_RE = /^vgl_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/;

const DAY_MS = 86_400_000;

/** Default lifetime of a token (shortened to its role's maximum). */
export const API_TOKEN_DEFAULT_TTL_MS = 90 * DAY_MS;
/** Longest lifetime of any token (read-only roles). */
export const API_TOKEN_MAX_TTL_MS = 366 * DAY_MS;

/**
 * Longest lifetime by what a token can do: the more it can change, the sooner it must be renewed
 * (a leaked token is a standing credential). Admin: 30 days; roles that change something
 * (operator, quality, receiver): 90 days; read-only roles (viewer, auditor): 366 days. Enforced at
 * creation and again at every use (`createdAt + max`), so older, longer tokens end early too.
 */
export function maxTokenTtlMs(role: Role): number {
  if (roleIsAdminCapable(role)) return 30 * DAY_MS;
  return roleCanChange(role) ? 90 * DAY_MS : API_TOKEN_MAX_TTL_MS;
}

const LABEL_RE = /^[\p{L}\p{N} ._:/@-]{1,64}$/u;
/** last_used_at is written at most once a minute per token. */
const TOUCH_INTERVAL_MS = 60_000;

const sha256 = (s: string) => createHash('sha256').update(s).digest('base64url');

/** The stored expiry, or earlier when the role's maximum lifetime (from creation) ends first. */
const effectiveExpiry = (t: Pick<ApiTokenRecord, 'createdAt' | 'expiresAt' | 'role'>) =>
  Math.min(t.expiresAt, t.createdAt + maxTokenTtlMs(t.role));

/** A token as listed (never the secret). */
export interface ApiTokenView {
  id: string;
  label: string;
  role: Role;
  createdBy: string;
  /** The user it belongs to (null: a token from before owners, revoked by the migration). */
  owner: string | null;
  createdAt: number;
  /** When it stops working: the stored expiry, or earlier when its role's maximum lifetime says so. */
  expiresAt: number;
  revokedAt: number | null;
  lastUsedAt: number | null;
  status: 'active' | 'expired' | 'revoked';
}

/** Options of {@link ApiTokenService.create}. */
export interface CreateApiTokenInput {
  /** What the token is for ("prometheus"): 1-64 letters, digits, space and `._:/@-`. */
  label: string;
  /** The role the token acts as. */
  role: Role;
  /** Lifetime; default 90 days (less when the role's maximum is shorter), at most {@link maxTokenTtlMs}. */
  ttlMs?: number;
  /**
   * The user the token belongs to: an active account whose role holds every permission of
   * `role`. The token stops working when this user is disabled, and never does more than this
   * user's current role allows.
   */
  owner: string;
  /** Audit actor (`user:<name>`). */
  actor: string;
}

/**
 * Machine-client tokens: created by an admin for themselves, scoped to one role, expiring, shown
 * once. A token belongs to its creator: refused while the creator is disabled, capped at the
 * creator's current role (rbac.ts `can`), never allowed user or token management or an
 * e-signature, and living at most {@link maxTokenTtlMs} of its role.
 */
export class ApiTokenService {
  readonly #deps: AuthDeps;
  readonly #random: (n: number) => Buffer;

  constructor(deps: AuthDeps) {
    this.#deps = deps;
    this.#random = deps.random ?? randomBytes;
  }

  #view(t: ApiTokenRecord, now: number): ApiTokenView {
    const { secretHash: _hidden, ...rest } = t;
    const expiresAt = effectiveExpiry(t);
    const status = t.revokedAt !== null ? 'revoked' : expiresAt <= now ? 'expired' : 'active';
    return { ...rest, expiresAt, status };
  }

  /** Creates a token; `token` is the only time the full value exists outside the client. */
  async create(input: CreateApiTokenInput): Promise<{ token: string; view: ApiTokenView }> {
    if (!LABEL_RE.test(input.label)) {
      throw new VigilError('VIGIL_ERR_USAGE', 'label must be 1-64 letters, digits, spaces or ._:/@-');
    }
    if (!(ROLES as readonly string[]).includes(input.role)) {
      throw new VigilError('VIGIL_ERR_USAGE', `role must be one of ${ROLES.join(', ')}`);
    }
    const max = maxTokenTtlMs(input.role);
    const ttl = input.ttlMs ?? Math.min(API_TOKEN_DEFAULT_TTL_MS, max);
    if (!Number.isSafeInteger(ttl) || ttl < 60_000 || ttl > max) {
      throw new VigilError(
        'VIGIL_ERR_USAGE',
        `a ${input.role} token lives between 1 minute and ${max / DAY_MS} days`,
      );
    }
    const owner = await this.#deps.store.getUser(input.owner);
    if (owner?.status !== 'active') {
      throw new VigilError('VIGIL_ERR_USAGE', 'a token belongs to an active user');
    }
    if (!roleWithin(input.role, owner.role)) {
      throw new VigilError('VIGIL_ERR_FORBIDDEN', `a ${owner.role} cannot create a ${input.role} token`);
    }
    const now = this.#deps.clock();
    const id = this.#random(8).toString('hex');
    const secret = this.#random(32).toString('base64url');
    const rec: ApiTokenRecord = {
      id,
      secretHash: sha256(secret),
      label: input.label,
      role: input.role,
      createdBy: input.actor,
      owner: owner.name,
      createdAt: now,
      expiresAt: now + ttl,
      revokedAt: null,
      lastUsedAt: null,
    };
    await this.#deps.store.addApiToken(rec);
    await this.#deps.audit.appendAudit({
      ts: now,
      actor: input.actor,
      action: 'token.create',
      object: id,
      detail: { label: rec.label, role: rec.role, owner: owner.name, expiresAt: rec.expiresAt },
    });
    return { token: `vgl_${id}_${secret}`, view: this.#view(rec, now) };
  }

  /** Every token (active, expired and revoked), oldest first. */
  async list(): Promise<ApiTokenView[]> {
    const now = this.#deps.clock();
    return (await this.#deps.store.listApiTokens()).map((t) => this.#view(t, now));
  }

  /** Revokes a token (idempotent); VIGIL_ERR_NOT_FOUND for an unknown id. */
  async revoke(id: string, actor: string): Promise<void> {
    const now = this.#deps.clock();
    await this.#deps.store.revokeApiToken(id, now);
    await this.#deps.audit.appendAudit({ ts: now, actor, action: 'token.revoke', object: id, detail: {} });
  }

  /**
   * The principal for a bearer token value (without the `Bearer ` prefix), or null when it is
   * malformed, unknown, revoked, expired (also by its role's maximum lifetime), its secret does
   * not match (compared in constant time), or its owner is missing or not active. The principal
   * carries the owner's current role, which caps what the token may do (rbac.ts `can`).
   */
  async authenticate(token: string): Promise<Principal | null> {
    const m = API_TOKEN_RE.exec(token);
    if (!m) return null;
    const [, id = '', secret = ''] = m;
    const rec = await this.#deps.store.getApiToken(id);
    if (!rec) return null;
    const given = Buffer.from(sha256(secret));
    const stored = Buffer.from(rec.secretHash);
    const ok = given.length === stored.length && timingSafeEqual(given, stored);
    const now = this.#deps.clock();
    if (!ok || rec.revokedAt !== null || effectiveExpiry(rec) <= now || rec.owner === null) return null;
    const owner = await this.#deps.store.getUser(rec.owner);
    if (owner?.status !== 'active') return null;
    if (rec.lastUsedAt === null || now - rec.lastUsedAt >= TOUCH_INTERVAL_MS) {
      await this.#deps.store.touchApiToken(id, now);
    }
    return {
      kind: 'token',
      name: id,
      role: rec.role,
      mfa: true,
      owner: { name: owner.name, role: owner.role },
    };
  }
}
