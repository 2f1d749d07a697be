import { escapeControl } from '../../escape-control.ts';
import { parseCommand, withDataDir } from '../command-context.ts';
import { type CliIo, parsePositiveInt, parseTime } from '../io.ts';

export async function auditCommand(argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommand(argv, {
    since: { type: 'string' },
    limit: { type: 'string' },
    action: { type: 'string' },
    json: { type: 'boolean', default: false },
  });
  return withDataDir(values['data-dir'], async (ctx) => {
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
    // Actor, object and detail can hold attacker-chosen text (a user name typed at a failed
    // sign-in): every line is escaped whole, which keeps a --json line valid JSON.
    for (const a of rows) {
      if (values.json) io.out(escapeControl(JSON.stringify({ ...a, ts: new Date(a.ts).toISOString() })));
      else
        io.out(
          escapeControl(
            `${new Date(a.ts).toISOString()} #${a.id} ${a.actor} ${a.action}${a.object ? ` ${a.object}` : ''} ${JSON.stringify(a.detail)}`,
          ),
        );
    }
    if (!values.json) io.err(`${rows.length} entr${rows.length === 1 ? 'y' : 'ies'}`);
    return 0;
  });
}
