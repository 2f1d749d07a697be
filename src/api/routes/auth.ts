import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { SignInStep, UserView } from '../../auth/accounts.ts';
import type { AuthServices } from '../../auth/auth-services.ts';
import type { Principal } from '../../auth/principal.ts';
import { ROLES } from '../../auth/principal.ts';
import { can, PERMISSION_NAMES } from '../../auth/rbac.ts';
import { clearSessionCookie, sessionCookie } from '../../auth/sessions.ts';
import { VigilError } from '../../errors.ts';
import { meSchema, SIGN_IN_STATES, type SignInState } from '../account-schemas.ts';
import type { RoutePlugin } from '../api-deps.ts';
import { qrSvg } from '../qr-svg.ts';

const STATE_OF_STEP: Record<SignInStep, SignInState> = {
  change_password: 'password_change_required',
  enrol_mfa: 'mfa_enrol_required',
  verify_mfa: 'mfa_required',
};

/** Where a user stands in signing in, from the account and the session's second-factor state. */
export function signInState(
  u: Pick<UserView, 'mustChangePassword' | 'mustEnrolMfa' | 'mfaEnrolled'>,
  mfa: boolean,
) {
  if (mfa) return 'ok' as const;
  if (u.mustChangePassword) return STATE_OF_STEP.change_password;
  if (u.mustEnrolMfa || !u.mfaEnrolled) return STATE_OF_STEP.enrol_mfa;
  return STATE_OF_STEP.verify_mfa;
}

/** The caller, set by the auth guard (routes with access other than `public`). */
export function principalOf(req: FastifyRequest): Principal {
  if (!req.principal) throw new VigilError('VIGIL_ERR_AUTH');
  return req.principal;
}

const state = z.enum(SIGN_IN_STATES);
// Bounds only: the account service decides (an over-long password is just a wrong one), and the
// values are never echoed or logged.
const secretText = z.string().max(1024);
const code = z.strictObject({ code: z.string().min(1).max(64) });

/**
 * Sign-in, second factor, password change, sign-out and "who am I" (docs/api.md,
 * "Authentication"). Every new session id is sent with `Set-Cookie` (login, after a password
 * change, after the second factor); the lockout counts the client address `request.ip`.
 * Passwords, codes and cookie values never reach a log: the request logger records the path
 * only and the error handler logs codes, not inputs.
 */
export function authRoutes(auth: AuthServices): RoutePlugin {
  return async (app) => {
    app.post(
      '/api/v1/auth/login',
      {
        config: { access: 'public' },
        schema: {
          summary: 'Password step of sign-in: starts a half-authenticated session',
          description:
            'Sets a new session cookie (any cookie sent along is ignored). Unknown users, wrong passwords ' +
            'and disabled accounts all get 401 VIGIL_ERR_AUTH; too many failures get 429 VIGIL_ERR_LOCKED ' +
            'with Retry-After.',
          tags: ['auth'],
          body: z.strictObject({ username: z.string().min(1).max(128), password: secretText.min(1) }),
          response: {
            200: z.object({ state, user: z.object({ name: z.string(), role: z.enum(ROLES) }) }),
          },
        },
      },
      async (req, reply) => {
        const r = await auth.accounts.login({
          name: req.body.username,
          password: req.body.password,
          address: req.ip,
        });
        const session = await auth.sessions.resolveId(r.sessionId);
        const user = session ? await auth.accounts.getUser(session.userName) : null;
        if (!user) throw new VigilError('VIGIL_ERR_SESSION', 'session vanished during sign-in');
        reply.header('set-cookie', sessionCookie(r.token));
        return { state: STATE_OF_STEP[r.next], user: { name: user.name, role: user.role } };
      },
    );

    app.post(
      '/api/v1/auth/password',
      {
        config: { access: 'signed-in' },
        schema: {
          summary: 'Change the own password (a one-time password first of all)',
          description:
            'Ends every session of the user, this one included, and sets a new half-authenticated ' +
            'session: the answer says what comes next (enrol or verify TOTP).',
          tags: ['auth'],
          body: z.strictObject({ currentPassword: secretText, newPassword: secretText }),
          response: { 200: z.object({ state }) },
        },
      },
      async (req, reply) => {
        const p = principalOf(req);
        await auth.accounts.changePassword(p, req.body.currentPassword, req.body.newPassword, {
          address: req.ip,
        });
        // The old session ids are dead; the new one needs the second factor again.
        const issued = await auth.sessions.issue(p.name, 'password_ok', { address: req.ip });
        const user = await auth.accounts.getUser(p.name);
        if (!user) throw new VigilError('VIGIL_ERR_SESSION');
        reply.header('set-cookie', sessionCookie(issued.token));
        return { state: signInState(user, false) };
      },
    );

    app.post(
      '/api/v1/auth/mfa/enrol',
      {
        config: { access: 'signed-in' },
        schema: {
          summary: 'Start TOTP enrolment: a new secret, its otpauth URI and a QR code (SVG)',
          tags: ['auth'],
          response: { 200: z.object({ secret: z.string(), otpauthUri: z.string(), qrSvg: z.string() }) },
        },
      },
      async (req) => {
        const offer = await auth.accounts.beginTotpEnrolment(principalOf(req));
        return { secret: offer.secret, otpauthUri: offer.uri, qrSvg: qrSvg(offer.uri) };
      },
    );

    app.post(
      '/api/v1/auth/mfa/enrol/confirm',
      {
        config: { access: 'signed-in' },
        schema: {
          summary: 'Confirm TOTP enrolment with a code: signs in fully and returns 10 recovery codes once',
          tags: ['auth'],
          body: code,
          response: { 200: z.object({ state: z.literal('ok'), recoveryCodes: z.array(z.string()) }) },
        },
      },
      async (req, reply) => {
        const r = await auth.accounts.confirmTotpEnrolment(principalOf(req), req.body.code, {
          address: req.ip,
        });
        reply.header('set-cookie', sessionCookie(r.token));
        return { state: 'ok' as const, recoveryCodes: r.recoveryCodes };
      },
    );

    app.post(
      '/api/v1/auth/mfa',
      {
        config: { access: 'signed-in' },
        schema: {
          summary: 'Second factor: a TOTP code (each accepted once) or an unused recovery code',
          tags: ['auth'],
          body: code,
          response: { 200: z.object({ state: z.literal('ok') }) },
        },
      },
      async (req, reply) => {
        const r = await auth.accounts.verifyMfa(principalOf(req), req.body.code, { address: req.ip });
        reply.header('set-cookie', sessionCookie(r.token));
        return { state: 'ok' as const };
      },
    );

    app.post(
      '/api/v1/auth/recovery-codes',
      {
        config: { access: 'signed-in' },
        schema: {
          summary: 'Replace the own recovery codes (fully signed-in sessions only); shown once',
          tags: ['auth'],
          response: { 200: z.object({ recoveryCodes: z.array(z.string()) }) },
        },
      },
      async (req) => ({ recoveryCodes: await auth.accounts.regenerateRecoveryCodes(principalOf(req)) }),
    );

    app.post(
      '/api/v1/auth/logout',
      {
        // Public so that a client with an expired session still gets its cookie cleared; the
        // CSRF Origin check applies as on every POST.
        config: { access: 'public' },
        schema: { summary: 'Sign out: ends the session and clears the cookie', tags: ['auth'] },
      },
      async (req, reply) => {
        const p = await auth.authenticator.authenticate({ cookie: req.headers.cookie });
        if (p) await auth.accounts.logout(p);
        reply.header('set-cookie', clearSessionCookie());
        return reply.code(204).send();
      },
    );

    app.get(
      '/api/v1/auth/me',
      {
        config: { access: 'signed-in' },
        schema: {
          summary: 'The caller: name, role, sign-in state and the permissions usable now',
          tags: ['auth'],
          response: { 200: meSchema },
        },
      },
      async (req) => {
        const p = principalOf(req);
        const permissions = PERMISSION_NAMES.filter((x) => can(p, x) === 'ok');
        if (p.kind === 'token') {
          return { name: p.name, role: p.role, kind: p.kind, mfa: p.mfa, state: 'ok' as const, permissions };
        }
        const user = await auth.accounts.getUser(p.name);
        if (!user) throw new VigilError('VIGIL_ERR_AUTH');
        return {
          name: user.name,
          role: user.role,
          kind: p.kind,
          mfa: p.mfa,
          state: signInState(user, p.mfa),
          permissions,
        };
      },
    );
  };
}
