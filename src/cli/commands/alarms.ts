import type { AlarmQuery, AlarmRecord } from '../../alarms/alarm-store.ts';
import { alarmViewIso } from '../../alarms/alarm-view.ts';
import { parseCommand, withDataDir } from '../command-context.ts';
import { type CliIo, parsePositiveInt, parseTime, usage } from '../io.ts';

const USAGE =
  'usage: vigil alarms [--state open|acknowledged|active|resolved|all] [--subject ID] [--since ISO] [--limit N] [--json]';

/** `--state` to the store's filter: `active` = open or acknowledged; `all` = no filter. */
const STATES: Record<string, AlarmQuery['state'] | null> = {
  open: 'open',
  acknowledged: 'acknowledged',
  active: 'active',
  resolved: 'resolved',
  all: null,
};

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

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

/** `vigil alarms`: the stored alarms, newest raised first. */
export async function alarmsCommand(argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommand(argv, {
    state: { type: 'string', default: 'all' },
    subject: { type: 'string' },
    since: { type: 'string' },
    limit: { type: 'string' },
    json: { type: 'boolean', default: false },
  });
  if (positionals.length > 0) usage(USAGE);
  const state = STATES[values.state ?? 'all'];
  if (state === undefined) usage(`--state must be one of ${Object.keys(STATES).join(', ')}`);
  const since = parseTime('--since', values.since);
  const limit = parsePositiveInt('--limit', values.limit, 1000) ?? 100;
  return withDataDir(values['data-dir'], async (ctx) => {
    const rows = await ctx.alarmStore.list({
      ...(state !== null ? { state } : {}),
      ...(values.subject !== undefined ? { subject: values.subject } : {}),
      ...(since !== undefined ? { since } : {}),
      limit,
    });
    for (const a of rows) io.out(values.json ? JSON.stringify(alarmViewIso(a)) : alarmLine(a));
    if (!values.json) io.err(`${rows.length} alarm(s)`);
    return 0;
  });
}
