import { AccountService } from './accounts.ts';
import { ApiTokenService } from './api-tokens.ts';
import type { AuthDeps } from './auth-deps.ts';
import { SessionAuthenticator } from './authenticator.ts';
import type { LockoutPolicy } from './lockout.ts';
import { SessionManager, type SessionTimeouts } from './sessions.ts';

/** Everything the HTTP layer needs from the auth module, wired over one store. */
export interface AuthServices {
  accounts: AccountService;
  sessions: SessionManager;
  tokens: ApiTokenService;
  authenticator: SessionAuthenticator;
}

/**
 * Builds the auth services. With a `VigilContext`:
 * `createAuthServices({ store: ctx.accountStore, audit: ctx.store, master: ctx.master, clock: ctx.clock })`.
 */
export function createAuthServices(
  deps: AuthDeps & { sessionTimeouts?: Partial<SessionTimeouts>; lockout?: Partial<LockoutPolicy> },
): AuthServices {
  const sessions = new SessionManager({
    store: deps.store,
    clock: deps.clock,
    ...(deps.random ? { random: deps.random } : {}),
    ...(deps.sessionTimeouts ? { timeouts: deps.sessionTimeouts } : {}),
  });
  const tokens = new ApiTokenService(deps);
  const accounts = new AccountService({ ...deps, sessions });
  const authenticator = new SessionAuthenticator({ store: deps.store, sessions, tokens });
  return { accounts, sessions, tokens, authenticator };
}
