import { z } from 'zod';
import { VigilError } from '../../errors.ts';
import { iso } from '../../iso-time.ts';
import type { RoutePlugin } from '../api-deps.ts';
import { Downsampler } from '../downsample.ts';
import { validationError } from '../error-handler.ts';
import type { DeviceReads } from '../ports.ts';
import { deviceIdParams, seriesSchema, timeParam } from '../schemas.ts';

const DAY = 86_400_000;
/** Longest range one query may span. */
export const MAX_RANGE_MS = 400 * DAY;
/** Rows read per store call; the store caps one call at 100,000. */
const PAGE = 20_000;
/** Upper bound on rows one request scans (1-minute data for ~2 years); beyond, `truncated`. */
export const MAX_SCAN_ROWS = 1_000_000;

const query = z
  .strictObject({
    from: timeParam.optional(),
    to: timeParam.optional(),
    maxPoints: z.coerce.number().int().min(2).max(10_000).default(1000),
  })
  .refine((q) => q.from === undefined || q.to === undefined || q.from < q.to, {
    path: ['from'],
    message: 'from must be before to',
  });

/**
 * Feeds the samples of [from, to) into the downsampler page by page, oldest first. Pages are
 * keyed by `ts`; rows that share the last `ts` of a page are remembered so the next page (which
 * starts at that `ts`, bounds being inclusive) does not count them twice.
 */
async function scan(
  store: Pick<DeviceReads, 'queryReadings'>,
  deviceId: string,
  from: number,
  to: number,
  sink: Downsampler,
): Promise<{ rows: number; truncated: boolean }> {
  let since = from;
  let rows = 0;
  let seenAtSince = new Set<string>();
  for (;;) {
    const page = await store.queryReadings({ deviceId, since, until: to, limit: PAGE });
    // Only rows on the page's first and last `ts` need a key (no allocation for the others).
    const lastTs = page[page.length - 1]?.ts ?? since;
    const atLast = new Set<string>();
    for (const r of page) {
      if (r.ts === since && seenAtSince.size > 0 && seenAtSince.has(`${r.seq}/${r.idx}`)) continue;
      sink.add(r);
      rows++;
      if (r.ts === lastTs) atLast.add(`${r.seq}/${r.idx}`);
    }
    if (page.length < PAGE) return { rows, truncated: false };
    if (rows >= MAX_SCAN_ROWS) return { rows, truncated: true };
    // A whole page on one timestamp: skip past it rather than loop (needs 20,000 samples in 1 ms).
    if (lastTs === since && atLast.size + seenAtSince.size >= PAGE) {
      since = lastTs + 1;
      seenAtSince = new Set();
    } else {
      seenAtSince = lastTs === since ? new Set([...seenAtSince, ...atLast]) : atLast;
      since = lastTs;
    }
  }
}

/** Range queries over a device's readings, downsampled on the server for long ranges. */
export function readingsRoutes(devices: DeviceReads, clock: () => number): RoutePlugin {
  return async (app) => {
    app.get(
      '/api/v1/devices/:id/readings',
      {
        config: { access: 'readings.read' },
        schema: {
          summary: 'Readings of a device in [from, to), at most maxPoints points',
          description:
            'Default range: the last 24 h. When more samples fall in the range than maxPoints, the range is cut ' +
            'into maxPoints equal buckets and each non-empty bucket yields one point with the mean, min and max of ' +
            'every numeric field; empty buckets yield nothing. `gaps` lists pauses longer than 3x the median ' +
            'sample interval, so charts can break the line.',
          tags: ['readings'],
          params: deviceIdParams,
          querystring: query,
          response: { 200: seriesSchema },
        },
      },
      async (req) => {
        const d = await devices.getDevice(req.params.id);
        if (!d) throw new VigilError('VIGIL_ERR_NOT_FOUND', 'device');
        const { maxPoints } = req.query;
        const to = req.query.to ?? clock();
        const from = req.query.from ?? to - DAY;
        if (from >= to) throw validationError('querystring', 'from');
        if (to - from > MAX_RANGE_MS) throw validationError('querystring', 'to');
        const sampler = new Downsampler({ from, to, maxPoints });
        const { truncated } = await scan(devices, d.id, from, to, sampler);
        const series = sampler.finish();
        return {
          deviceId: d.id,
          from: iso(from),
          to: iso(to),
          maxPoints,
          truncated,
          ...series,
          points: series.points.map((pt) => ({ ...pt, ts: iso(pt.ts) })),
          gaps: series.gaps.map((g) => ({ from: iso(g.from), to: iso(g.to) })),
        };
      },
    );
  };
}
