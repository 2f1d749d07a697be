import { parseArgs } from 'node:util';
import type { AlarmQuery, AlarmRecord } from '../../alarms/alarm-store.ts';
import { openContext } from '../../app/context.ts';
import { alarmTier } from '../../rules/tier-rules.ts';
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

/** One alarm as an NDJSON line: times as ISO 8601 UTC. */
function alarmJson(a: AlarmRecord): Record<string, unknown> {
  return {
    id: a.id,
    rule: a.rule,
    subject: a.subject,
    kind: a.kind,
    state: a.state,
    severity: a.severity,
    startedAt: iso(a.startedAt),
    raisedAt: iso(a.raisedAt),
    resolvedAt: iso(a.resolvedAt),
    detectedAt: iso(a.detectedAt),
    detectedLate: a.detectedLate,
    peak: a.peak,
    unit: a.unit,
    message: a.message,
    ack: a.ack
      ? {
          by: a.ack.by,
          name: a.ack.name ?? null,
          role: a.ack.role ?? null,
          at: iso(a.ack.at),
          meaning: a.ack.meaning,
          reason: a.ack.reason,
        }
      : null,
    disproved: a.disproved ? { at: iso(a.disproved.at), reason: a.disproved.reason } : null,
    tier: alarmTier(a.rule),
  };
}

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
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      'data-dir': { type: 'string' },
      state: { type: 'string', default: 'all' },
      subject: { type: 'string' },
      since: { type: 'string' },
      limit: { type: 'string' },
      json: { type: 'boolean', default: false },
    },
  });
  if (positionals.length > 0) usage(USAGE);
  const state = STATES[values.state ?? 'all'];
  if (state === undefined) usage(`--state must be one of ${Object.keys(STATES).join(', ')}`);
  const since = parseTime('--since', values.since);
  const limit = parsePositiveInt('--limit', values.limit, 1000) ?? 100;
  const ctx = await openContext({ dataDir: values['data-dir'], logLevel: 'warn', createAdmin: false });
  try {
    const rows = await ctx.alarmStore.list({
      ...(state !== null ? { state } : {}),
      ...(values.subject !== undefined ? { subject: values.subject } : {}),
      ...(since !== undefined ? { since } : {}),
      limit,
    });
    for (const a of rows) io.out(values.json ? JSON.stringify(alarmJson(a)) : alarmLine(a));
    if (!values.json) io.err(`${rows.length} alarm(s)`);
    return 0;
  } finally {
    await ctx.close();
  }
}
