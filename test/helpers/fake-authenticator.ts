import type { Authenticator, Principal, Role } from '../../src/auth/principal.ts';
import { ROLES } from '../../src/auth/principal.ts';

/**
 * A stand-in for the accounts module in API tests: `Cookie: fake=<role>.<1|0>` is a user session
 * of `<role>` with MFA done (1) or pending (0); `Authorization: Bearer fake.<role>` is an API token
 * of that role, owned by an admin (so the token's own role is what limits it). Anything else is
 * nobody.
 */
export const fakeAuthenticator: Authenticator = {
  authenticate: async ({ cookie, authorization }): Promise<Principal | null> => {
    const bearer = /^Bearer fake\.([a-z]+)$/.exec(authorization ?? '');
    if (bearer) {
      const role = bearer[1] as Role;
      return ROLES.includes(role)
        ? {
            kind: 'token',
            name: `tok-${role}`,
            role,
            mfa: true,
            owner: { name: 'fake-admin', role: 'admin' },
          }
        : null;
    }
    const session = /(?:^|;\s*)fake=([a-z]+)\.([01])(?:;|$)/.exec(cookie ?? '');
    if (session) {
      const role = session[1] as Role;
      if (!ROLES.includes(role)) return null;
      return { kind: 'user', name: `${role}-user`, role, mfa: session[2] === '1', sessionId: 's1' };
    }
    return null;
  },
};

/** Cookie header of a fake session. */
export function sessionOf(role: Role, mfa = true): { cookie: string } {
  return { cookie: `fake=${role}.${mfa ? 1 : 0}` };
}

/** Authorization header of a fake API token. */
export function tokenOf(role: Role): { authorization: string } {
  return { authorization: `Bearer fake.${role}` };
}
