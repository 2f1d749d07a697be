import { z } from 'zod';
import { sessionJson, userJson } from '../../auth/account-view.ts';
import { USER_NAME_RE, type UserView } from '../../auth/accounts.ts';
import type { AuthServices } from '../../auth/auth-services.ts';
import { ROLES } from '../../auth/principal.ts';
import { VigilError } from '../../errors.ts';
import { actorOf } from '../access.ts';
import { sessionSchema, userSchema } from '../account-schemas.ts';
import type { RoutePlugin } from '../api-deps.ts';
import { principalOf } from './auth.ts';

const role = z.enum(ROLES);

const nameParams = z.strictObject({ name: z.string().regex(USER_NAME_RE, 'must be a user name') });
/** A session id as listed: the SHA-256 of the cookie value, base64url. */
const sessionIdParams = z.strictObject({
  id: z.string().regex(/^[A-Za-z0-9_-]{43}$/, 'must be a session id'),
});

/**
 * Accounts and sessions (admin; auditors may read). Every change goes through AccountService,
 * which writes the audit entry with the caller as actor (`user:<name>`); one-time passwords are
 * returned once and stored only as hashes.
 */
export function usersRoutes(auth: AuthServices): RoutePlugin {
  const { accounts } = auth;

  const withSessions = async (u: UserView) => ({
    ...userJson(u),
    sessions: (await accounts.listSessions(u.name)).length,
  });
  const requireUser = async (name: string) => {
    const u = await accounts.getUser(name);
    if (!u) throw new VigilError('VIGIL_ERR_NOT_FOUND', 'user');
    return withSessions(u);
  };

  return async (app) => {
    app.get(
      '/api/v1/users',
      {
        config: { access: 'users.read' },
        schema: {
          summary: 'Every account with role, status, MFA state and live session count',
          tags: ['users'],
          response: { 200: z.object({ users: z.array(userSchema) }) },
        },
      },
      async () => {
        const users = await accounts.listUsers();
        const sessions = await accounts.listSessions();
        const count = new Map<string, number>();
        for (const s of sessions) count.set(s.userName, (count.get(s.userName) ?? 0) + 1);
        return { users: users.map((u) => ({ ...userJson(u), sessions: count.get(u.name) ?? 0 })) };
      },
    );

    app.post(
      '/api/v1/users',
      {
        config: { access: 'users.manage' },
        schema: {
          summary: 'Add an account; its one-time password is returned once',
          tags: ['users'],
          body: z.strictObject({ name: z.string().max(64), role }),
          response: { 201: z.object({ user: userSchema, oneTimePassword: z.string() }) },
        },
      },
      async (req, reply) => {
        const r = await accounts.createUser({
          name: req.body.name,
          role: req.body.role,
          actor: actorOf(principalOf(req)),
        });
        return reply
          .code(201)
          .send({ user: { ...userJson(r.user), sessions: 0 }, oneTimePassword: r.oneTimePassword });
      },
    );

    const actions = {
      disable: (name: string, actor: string) => accounts.disableUser(name, actor),
      enable: (name: string, actor: string) => accounts.enableUser(name, actor),
      'reset-mfa': (name: string, actor: string) => accounts.resetMfa(name, actor),
    } as const;
    for (const [action, run] of Object.entries(actions)) {
      app.post(
        `/api/v1/users/:name/${action}`,
        {
          config: { access: 'users.manage' },
          schema: {
            summary:
              action === 'disable'
                ? 'Disable an account and end its sessions (not the last active admin)'
                : action === 'enable'
                  ? 'Re-enable a disabled account'
                  : 'Remove TOTP and recovery codes and end the sessions: the next sign-in enrols again',
            tags: ['users'],
            params: nameParams,
            response: { 200: z.object({ user: userSchema }) },
          },
        },
        async (req) => {
          await requireUser(req.params.name);
          await run(req.params.name, actorOf(principalOf(req)));
          return { user: await requireUser(req.params.name) };
        },
      );
    }

    app.post(
      '/api/v1/users/:name/role',
      {
        config: { access: 'users.manage' },
        schema: {
          summary: "Change an account's role (takes effect on its next request)",
          tags: ['users'],
          params: nameParams,
          body: z.strictObject({ role }),
          response: { 200: z.object({ user: userSchema }) },
        },
      },
      async (req) => {
        await requireUser(req.params.name);
        await accounts.setRole(req.params.name, req.body.role, actorOf(principalOf(req)));
        return { user: await requireUser(req.params.name) };
      },
    );

    app.post(
      '/api/v1/users/:name/reset-password',
      {
        config: { access: 'users.manage' },
        schema: {
          summary: 'Set a new one-time password (returned once) and end the sessions; TOTP is kept',
          tags: ['users'],
          params: nameParams,
          response: { 200: z.object({ user: userSchema, oneTimePassword: z.string() }) },
        },
      },
      async (req) => {
        const r = await accounts.resetPassword(req.params.name, actorOf(principalOf(req)));
        return { user: await requireUser(req.params.name), oneTimePassword: r.oneTimePassword };
      },
    );

    app.delete(
      '/api/v1/users/:name/sessions',
      {
        config: { access: 'users.manage' },
        schema: {
          summary: 'End every session of an account; returns how many',
          tags: ['users'],
          params: nameParams,
          response: { 200: z.object({ ended: z.number().int() }) },
        },
      },
      async (req) => ({ ended: await accounts.endSessions(req.params.name, actorOf(principalOf(req))) }),
    );

    app.get(
      '/api/v1/sessions',
      {
        config: { access: 'users.read' },
        schema: {
          summary: 'Live sessions of every user (ids are hashes, never cookie values)',
          tags: ['users'],
          response: { 200: z.object({ sessions: z.array(sessionSchema) }) },
        },
      },
      async (req) => {
        const me = principalOf(req).sessionId;
        return {
          sessions: (await accounts.listSessions()).map((s) => ({ ...sessionJson(s), current: s.id === me })),
        };
      },
    );

    app.delete(
      '/api/v1/sessions/:id',
      {
        config: { access: 'users.manage' },
        schema: {
          summary: 'End one session',
          tags: ['users'],
          params: sessionIdParams,
        },
      },
      async (req, reply) => {
        if (!(await accounts.endSession(req.params.id, actorOf(principalOf(req))))) {
          throw new VigilError('VIGIL_ERR_NOT_FOUND', 'session');
        }
        return reply.code(204).send();
      },
    );
  };
}
