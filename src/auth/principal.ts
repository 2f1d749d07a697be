/** Roles of DESIGN.md §6. */
export const ROLES = ['admin', 'operator', 'quality', 'receiver', 'viewer', 'auditor'] as const;
export type Role = (typeof ROLES)[number];

/**
 * Who is calling the API: a signed-in user (session cookie) or a machine client (API token).
 * `mfa` is true once the second factor was completed in this session (true for tokens, which an
 * MFA-verified admin created; yet a token never gets an interactive permission, see rbac.ts).
 */
export interface Principal {
  kind: 'user' | 'token';
  /** User name, or token id. */
  name: string;
  role: Role;
  mfa: boolean;
  /** Server-side session id (users only); never the cookie value itself in logs. */
  sessionId?: string;
  /**
   * Tokens only: the user the token belongs to and that user's CURRENT role. A token acts with
   * the permissions both roles hold, so it can never do more than its owner can now.
   */
  owner?: { name: string; role: Role };
}

/**
 * The port the HTTP layer uses to authenticate a request. The auth module implements it; the API
 * server only calls it (from an onRequest hook) and enforces roles with the permission table.
 */
export interface Authenticator {
  /** From the raw Cookie and Authorization headers; null when not signed in or invalid/expired. */
  authenticate(headers: {
    cookie?: string | undefined;
    authorization?: string | undefined;
  }): Promise<Principal | null>;
}
