/**
 * Turns API answers into the types of types.ts. The server (src/api/schemas.ts) nests reading
 * fields under `data` (readings) or `values` (series points); docs/api.md shows them flat. Times
 * are epoch milliseconds on the server, ISO strings in some examples. Both are accepted here so
 * the pages never depend on which one arrives.
 */
import type { Alarm, Device, FieldLimit, Profile, Reading, Scalar, Series, SeriesPoint } from './types.ts';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Epoch ms from a number or an ISO string; null otherwise. */
export function toMs(v: unknown): number | null {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'string' && v !== '') {
    const n = /^\d+$/.test(v) ? Number(v) : Date.parse(v);
    return Number.isFinite(n) ? n : null;
  }
  return null;
}

const META = new Set([
  'ts',
  'receivedAt',
  'backfill',
  'seq',
  'idx',
  'n',
  'deviceId',
  'device',
  'dev',
  'id',
  'min',
  'max',
]);

function scalars(o: Obj, skipMeta: boolean): Record<string, Scalar> {
  const out: Record<string, Scalar> = {};
  for (const [k, v] of Object.entries(o)) {
    if (skipMeta && META.has(k)) continue;
    if (v === null || typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean') out[k] = v;
  }
  return out;
}

function numbers(v: unknown): Record<string, number> | null {
  if (!isObj(v)) return null;
  const out: Record<string, number> = {};
  for (const [k, x] of Object.entries(v)) if (typeof x === 'number') out[k] = x;
  return out;
}

/** A reading from `{ ts, backfill, data: {...} }`, `{ ts, values: {...} }` or `{ ts, ...fields }`. */
export function normReading(raw: unknown): Reading | null {
  if (!isObj(raw)) return null;
  const ts = toMs(raw.ts);
  if (ts === null) return null;
  const inner = isObj(raw.data) ? raw.data : isObj(raw.values) ? raw.values : null;
  return {
    ts,
    receivedAt: toMs(raw.receivedAt),
    backfill: raw.backfill === true,
    data: inner ? scalars(inner, false) : scalars(raw, true),
  };
}

export function normPoint(raw: unknown): SeriesPoint | null {
  const r = normReading(raw);
  if (!r || !isObj(raw)) return null;
  return { ts: r.ts, backfill: r.backfill, values: r.data, min: numbers(raw.min), max: numbers(raw.max) };
}

export function normSeries(raw: unknown): Series {
  const o = isObj(raw) ? raw : {};
  const points = (Array.isArray(o.points) ? o.points : [])
    .map(normPoint)
    .filter((p): p is SeriesPoint => p !== null)
    .sort((a, b) => a.ts - b.ts);
  const gaps = (Array.isArray(o.gaps) ? o.gaps : [])
    .map((g) => (isObj(g) ? { from: toMs(g.from), to: toMs(g.to) } : null))
    .filter((g): g is { from: number; to: number } => g !== null && g.from !== null && g.to !== null);
  return {
    points,
    gaps,
    downsampled: o.downsampled === true,
    bucketMs: typeof o.bucketMs === 'number' ? o.bucketMs : null,
  };
}

const PROFILES: readonly Profile[] = ['vaccine-transport', 'patient-vitals', 'temperature-probe'];

function limits(v: unknown): Record<string, FieldLimit> | null {
  if (!isObj(v)) return null;
  const out: Record<string, FieldLimit> = {};
  for (const [k, x] of Object.entries(v)) {
    if (!isObj(x)) continue;
    const l: FieldLimit = {};
    if (typeof x.min === 'number') l.min = x.min;
    if (typeof x.max === 'number') l.max = x.max;
    out[k] = l;
  }
  return out;
}

/**
 * A device from the list (`{ id, …, latest?, alarm? }`) or the detail answer
 * (`{ device: {…}, latest }`). `latest` stays `undefined` in the result's `hasLatest` flag when
 * the answer did not carry it, so the caller knows to fetch the detail.
 */
export function normDevice(raw: unknown): { device: Device; hasLatest: boolean } | null {
  if (!isObj(raw)) return null;
  const d = isObj(raw.device) ? raw.device : raw;
  if (typeof d.id !== 'string') return null;
  const latestRaw = 'latest' in raw ? raw.latest : 'latest' in d ? d.latest : undefined;
  const profile = PROFILES.includes(d.profile as Profile) ? (d.profile as Profile) : 'temperature-probe';
  const status = d.status === 'disabled' || d.status === 'revoked' ? d.status : 'enabled';
  return {
    hasLatest: latestRaw !== undefined,
    device: {
      id: d.id,
      profile,
      status,
      alg: typeof d.alg === 'string' ? d.alg : '',
      online: d.online === true,
      lastSeenAt: toMs(d.lastSeenAt),
      createdAt: toMs(d.createdAt),
      certNotAfter: toMs(d.certNotAfter),
      latest: latestRaw === undefined ? null : normReading(latestRaw),
      alarm: d.alarm === 'open' ? 'open' : 'none',
      limits: limits(d.limits),
    },
  };
}

export function normAlarm(raw: unknown): Alarm | null {
  if (!isObj(raw) || (typeof raw.id !== 'string' && typeof raw.id !== 'number')) return null;
  const ack = isObj(raw.ack)
    ? {
        by:
          typeof raw.ack.by === 'string'
            ? raw.ack.by
            : typeof raw.ack.actor === 'string'
              ? raw.ack.actor
              : null,
        at: toMs(raw.ack.at ?? raw.ack.ts),
        reason: typeof raw.ack.reason === 'string' ? raw.ack.reason : null,
      }
    : null;
  return {
    id: String(raw.id),
    rule: typeof raw.rule === 'string' ? raw.rule : 'alarm',
    subject: typeof raw.subject === 'string' ? raw.subject : '',
    state: typeof raw.state === 'string' ? raw.state : 'open',
    severity: typeof raw.severity === 'string' ? raw.severity : null,
    tier: typeof raw.tier === 'string' ? raw.tier : null,
    startedAt: toMs(raw.startedAt),
    raisedAt: toMs(raw.raisedAt),
    endedAt: toMs(raw.endedAt ?? raw.clearedAt ?? raw.closedAt),
    message: typeof raw.message === 'string' ? raw.message : '',
    ack,
    disproved: isObj(raw.disproved)
      ? {
          at: toMs(raw.disproved.at),
          reason: typeof raw.disproved.reason === 'string' ? raw.disproved.reason : '',
        }
      : null,
  };
}

/** The device id a live reading belongs to. */
export function readingDeviceId(raw: unknown): string | null {
  if (!isObj(raw)) return null;
  for (const k of ['deviceId', 'device', 'dev', 'id'])
    if (typeof raw[k] === 'string') return raw[k] as string;
  return null;
}

/** Whether an alarm still needs attention: open (not cleared) and not acknowledged. */
export function alarmActive(a: Alarm): boolean {
  return a.state !== 'closed' && a.state !== 'cleared' && a.state !== 'resolved';
}
