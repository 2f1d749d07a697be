import { parseCommand, withDataDir } from '../command-context.ts';
import type { CommandHelp } from '../command-help.ts';
import { type CliIo, parsePositiveInt, parseTime, usage } from '../io.ts';
import { auditJson } from '../json-views.ts';

export const auditHelp: CommandHelp = {
  forms: {
    '': {
      synopsis: 'audit [--since ISO] [--limit N] [--action A] [--json]',
      about: 'The audit log, oldest first: who did what, when, to what. Append-only and hash-chained.',
      options: [
        ['--since ISO', 'entries at or after this time'],
        ['--limit N', 'at most N entries (default 1000)'],
        ['--action A', 'only this action, e.g. device.revoke'],
        ['--json', 'one JSON object per entry (NDJSON)'],
      ],
    },
    verify: {
      synopsis: 'audit verify [--json]',
      about: 'Checks the hash chain of the whole audit log; names the first broken entry (exit 1).',
      options: [['--json', 'print {ok, entries, firstBroken} as one JSON object']],
    },
  },
};

export async function auditCommand(argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommand(argv, {
    since: { type: 'string' },
    limit: { type: 'string' },
    action: { type: 'string' },
    json: { type: 'boolean', default: false },
  });
  const sub = positionals[0];
  if (sub !== undefined && sub !== 'verify') usage(`unknown subcommand "${sub}"`);
  if (positionals.length > 1) usage(`unexpected argument "${positionals[1]}"`);
  return withDataDir(
    values['data-dir'],
    async (ctx) => {
      if (positionals[0] === 'verify') {
        const r = await ctx.store.verifyAudit();
        if (values.json) io.out(JSON.stringify(r));
        else if (r.ok) io.out(`audit chain intact: ${r.entries} entries`);
        else io.out(`audit chain BROKEN at entry ${r.firstBroken} (of ${r.entries})`);
        return r.ok ? 0 : 1;
      }
      const since = parseTime('--since', values.since);
      const limit = parsePositiveInt('--limit', values.limit, 1_000_000) ?? 1000;
      const rows = await ctx.store.queryAudit({ since, limit, action: values.action });
      for (const a of rows) {
        if (values.json) io.out(JSON.stringify(auditJson(a)));
        else
          io.out(
            `${new Date(a.ts).toISOString()} #${a.id} ${a.actor} ${a.action}${a.object ? ` ${a.object}` : ''} ${JSON.stringify(a.detail)}`,
          );
      }
      if (!values.json) io.err(`${rows.length} entr${rows.length === 1 ? 'y' : 'ies'}`);
      return 0;
    },
    { env: io.env },
  );
}
