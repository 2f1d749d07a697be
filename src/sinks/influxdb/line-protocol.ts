/**
 * InfluxDB 1.x line protocol (https://docs.influxdata.com/influxdb/v1/write_protocols/line_protocol_reference/):
 * `measurement,tag=v field=1.5,n=3i,s="x" <time>`. Pure: no I/O.
 */
import type { OutboxReading } from '../sink-outbox.ts';

/** Measurement names: commas and spaces are escaped. */
function escapeMeasurement(s: string): string {
  return s.replace(/[, \\]/g, (c) => `\\${c}`);
}

/** Tag keys, tag values and field keys: commas, equals signs and spaces are escaped. */
function escapeKey(s: string): string {
  return s.replace(/[,= \\]/g, (c) => `\\${c}`).replace(/\n/g, ' ');
}

/** String field values: double-quoted, with `"` and `\` escaped. */
function quote(s: string): string {
  return `"${s.replace(/["\\]/g, (c) => `\\${c}`).replace(/\n/g, ' ')}"`;
}

/**
 * A sample field as a line-protocol field value, or null when it has none (null, nested, not
 * finite). Every number is written as a float, so that `bat_pct` 88 and 87.5 are one field type.
 */
function fieldValue(v: unknown): string | null {
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : null;
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'string') return quote(v);
  return null;
}

/**
 * One reading as one point: tags `device` and `profile`, the sample's fields, plus `seq` and
 * `idx` (integers) and `backfill`; time = the sample's `ts` in ms (write with `precision=ms`).
 * InfluxDB identifies a point by measurement, tags and time, so writing the same reading again
 * (a retried batch) overwrites it with the same values: the write is idempotent. Two samples of
 * one device with the same millisecond are one point (the later one wins).
 */
export function toLine(measurement: string, r: OutboxReading): string {
  const fields: string[] = [];
  for (const [k, v] of Object.entries(r.data)) {
    const value = fieldValue(v);
    if (value !== null) fields.push(`${escapeKey(k)}=${value}`);
  }
  fields.push(`seq=${r.seq}i`, `idx=${r.idx}i`, `backfill=${r.backfill ? 'true' : 'false'}`);
  const tags = `device=${escapeKey(r.deviceId)},profile=${escapeKey(r.profile)}`;
  return `${escapeMeasurement(measurement)},${tags} ${fields.join(',')} ${Math.trunc(r.ts)}`;
}

/** A batch as the body of one `/write` request. */
export function toLines(measurement: string, batch: readonly OutboxReading[]): string {
  return `${batch.map((r) => toLine(measurement, r)).join('\n')}\n`;
}
