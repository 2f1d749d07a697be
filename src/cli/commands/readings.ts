import { requireDevice } from '../../devices/device-service.ts';
import { news2FromSample } from '../../rules/news2.ts';
import type { ReadingRecord } from '../../storage/store.ts';
import { parseCommand, withDataDir } from '../command-context.ts';
import type { CommandHelp } from '../command-help.ts';
import { followLoop } from '../follow-loop.ts';
import { type CliIo, parsePositiveInt, parseTime, usage } from '../io.ts';
import { iso, type News2Json, readingJson } from '../json-views.ts';

export const readingsHelp: CommandHelp = {
  forms: {
    '': {
      synopsis: 'readings ID [--since ISO] [--until ISO] [--limit N] [--follow] [--json]',
      about:
        "A device's stored readings, decrypted, in time order: without --since the newest N, with it the first N from then on. A patient monitor's readings carry their NEWS2 score. --follow then prints every new reading as the running server commits it (late, buffered ones included, marked backfill) until Ctrl-C.",
      options: [
        ['--since ISO', 'from this time on (inclusive), e.g. 2026-11-21T10:00:00Z'],
        ['--until ISO', 'before this time (exclusive)'],
        ['--limit N', 'at most N readings (default 100; 10 with --follow)'],
        ['--follow', 'keep printing new readings as they are stored (polls every 0.5 s)'],
        ['--json', 'one JSON object per reading (NDJSON)'],
      ],
    },
  },
};

/** How often --follow looks for new readings. */
const FOLLOW_POLL_MS = 500;

export async function readingsCommand(argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommand(
    argv,
    {
      since: { type: 'string' },
      until: { type: 'string' },
      limit: { type: 'string' },
      follow: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
    },
    { positionals: 1 },
  );
  const id = positionals[0];
  if (!id) usage('the device ID is missing');
  const since = parseTime('--since', values.since);
  const until = parseTime('--until', values.until);
  if (values.follow && until !== undefined) usage('--until and --follow exclude each other');
  const limit = parsePositiveInt('--limit', values.limit, 100_000) ?? (values.follow ? 10 : 100);
  return withDataDir(
    values['data-dir'],
    async (ctx) => {
      const device = await requireDevice(ctx, id);
      // Patient monitors: each reading with its NEWS2 aggregate and clinical-response band (RCP 2017).
      const news2 = (data: Record<string, unknown>): News2Json | undefined => {
        if (device.profile !== 'patient-vitals') return undefined;
        const s = news2FromSample(data);
        return 'missing' in s
          ? { total: null, band: null, missing: s.missing }
          : { total: s.total, band: s.band };
      };
      const print = (r: ReadingRecord) => {
        if (values.json) {
          io.out(JSON.stringify(readingJson(r, news2(r.data))));
          return;
        }
        const score = news2(r.data);
        const fields = [
          ...Object.entries(r.data).map(([k, v]) => `${k}=${v}`),
          ...(score ? [`news2=${score.total ?? '?'}${score.band ? `(${score.band})` : ''}`] : []),
        ].join(' ');
        io.out(
          `${iso(r.ts)} seq=${r.seq}${r.idx ? `.${r.idx}` : ''}${r.backfill ? ' [backfill]' : ''} ${fields}`,
        );
      };
      // Where following starts: taken before the first query, so nothing committed meanwhile is lost.
      let cursor = values.follow ? (await ctx.store.readingsAfter({ deviceId: id })).cursor : 0;
      // Without --since, the newest N (printed in time order); with it, the first N from then on.
      const rows = await ctx.store.queryReadings({
        deviceId: id,
        since,
        until,
        limit,
        descending: since === undefined,
      });
      if (since === undefined) rows.reverse();
      for (const r of rows) print(r);
      if (!values.follow) {
        if (!values.json) io.err(`${rows.length} reading(s)`);
        return 0;
      }
      // Rows committed between taking the cursor and the query above were printed already.
      const shown = new Set(rows.map((r) => `${r.seq}.${r.idx}`));
      io.err(`following ${id} (Ctrl-C to stop)`);
      await followLoop(io.signal, FOLLOW_POLL_MS, async () => {
        const next = await ctx.store.readingsAfter({ deviceId: id, cursor, limit: 1000 });
        cursor = next.cursor;
        for (const r of next.readings) if (!shown.has(`${r.seq}.${r.idx}`)) print(r);
        shown.clear();
        return next.readings.length === 1000;
      });
      return 0;
    },
    { env: io.env },
  );
}
