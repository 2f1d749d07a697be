import { createHash, randomBytes } from 'node:crypto';
import { VigilError } from '../errors.ts';
import type { AccountStore, SessionRecord, SessionState } from './account-store.ts';

/**
 * Session cookie name. The `__Host-` prefix makes browsers accept it only with `Secure`,
 * `Path=/` and no `Domain` (RFC 6265bis §4.1.3.2), so a sibling host cannot plant one.
 */
export const SESSION_COOKIE = '__Host-vigil_session';

/** Session lifetimes (OWASP Session Management Cheat Sheet: idle and absolute timeouts). */
export interface SessionTimeouts {
  /** Ends a session with no authenticated request for this long. Default 30 min. */
  idleMs: number;
  /** Ends a session this long after its sign-in started, however active. Default 12 h. */
  absoluteMs: number;
  /** Ends a half-authenticated (`password_ok`) session this long after sign-in started. Default 10 min. */
  pendingMs: number;
}

export const DEFAULT_SESSION_TIMEOUTS: SessionTimeouts = {
  idleMs: 30 * 60_000,
  absoluteMs: 12 * 3_600_000,
  pendingMs: 10 * 60_000,
};

/** last_seen_at is written at most this often per session (every request would be a write). */
const TOUCH_INTERVAL_MS = 5_000;
/** Expired rows are swept at most this often (on issue). */
const SWEEP_INTERVAL_MS = 5 * 60_000;

const TOKEN_RE = /^[A-Za-z0-9_-]{43}$/;

/** The stored form of a session id: SHA-256, base64url (the id has 256 bits, so no key is needed). */
export function hashSessionId(token: string): string {
  return createHash('sha256').update(token).digest('base64url');
}

/** `Set-Cookie` value that sets the session cookie (a browser-session cookie: no Max-Age). */
export function sessionCookie(token: string): string {
  return `${SESSION_COOKIE}=${token}; Path=/; Secure; HttpOnly; SameSite=Strict`;
}

/** `Set-Cookie` value that deletes the session cookie (logout, expired session). */
export function clearSessionCookie(): string {
  return `${SESSION_COOKIE}=; Path=/; Secure; HttpOnly; SameSite=Strict; Max-Age=0`;
}

/**
 * The session token from a raw `Cookie` header, or null. Only a well-formed value (43 base64url
 * characters) is returned; with several cookies of that name the first well-formed one wins.
 */
export function readSessionCookie(cookieHeader: string | undefined): string | null {
  if (!cookieHeader || cookieHeader.length > 8192) return null;
  for (const part of cookieHeader.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() !== SESSION_COOKIE) continue;
    const value = part.slice(eq + 1).trim();
    if (TOKEN_RE.test(value)) return value;
  }
  return null;
}

/** A session just issued: `token` goes into the cookie and nowhere else. */
export interface IssuedSession {
  token: string;
  session: SessionRecord;
}

/** Dependencies of {@link SessionManager}. */
export interface SessionManagerDeps {
  store: AccountStore;
  clock: () => number;
  random?: (n: number) => Buffer;
  timeouts?: Partial<SessionTimeouts>;
}

/**
 * Server-side sessions. The cookie carries 32 random bytes; the store keeps only their SHA-256,
 * so the session table cannot be replayed. A new id is issued at sign-in and again after the
 * second factor ({@link rotate}: the old row is deleted), so an id planted before sign-in
 * (session fixation) is worthless.
 */
export class SessionManager {
  readonly timeouts: SessionTimeouts;
  readonly #store: AccountStore;
  readonly #clock: () => number;
  readonly #random: (n: number) => Buffer;
  #lastSweep = 0;

  constructor(deps: SessionManagerDeps) {
    this.#store = deps.store;
    this.#clock = deps.clock;
    this.#random = deps.random ?? randomBytes;
    this.timeouts = { ...DEFAULT_SESSION_TIMEOUTS, ...deps.timeouts };
  }

  #newToken(): string {
    const bytes = this.#random(32);
    if (bytes.length !== 32) throw new Error('random source returned a short buffer');
    return bytes.toString('base64url');
  }

  /** Starts a session for `userName` (at sign-in: state `password_ok`). */
  async issue(
    userName: string,
    state: SessionState,
    opts: { address?: string | null; authAt?: number } = {},
  ): Promise<IssuedSession> {
    const now = this.#clock();
    await this.#maybeSweep(now);
    const token = this.#newToken();
    const session: SessionRecord = {
      idHash: hashSessionId(token),
      userName,
      state,
      authAt: opts.authAt ?? now,
      createdAt: now,
      lastSeenAt: now,
      address: opts.address ?? null,
    };
    await this.#store.addSession(session);
    return { token, session };
  }

  /**
   * Replaces session `idHash` by a new id in `state`, keeping the user, address and sign-in time
   * (so the absolute timeout still counts from sign-in). Throws VIGIL_ERR_SESSION when the old
   * session is gone (ended or expired meanwhile).
   */
  async rotate(idHash: string, state: SessionState): Promise<IssuedSession> {
    const old = await this.#store.getSession(idHash);
    if (!old) throw new VigilError('VIGIL_ERR_SESSION', 'session ended');
    const now = this.#clock();
    const token = this.#newToken();
    const session: SessionRecord = {
      ...old,
      idHash: hashSessionId(token),
      state,
      createdAt: now,
      lastSeenAt: now,
    };
    if (!(await this.#store.rotateSession(idHash, session)))
      throw new VigilError('VIGIL_ERR_SESSION', 'session ended');
    return { token, session };
  }

  /** Why a session is no longer valid at `now`, or null while it is. */
  expiry(s: SessionRecord, now: number): 'idle' | 'absolute' | 'pending' | null {
    if (now - s.authAt >= this.timeouts.absoluteMs) return 'absolute';
    if (s.state === 'password_ok' && now - s.authAt >= this.timeouts.pendingMs) return 'pending';
    if (now - s.lastSeenAt >= this.timeouts.idleMs) return 'idle';
    return null;
  }

  /**
   * The live session for a cookie value, or null (unknown, malformed or expired: an expired row
   * is deleted). Counts as activity: `lastSeenAt` moves forward (written at most every 5 s).
   */
  async resolve(token: string): Promise<SessionRecord | null> {
    if (!TOKEN_RE.test(token)) return null;
    return this.resolveId(hashSessionId(token));
  }

  /** Like {@link resolve}, by stored id (`Principal.sessionId`). */
  async resolveId(idHash: string): Promise<SessionRecord | null> {
    const s = await this.#store.getSession(idHash);
    if (!s) return null;
    const now = this.#clock();
    if (this.expiry(s, now)) {
      await this.#store.deleteSession(idHash);
      return null;
    }
    if (now - s.lastSeenAt >= TOUCH_INTERVAL_MS) {
      await this.#store.touchSession(idHash, now);
      s.lastSeenAt = now;
    }
    return s;
  }

  /** Ends one session (logout); false when it did not exist. */
  end(idHash: string): Promise<boolean> {
    return this.#store.deleteSession(idHash);
  }

  /** Ends every session of a user (password change, disable, admin action); returns how many. */
  endAll(userName: string): Promise<number> {
    return this.#store.deleteUserSessions(userName);
  }

  /** Live sessions, of one user or all (for the admin page); expired rows are swept first. */
  async list(userName?: string): Promise<SessionRecord[]> {
    await this.sweep();
    return this.#store.listSessions(userName);
  }

  /** Deletes expired sessions; returns how many. Half-authenticated ones expire after `pendingMs`. */
  async sweep(): Promise<number> {
    const now = this.#clock();
    this.#lastSweep = now;
    let n = await this.#store.deleteExpiredSessions(
      now - this.timeouts.idleMs,
      now - this.timeouts.absoluteMs,
    );
    for (const s of await this.#store.listSessions()) {
      if (this.expiry(s, now)) n += (await this.#store.deleteSession(s.idHash)) ? 1 : 0;
    }
    return n;
  }

  async #maybeSweep(now: number): Promise<void> {
    if (now - this.#lastSweep >= SWEEP_INTERVAL_MS) await this.sweep();
  }
}
