import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { VigilError } from '../errors.ts';
import type { ApiTokenRecord } from './account-store.ts';
import type { AuthDeps } from './auth-deps.ts';
import { type Principal, ROLES, type Role } from './principal.ts';

/**
 * API token format: `vgl_<id>_<secret>`, id = 8 random bytes in hex (public, names the row),
 * secret = 32 random bytes base64url (only its SHA-256 is stored; with 256 bits of entropy a
 * plain hash is enough: there is nothing to guess offline). The prefix lets secret scanners
 * recognise a leaked token.
 */
export const API_TOKEN_RE = /^vgl_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/;

/** Default and longest lifetimes of a token. */
export const API_TOKEN_DEFAULT_TTL_MS = 90 * 86_400_000;
export const API_TOKEN_MAX_TTL_MS = 366 * 86_400_000;

const LABEL_RE = /^[\p{L}\p{N} ._:/@-]{1,64}$/u;
/** last_used_at is written at most once a minute per token. */
const TOUCH_INTERVAL_MS = 60_000;

const sha256 = (s: string) => createHash('sha256').update(s).digest('base64url');

/** A token as listed (never the secret). */
export interface ApiTokenView {
  id: string;
  label: string;
  role: Role;
  createdBy: string;
  createdAt: number;
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
  /** Lifetime; default 90 days, at most 366 days. */
  ttlMs?: number;
  /** Audit actor (`user:<name>`, `cli`). */
  actor: string;
}

/** Machine-client tokens: created by an admin, scoped to one role, expiring, shown once. */
export class ApiTokenService {
  readonly #deps: AuthDeps;
  readonly #random: (n: number) => Buffer;

  constructor(deps: AuthDeps) {
    this.#deps = deps;
    this.#random = deps.random ?? randomBytes;
  }

  #view(t: ApiTokenRecord, now: number): ApiTokenView {
    const { secretHash: _hidden, ...rest } = t;
    const status = t.revokedAt !== null ? 'revoked' : t.expiresAt <= now ? 'expired' : 'active';
    return { ...rest, status };
  }

  /** Creates a token; `token` is the only time the full value exists outside the client. */
  async create(input: CreateApiTokenInput): Promise<{ token: string; view: ApiTokenView }> {
    if (!LABEL_RE.test(input.label)) {
      throw new VigilError('VIGIL_ERR_USAGE', 'label must be 1-64 letters, digits, spaces or ._:/@-');
    }
    if (!(ROLES as readonly string[]).includes(input.role)) {
      throw new VigilError('VIGIL_ERR_USAGE', `role must be one of ${ROLES.join(', ')}`);
    }
    const ttl = input.ttlMs ?? API_TOKEN_DEFAULT_TTL_MS;
    if (!Number.isSafeInteger(ttl) || ttl < 60_000 || ttl > API_TOKEN_MAX_TTL_MS) {
      throw new VigilError('VIGIL_ERR_USAGE', 'token lifetime must be between 1 minute and 366 days');
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
      detail: { label: rec.label, role: rec.role, expiresAt: rec.expiresAt },
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
   * malformed, unknown, revoked, expired or its secret does not match (compared in constant time).
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
    if (!ok || rec.revokedAt !== null || rec.expiresAt <= now) return null;
    if (rec.lastUsedAt === null || now - rec.lastUsedAt >= TOUCH_INTERVAL_MS) {
      await this.#deps.store.touchApiToken(id, now);
    }
    return { kind: 'token', name: id, role: rec.role, mfa: true };
  }
}
