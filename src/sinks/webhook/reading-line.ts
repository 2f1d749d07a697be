import type { OutboxReading } from '../sink-outbox.ts';

/**
 * One reading as one NDJSON line of a webhook batch (the project's JSON style: camelCase,
 * ISO 8601 times with milliseconds; the sample's fields keep their protocol names in `data`).
 * `deviceId`, `seq` and `idx` identify it: a receiver that has seen them drops the line.
 */
export function readingLine(r: OutboxReading, fields: readonly string[] | undefined): string {
  const data: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(r.data)) if (!fields || fields.includes(k)) data[k] = v;
  return JSON.stringify({
    deviceId: r.deviceId,
    profile: r.profile,
    seq: r.seq,
    idx: r.idx,
    ts: new Date(r.ts).toISOString(),
    receivedAt: new Date(r.receivedAt).toISOString(),
    backfill: r.backfill,
    data,
  });
}
