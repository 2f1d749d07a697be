import { FIRST_ADMIN } from '../auth/accounts.ts';
import { createAuthServices } from '../auth/auth-services.ts';
import type { VigilContext } from '../data-dir/context.ts';

const RULE = '='.repeat(72);

/**
 * The one-time password of the first admin, as one block of its own: written in one piece, set
 * apart by blank lines and rules, so that it is never lost between log lines.
 */
export function firstAdminNotice(
  admin: { name: string; oneTimePassword: string },
  signInUrl?: string,
): string {
  return [
    '',
    RULE,
    `  first sign-in: user ${admin.name}, one-time password ${admin.oneTimePassword}`,
    '  shown once, stored nowhere in clear. At the first sign-in the password must be changed',
    `  and TOTP enrolled${signInUrl ? ` (${signInUrl})` : ''}. Lost it? vigil user reset-password ${admin.name}`,
    RULE,
    '',
  ].join('\n');
}

/**
 * When the first admin exists but never signed in (its password shown by an earlier start or
 * `vigil init`, maybe lost with a start that failed), how to get a new one; otherwise null.
 */
export async function pendingFirstAdminHint(ctx: VigilContext): Promise<string | null> {
  const { accounts } = createAuthServices({
    store: ctx.accountStore,
    audit: ctx.store,
    master: ctx.master,
    clock: ctx.clock,
  });
  const admin = await accounts.getUser(FIRST_ADMIN);
  if (!admin || admin.lastLoginAt !== null || !admin.mustChangePassword || admin.status !== 'active')
    return null;
  return `  user ${FIRST_ADMIN} has not signed in yet: its one-time password was shown when it was created; lost it? vigil user reset-password ${FIRST_ADMIN}`;
}
