import { requireDevice } from '../../devices/device-service.ts';
import { news2FromSample } from '../../rules/news2.ts';
import { parseCommand, withDataDir } from '../command-context.ts';
import { type CliIo, parsePositiveInt, parseTime, usage } from '../io.ts';

export async function readingsCommand(argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommand(argv, {
    since: { type: 'string' },
    until: { type: 'string' },
    limit: { type: 'string' },
    json: { type: 'boolean', default: false },
  });
  const id = positionals[0];
  if (!id) usage('usage: vigil readings ID [--since ISO] [--limit N] [--json]');
  const since = parseTime('--since', values.since);
  const until = parseTime('--until', values.until);
  const limit = parsePositiveInt('--limit', values.limit, 100_000) ?? 100;
  return withDataDir(values['data-dir'], async (ctx) => {
    const device = await requireDevice(ctx, id);
    // Patient monitors: each reading with its NEWS2 aggregate and clinical-response band (RCP 2017).
    const news2 = (data: Record<string, unknown>) => {
      if (device.profile !== 'patient-vitals') return undefined;
      const s = news2FromSample(data);
      return 'missing' in s
        ? { total: null, band: null, missing: s.missing }
        : { total: s.total, band: s.band };
    };
    // Without --since, show the newest N (in time order); with it, the first N from then on.
    const rows = await ctx.store.queryReadings({
      deviceId: id,
      since,
      until,
      limit,
      descending: since === undefined,
    });
    if (since === undefined) rows.reverse();
    for (const r of rows) {
      if (values.json) {
        io.out(
          JSON.stringify({
            device: r.deviceId,
            seq: r.seq,
            idx: r.idx,
            ts: new Date(r.ts).toISOString(),
            received_at: new Date(r.receivedAt).toISOString(),
            backfill: r.backfill,
            ...r.data,
            ...(device.profile === 'patient-vitals' ? { news2: news2(r.data) } : {}),
          }),
        );
      } else {
        const score = news2(r.data);
        const fields = [
          ...Object.entries(r.data).map(([k, v]) => `${k}=${v}`),
          ...(score ? [`news2=${score.total ?? '?'}${score.band ? `(${score.band})` : ''}`] : []),
        ].join(' ');
        io.out(
          `${new Date(r.ts).toISOString()} seq=${r.seq}${r.idx ? `.${r.idx}` : ''}${r.backfill ? ' [backfill]' : ''} ${fields}`,
        );
      }
    }
    if (!values.json) io.err(`${rows.length} reading(s)`);
    return 0;
  });
}
