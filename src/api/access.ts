import type { Principal } from '../auth/principal.ts';
import { can, PERMISSIONS, type Permission } from '../auth/rbac.ts';
import type { ErrorCode } from '../errors.ts';

/**
 * What a route requires, declared in its `config.access`:
 * - `public`: nobody is authenticated (the authenticator is not even called): /healthz, sign-in.
 * - `signed-in`: any principal, even a session whose second factor is still pending (the routes
 *   that finish signing in: enrol or verify TOTP, change password, log out).
 * - a permission of the table in src/auth/rbac.ts, decided by its `can()`.
 */
export type RouteAccess = 'public' | 'signed-in' | Permission;

export function isRouteAccess(v: unknown): v is RouteAccess {
  return v === 'public' || v === 'signed-in' || (typeof v === 'string' && Object.hasOwn(PERMISSIONS, v));
}

/**
 * Decides a request: null when allowed, else the refusal code. Not signed in → 401 first; then
 * rbac's decision: `forbidden` → 403 VIGIL_ERR_FORBIDDEN, `mfa_required` → 403
 * VIGIL_ERR_MFA_REQUIRED.
 */
export function checkAccess(principal: Principal | null, access: RouteAccess): ErrorCode | null {
  if (access === 'public') return null;
  if (!principal) return 'VIGIL_ERR_AUTH';
  if (access === 'signed-in') return null;
  switch (can(principal, access)) {
    case 'ok':
      return null;
    case 'mfa_required':
      return 'VIGIL_ERR_MFA_REQUIRED';
    default:
      return 'VIGIL_ERR_FORBIDDEN';
  }
}

/** The audit actor for a principal: `user:<name>` or `token:<id>`. */
export function actorOf(principal: Principal): string {
  return `${principal.kind === 'token' ? 'token' : 'user'}:${principal.name}`;
}
