import { ensureFirstAdmin, openContext } from '../../data-dir/context.ts';
import { parseCommand } from '../command-context.ts';
import type { CommandHelp } from '../command-help.ts';
import { firstAdminNotice } from '../first-admin-notice.ts';
import type { CliIo } from '../io.ts';

export const initHelp: CommandHelp = {
  forms: {
    '': {
      synopsis: 'init [--json]',
      about:
        'Creates a data directory without starting anything: master key (mode 0600, unless VIGIL_MASTER_KEY is set), encrypted database, root CA, server certificate, CRL, and the admin account, whose one-time password is printed once. The directory is created with mode 0700; an existing one must be empty (or hold only config.json) and not open to other users. On a data directory, it completes what is missing and changes nothing else.',
      options: [
        [
          '--json',
          'print {dataDir, created, admin} as one JSON object (admin: {name, oneTimePassword} or null)',
        ],
      ],
    },
  },
};

/**
 * `vigil init`: creates a data directory without starting anything (master key, database, CA,
 * server certificate, CRL, the first admin); on an unfinished one, completes it; on a complete
 * one, changes nothing.
 */
export async function initCommand(argv: string[], io: CliIo): Promise<number> {
  const { values } = parseCommand(
    argv,
    { json: { type: 'boolean', default: false } },
    { positionals: false },
  );
  const ctx = await openContext({ dataDir: values['data-dir'], env: io.env, logLevel: 'warn', create: true });
  try {
    const admin = await ensureFirstAdmin(ctx);
    const dir = ctx.paths.dataDir;
    if (values.json) {
      io.out(JSON.stringify({ dataDir: dir, created: ctx.created, admin }));
      return 0;
    }
    if (ctx.created.length === 0 && !admin) {
      io.out(`${dir} is already a Vigil data directory; nothing to create`);
      return 0;
    }
    io.out(`vigil data directory ready: ${dir}`);
    for (const c of ctx.created) io.out(`  created ${c}`);
    if (admin) io.out(firstAdminNotice(admin));
    io.out(`next: vigil start --data-dir ${dir}`);
    return 0;
  } finally {
    await ctx.close();
  }
}
