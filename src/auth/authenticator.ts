import type { AccountStore } from './account-store.ts';
import type { ApiTokenService } from './api-tokens.ts';
import type { Authenticator, Principal } from './principal.ts';
import { readSessionCookie, type SessionManager } from './sessions.ts';

/** Dependencies of {@link SessionAuthenticator}. */
export interface SessionAuthenticatorDeps {
  store: AccountStore;
  sessions: SessionManager;
  tokens: ApiTokenService;
}

/**
 * The `Authenticator` port: an `Authorization: Bearer vgl_<id>_<secret>` header is an API token
 * (and only that is looked at: a bad token is not rescued by a cookie); otherwise the
 * `__Host-vigil_session` cookie is a server-side session. The role always comes from the
 * current user row, so a role change or a disable takes effect on the next request.
 */
export class SessionAuthenticator implements Authenticator {
  readonly #d: SessionAuthenticatorDeps;

  constructor(deps: SessionAuthenticatorDeps) {
    this.#d = deps;
  }

  async authenticate(headers: {
    cookie?: string | undefined;
    authorization?: string | undefined;
  }): Promise<Principal | null> {
    if (headers.authorization !== undefined) {
      // RFC 6750 §2.1: `Bearer` is case-insensitive, one space, then the token.
      const m = /^bearer +(\S+)\s*$/i.exec(headers.authorization);
      return m?.[1] ? this.#d.tokens.authenticate(m[1]) : null;
    }
    const token = readSessionCookie(headers.cookie);
    if (!token) return null;
    const session = await this.#d.sessions.resolve(token);
    if (!session) return null;
    const user = await this.#d.store.getUser(session.userName);
    if (user?.status !== 'active') {
      await this.#d.sessions.end(session.idHash);
      return null;
    }
    return {
      kind: 'user',
      name: user.name,
      role: user.role,
      mfa: session.state === 'mfa_ok',
      sessionId: session.idHash,
    };
  }
}
