import { parseArgs } from 'node:util';
import { checkRole, checkUserName, type UserView } from '../../auth/accounts.ts';
import { createAuthServices } from '../../auth/auth-services.ts';
import { ROLES } from '../../auth/principal.ts';
import { openContext } from '../../data-dir/context.ts';
import { type CliIo, usage } from '../io.ts';

const HELP = `usage:
  vigil user add NAME --role ${ROLES.join('|')} [--json]
  vigil user list [--json]
  vigil user disable|enable NAME
  vigil user reset-mfa NAME          remove TOTP and recovery codes; enrol again at next sign-in
  vigil user reset-password NAME     new one-time password; sessions end

A new account gets a one-time password, printed once: the user must change it and enrol TOTP
(authenticator app) at first sign-in.`;

const SUBCOMMANDS = ['add', 'list', 'disable', 'enable', 'reset-mfa', 'reset-password'];

const iso = (ms: number | null) => (ms === null ? '-' : new Date(ms).toISOString());

function row(u: UserView): string {
  const mfa = u.mfaEnrolled ? `totp (${u.recoveryCodesLeft} codes)` : 'not enrolled';
  const pending = [u.mustChangePassword ? 'change-password' : '', u.mustEnrolMfa ? 'enrol-mfa' : '']
    .filter(Boolean)
    .join(',');
  return [
    u.name.padEnd(20),
    u.role.padEnd(9),
    u.status.padEnd(9),
    mfa.padEnd(18),
    (pending || '-').padEnd(26),
    iso(u.lastLoginAt),
  ].join(' ');
}

/** `vigil user ...`: manage dashboard accounts from the server's shell (actor `cli`). */
export async function userCommand(argv: string[], io: CliIo): Promise<number> {
  const [sub, ...rest] = argv;
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: {
      'data-dir': { type: 'string' },
      role: { type: 'string' },
      json: { type: 'boolean', default: false },
    },
  });
  if (!sub || sub === 'help' || sub === '--help') {
    io.out(HELP);
    return sub ? 0 : 2;
  }
  if (!SUBCOMMANDS.includes(sub)) usage(`unknown user command "${sub}"\n${HELP}`);
  const name = positionals[0] ?? '';
  // Validate before opening the data directory: bad input changes nothing.
  if (sub !== 'list') {
    if (!name) usage(`user name required\n${HELP}`);
    checkUserName(name);
  }
  if (sub === 'add') {
    if (!values.role) usage(`--role is required (${ROLES.join(', ')})`);
    checkRole(values.role);
  }
  const ctx = await openContext({ dataDir: values['data-dir'], env: io.env, logLevel: 'warn' });
  try {
    const { accounts } = createAuthServices({
      store: ctx.accountStore,
      audit: ctx.store,
      master: ctx.master,
      clock: ctx.clock,
    });
    switch (sub) {
      case 'add': {
        const { user, oneTimePassword } = await accounts.createUser({
          name,
          role: values.role as UserView['role'],
          actor: 'cli',
        });
        if (values.json) io.out(JSON.stringify({ user, oneTimePassword }));
        else {
          io.out(`user ${user.name} added (role ${user.role})`);
          io.out(`one-time password: ${oneTimePassword}`);
          io.out(
            'shown once: hand it over on a trusted channel. At first sign-in the user must change it and enrol TOTP.',
          );
        }
        return 0;
      }
      case 'list': {
        const users = await accounts.listUsers();
        if (values.json) for (const u of users) io.out(JSON.stringify(u));
        else {
          io.out(
            `${'NAME'.padEnd(20)} ${'ROLE'.padEnd(9)} ${'STATUS'.padEnd(9)} ${'MFA'.padEnd(18)} ${'PENDING'.padEnd(26)} LAST SIGN-IN`,
          );
          for (const u of users) io.out(row(u));
          io.out(`${users.length} user(s)`);
        }
        return 0;
      }
      case 'disable': {
        await accounts.disableUser(name, 'cli');
        io.out(`user ${name} disabled; their sessions have ended`);
        return 0;
      }
      case 'enable': {
        await accounts.enableUser(name, 'cli');
        io.out(`user ${name} enabled`);
        return 0;
      }
      case 'reset-mfa': {
        await accounts.resetMfa(name, 'cli');
        io.out(
          `user ${name}: TOTP and recovery codes removed, sessions ended; TOTP enrolment at next sign-in`,
        );
        return 0;
      }
      default: {
        const { oneTimePassword } = await accounts.resetPassword(name, 'cli');
        if (values.json) io.out(JSON.stringify({ name, oneTimePassword }));
        else {
          io.out(`user ${name}: new one-time password: ${oneTimePassword}`);
          io.out('shown once; sessions ended. The user must change it at next sign-in.');
        }
        return 0;
      }
    }
  } finally {
    await ctx.close();
  }
}
