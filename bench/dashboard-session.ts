import { randomBytes } from 'node:crypto';
import type { Principal, Role } from '../src/auth/principal.ts';
import { SESSION_COOKIE } from '../src/auth/sessions.ts';
import { base32Decode, totpCode } from '../src/auth/totp.ts';
import type { VigilFixture } from './vigil-fixture.ts';

/**
 * A dashboard user's fully signed-in session on the fixture, made through the AccountService the
 * way a first sign-in goes (one-time password -> new password -> TOTP enrolment confirmed with a
 * code computed here), so the live feed sees an ordinary browser session. Returns the `Cookie`
 * header value; the password never leaves this function.
 */
export async function dashboardSession(
  fx: VigilFixture,
  name: string,
  role: Role = 'viewer',
): Promise<string> {
  const accounts = fx.server.auth.accounts;
  const as = (sessionId: string): Principal => ({ kind: 'user', name, role, mfa: false, sessionId });
  const { oneTimePassword } = await accounts.createUser({ name, role, actor: 'bench' });
  const first = await accounts.login({ name, password: oneTimePassword });
  const password = `bench ${randomBytes(18).toString('base64url')}`;
  await accounts.changePassword(as(first.sessionId), oneTimePassword, password);
  const second = await accounts.login({ name, password });
  const offer = await accounts.beginTotpEnrolment(as(second.sessionId));
  const done = await accounts.confirmTotpEnrolment(
    as(second.sessionId),
    totpCode(base32Decode(offer.secret), Date.now()),
  );
  return `${SESSION_COOKIE}=${done.token}`;
}
