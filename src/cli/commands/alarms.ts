import type { AlarmQuery, AlarmRecord } from '../../alarms/alarm-store.ts';
import { alarmView } from '../../alarms/alarm-view.ts';
import { parseCommand, withDataDir } from '../command-context.ts';
import type { CommandHelp } from '../command-help.ts';
import { followLoop } from '../follow-loop.ts';
import { type CliIo, parsePositiveInt, parseTime, usage } from '../io.ts';
import { iso } from '../json-views.ts';

/** `--state` to the store's filter: `active` = open or acknowledged; `all` = no filter. */
const STATES: Record<string, AlarmQuery['state'] | null> = {
  open: 'open',
  acknowledged: 'acknowledged',
  active: 'active',
  resolved: 'resolved',
  all: null,
};

export const alarmsHelp: CommandHelp = {
  forms: {
    '': {
      synopsis: `alarms [--state ${Object.keys(STATES).join('|')}] [--subject ID] [--since ISO] [--limit N] [--follow] [--json]`,
      about:
        'Alarms, newest raised first. --follow then prints every alarm that is raised, updated, acknowledged or resolved, as it happens, until Ctrl-C.',
      options: [
        ['--state S', `${Object.keys(STATES).join(', ')} (default all; active = open or acknowledged)`],
        ['--subject ID', 'only the alarms of this device or shipment'],
        ['--since ISO', 'raised at or after this time'],
        ['--limit N', 'at most N alarms (default 100; 10 with --follow)'],
        ['--follow', 'keep printing alarm changes (polls every 0.5 s)'],
        ['--json', 'one JSON object per alarm (NDJSON)'],
      ],
    },
  },
};

const FOLLOW_POLL_MS = 500;

function alarmLine(a: AlarmRecord): string {
  const when = `${iso(a.raisedAt)}${a.resolvedAt !== null ? ` .. ${iso(a.resolvedAt)}` : ''}`;
  const flags = [
    a.kind === 'statistical' ? 'statistical' : '',
    a.detectedLate ? 'detected late' : '',
    a.disproved ? `disproved ${iso(a.disproved.at)}: ${a.disproved.reason}` : '',
  ]
    .filter(Boolean)
    .map((f) => ` [${f}]`)
    .join('');
  const ack = a.ack ? ` ack ${a.ack.name ?? a.ack.by} ${iso(a.ack.at)} (${a.ack.meaning})` : '';
  return `${a.state.padEnd(12)} ${a.severity.padEnd(8)} ${a.subject} ${a.rule} ${when}${flags} ${a.message}${ack}`;
}

/** `vigil alarms`: the stored alarms, newest raised first; `--follow` then their changes. */
export async function alarmsCommand(argv: string[], io: CliIo): Promise<number> {
  const { values } = parseCommand(
    argv,
    {
      state: { type: 'string', default: 'all' },
      subject: { type: 'string' },
      since: { type: 'string' },
      limit: { type: 'string' },
      follow: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
    },
    { positionals: false },
  );
  const state = STATES[values.state];
  if (state === undefined) usage(`--state must be one of ${Object.keys(STATES).join(', ')}`);
  const since = parseTime('--since', values.since);
  const limit = parsePositiveInt('--limit', values.limit, 1000) ?? (values.follow ? 10 : 100);
  const filter: AlarmQuery = {
    ...(state !== null ? { state } : {}),
    ...(values.subject !== undefined ? { subject: values.subject } : {}),
    ...(since !== undefined ? { since } : {}),
  };
  const print = (a: AlarmRecord) => io.out(values.json ? JSON.stringify(alarmView(a)) : alarmLine(a));
  return withDataDir(
    values['data-dir'],
    async (ctx) => {
      // Changes from this moment on are followed; the list below shows the state before them.
      let changedSince = ctx.clock();
      const rows = await ctx.alarmStore.list({ ...filter, limit });
      // Newest raised first, except when following: then in time order, like a log.
      for (const a of values.follow ? [...rows].reverse() : rows) print(a);
      if (!values.follow) {
        if (!values.json) io.err(`${rows.length} alarm(s)`);
        return 0;
      }
      io.err('following alarm changes (Ctrl-C to stop)');
      // What was printed, by id and change time: a change is printed once.
      const printed = new Map(rows.map((a) => [a.id, a.updatedAt]));
      await followLoop(io.signal, FOLLOW_POLL_MS, async () => {
        const changed = await ctx.alarmStore.list({ ...filter, changedSince, limit: 1000 });
        for (const a of changed) {
          if (printed.get(a.id) === a.updatedAt) continue;
          printed.set(a.id, a.updatedAt);
          print(a);
        }
        const last = changed[changed.length - 1];
        if (last) changedSince = last.updatedAt;
        // Only changes at the boundary can be seen again (the query is inclusive).
        for (const [id, at] of printed) if (at < changedSince) printed.delete(id);
        return changed.length === 1000 && changed[0]?.updatedAt !== last?.updatedAt;
      });
      return 0;
    },
    { env: io.env },
  );
}
