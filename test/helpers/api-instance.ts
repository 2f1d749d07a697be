/**
 * The set-up of the API suites: a whole Vigil serving the API only (no dashboard files) and its
 * first admin through the real first sign-in (one-time password, new password, TOTP).
 */
import type { ConfigInput } from '../../src/config/schema.ts';
import { type EnrolledUser, firstAdminPassword, firstSignIn } from './browser.ts';
import { type Instance, startInstance } from './instance.ts';

export async function startApiInstance(
  overrides: Partial<ConfigInput> = {},
): Promise<{ inst: Instance; admin: EnrolledUser }> {
  const inst = await startInstance(overrides, undefined, { webRoot: '/nonexistent-vigil-web' });
  const admin = await firstSignIn(inst, 'admin', 'admin', firstAdminPassword(inst));
  return { inst, admin };
}
