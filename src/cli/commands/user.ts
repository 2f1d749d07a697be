import { userJson } from '../../auth/account-view.ts';
import { checkRole, checkUserName, type UserView } from '../../auth/accounts.ts';
import { createAuthServices } from '../../auth/auth-services.ts';
import { ROLES } from '../../auth/principal.ts';
import { openContext } from '../../data-dir/context.ts';
import { escapeControl } from '../../escape-control.ts';
import { parseCommand } from '../command-context.ts';
import { type CommandHelp, subcommandsOf } from '../command-help.ts';
import { type CliIo, usage } from '../io.ts';
import { iso } from '../json-views.ts';

const NAME_RULE =
  'NAME: 3 to 32 characters, a lowercase letter first, then lowercase letters, digits, ".", "_" or "-"';

export const userHelp: CommandHelp = {
  forms: {
    add: {
      synopsis: `user add NAME --role ${ROLES.join('|')} [--json]`,
      about:
        'A new dashboard account with a one-time password, printed once: the user must change it and enrol TOTP (an authenticator app) at first sign-in.',
      options: [
        ['--role R', `what the user may do: ${ROLES.join(', ')} (docs/permissions.md)`],
        ['--json', 'print {user, oneTimePassword} as one JSON object'],
      ],
    },
    list: {
      synopsis: 'user list [--json]',
      about: 'Every account: role, status, second factor, pending steps and last sign-in.',
      options: [['--json', 'one JSON object per user (NDJSON)']],
    },
    disable: { synopsis: 'user disable NAME', about: 'Ends the sessions and refuses sign-in until enabled.' },
    enable: { synopsis: 'user enable NAME', about: 'Allows a disabled account to sign in again.' },
    'reset-mfa': {
      synopsis: 'user reset-mfa NAME',
      about:
        'Removes TOTP and recovery codes and ends the sessions; the user enrols again at the next sign-in.',
    },
    'reset-password': {
      synopsis: 'user reset-password NAME [--json]',
      about:
        'A new one-time password, printed once; the sessions end and the user must change it at the next sign-in.',
      options: [['--json', 'print {name, oneTimePassword} as one JSON object']],
    },
  },
  notes: NAME_RULE,
};

function row(u: UserView): string {
  const mfa = u.mfaEnrolled ? `totp (${u.recoveryCodesLeft} codes)` : 'not enrolled';
  const pending = [u.mustChangePassword ? 'change-password' : '', u.mustEnrolMfa ? 'enrol-mfa' : '']
    .filter(Boolean)
    .join(',');
  return [
    escapeControl(u.name).padEnd(20),
    u.role.padEnd(9),
    u.status.padEnd(9),
    mfa.padEnd(18),
    (pending || '-').padEnd(26),
    u.lastLoginAt === null ? 'never' : iso(u.lastLoginAt),
  ].join(' ');
}

/** `vigil user ...`: manage dashboard accounts from the server's shell (actor `cli`). */
export async function userCommand(argv: string[], io: CliIo): Promise<number> {
  const [sub, ...rest] = argv;
  const { values, positionals } = parseCommand(
    rest,
    { role: { type: 'string' }, json: { type: 'boolean', default: false } },
    { positionals: sub === 'list' ? 0 : 1 },
  );
  if (!sub || !subcommandsOf(userHelp).includes(sub)) usage(`unknown subcommand "${sub ?? ''}"`);
  const name = positionals[0] ?? '';
  // Validate before opening the data directory: bad input changes nothing.
  if (sub !== 'list') {
    if (!name) usage('the user NAME is missing');
    checkUserName(name);
  }
  if (sub === 'add') {
    if (!values.role) usage(`--role is required: one of ${ROLES.join(', ')}`);
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
        if (values.json) io.out(JSON.stringify({ user: userJson(user), oneTimePassword }));
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
        if (values.json) for (const u of users) io.out(JSON.stringify(userJson(u)));
        else {
          io.out(
            `${'NAME'.padEnd(20)} ${'ROLE'.padEnd(9)} ${'STATUS'.padEnd(9)} ${'MFA'.padEnd(18)} ${'PENDING'.padEnd(26)} LAST SIGN-IN`,
          );
          for (const u of users) io.out(row(u));
          io.err(`${users.length} user(s)`);
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
