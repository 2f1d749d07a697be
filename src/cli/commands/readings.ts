import { parseArgs } from 'node:util';
import { openContext } from '../../app/context.ts';
import { requireDevice } from '../../app/device-service.ts';
import { type CliIo, parsePositiveInt, parseTime, usage } from '../io.ts';

export async function readingsCommand(argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      'data-dir': { type: 'string' },
      since: { type: 'string' },
      until: { type: 'string' },
      limit: { type: 'string' },
      json: { type: 'boolean', default: false },
    },
  });
  const id = positionals[0];
  if (!id) usage('usage: vigil readings ID [--since ISO] [--limit N] [--json]');
  const since = parseTime('--since', values.since);
  const until = parseTime('--until', values.until);
  const limit = parsePositiveInt('--limit', values.limit, 100_000) ?? 100;
  const ctx = await openContext({ dataDir: values['data-dir'], logLevel: 'warn', createAdmin: false });
  try {
    await requireDevice(ctx, id);
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
          }),
        );
      } else {
        const fields = Object.entries(r.data)
          .map(([k, v]) => `${k}=${v}`)
          .join(' ');
        io.out(
          `${new Date(r.ts).toISOString()} seq=${r.seq}${r.idx ? `.${r.idx}` : ''}${r.backfill ? ' [backfill]' : ''} ${fields}`,
        );
      }
    }
    if (!values.json) io.err(`${rows.length} reading(s)`);
    return 0;
  } finally {
    await ctx.close();
  }
}
