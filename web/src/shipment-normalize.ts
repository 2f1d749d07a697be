/**
 * Shipments as the pages see them, from `GET /api/v1/shipments` and `GET /api/v1/shipments/:id`
 * (src/shipments/shipment.ts, src/api/routes/shipments*.ts). The summary fields are read under
 * either spelling (`mktC` or `mkt_c`, `timeAboveMs` or `time_above_ms`), flat on the shipment or
 * under `summary`, and times as epoch ms or ISO strings, so the pages do not depend on which the
 * server sends.
 */
import { normAlarm, toMs } from './normalize.ts';
import type { Alarm } from './types.ts';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** `mkt_c` → `mktC`. */
const camel = (k: string) => k.replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase());
/** `mktC` → `mkt_c`. */
const snake = (k: string) => k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/** The first of `keys` (each tried in camelCase and snake_case) present on `o`. */
function pick(o: Obj | null | undefined, ...keys: string[]): unknown {
  if (!o) return undefined;
  for (const k of keys) {
    for (const variant of [k, camel(k), snake(k)]) {
      if (Object.hasOwn(o, variant) && o[variant] !== undefined) return o[variant];
    }
  }
  return undefined;
}

const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);
const fin = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

export type ShipmentState = 'planned' | 'in_transit' | 'delivered' | 'closed' | 'quarantined' | 'released';
export const SHIPMENT_STATES: readonly ShipmentState[] = [
  'planned',
  'in_transit',
  'delivered',
  'closed',
  'quarantined',
  'released',
];

/** States a quality decision may be taken from (src/shipments/shipment.ts DECIDABLE_STATES). */
export const DECIDABLE: readonly string[] = ['delivered', 'closed', 'quarantined'];

export interface Place {
  name: string;
  lat: number | null;
  lon: number | null;
}

export interface LatLon {
  lat: number;
  lon: number;
}

export interface BatchView {
  lot: string;
  product: string;
  quantity: number | null;
  vvm: string | null;
}

export interface ExcursionView {
  kind: 'above' | 'below';
  start: number;
  end: number;
  peakC: number | null;
  durationMs: number | null;
  ongoing: boolean;
}

export interface CustodyView {
  at: number;
  action: string;
  actor: string | null;
  detail: Record<string, unknown>;
}

/** The temperature range the shipment must stay in, °C, both ends in range. */
export interface TempRange {
  lowerC: number;
  upperC: number;
}

/** A shipment with what the list and the detail page show. */
export interface ShipmentView {
  id: string;
  deviceId: string;
  state: string;
  /** Preset name (`refrigerated`) or the custom profile's name. */
  profileName: string;
  range: TempRange | null;
  batches: BatchView[];
  origin: Place | null;
  destination: Place | null;
  plannedRoute: LatLon[];
  eta: number | null;
  dispatch: { at: number; batchId: string | null; receivedAt: number | null } | null;
  delivery: {
    at: number;
    by: string | null;
    lat: number | null;
    lon: number | null;
    fixAt: number | null;
  } | null;
  closedAt: number | null;
  decision: { state: string; by: string | null; at: number | null; reason: string; meaning: string } | null;
  createdAt: number | null;
  createdBy: string | null;
  /** Summary figures; null where the server did not send them. */
  mktC: number | null;
  timeAboveMs: number | null;
  timeBelowMs: number | null;
  /** Total time out of range (above plus below), null when not sent. */
  timeOutMs: number | null;
  minC: number | null;
  maxC: number | null;
  readingCount: number | null;
  /** null: not sent (the page derives them from the readings). */
  excursions: ExcursionView[] | null;
  /** null: not sent (the page asks `/alarms`). */
  alarms: Alarm[] | null;
  /** Open or total alarm count when only a number is sent (lists). */
  alarmCount: number | null;
  custody: CustodyView[] | null;
  /** The trip window as the server computed it (dispatch to delivery, close or now). */
  trip: { from: number; to: number } | null;
  /** Report links offered by the server, when it lists them. */
  reports: { pdf: string | null; csv: string | null } | null;
}

/** Ranges of the presets (src/coldchain/profiles.ts), for when the server sends only the name. */
export const PRESET_RANGES: Record<string, TempRange> = {
  refrigerated: { lowerC: 2, upperC: 8 },
  frozen: { lowerC: -25, upperC: -15 },
  'ultra-cold': { lowerC: -90, upperC: -60 },
  crt: { lowerC: 15, upperC: 25 },
};

export const PRESET_LABELS: Record<string, string> = {
  refrigerated: 'Refrigerated 2–8 °C',
  frozen: 'Frozen −25 to −15 °C',
  'ultra-cold': 'Ultra-cold −90 to −60 °C',
  crt: 'Room temperature 15–25 °C',
  custom: 'Custom',
};

function place(v: unknown): Place | null {
  if (typeof v === 'string' && v) return { name: v, lat: null, lon: null };
  if (!isObj(v)) return null;
  const name = str(v.name) ?? '';
  const lat = fin(v.lat);
  const lon = fin(v.lon ?? v.lng);
  if (!name && lat === null) return null;
  return { name, lat, lon };
}

function latLon(v: unknown): LatLon | null {
  if (Array.isArray(v) && typeof v[0] === 'number' && typeof v[1] === 'number')
    return { lat: v[0], lon: v[1] };
  if (!isObj(v)) return null;
  const lat = fin(v.lat);
  const lon = fin(v.lon ?? v.lng);
  return lat !== null && lon !== null ? { lat, lon } : null;
}

function range(o: Obj | null): TempRange | null {
  if (!o) return null;
  const lo = fin(pick(o, 'lowerC', 'minC', 'min'));
  const hi = fin(pick(o, 'upperC', 'maxC', 'max'));
  return lo !== null && hi !== null && lo < hi ? { lowerC: lo, upperC: hi } : null;
}

function profileOf(raw: Obj, s: Obj, summary: Obj | null): { name: string; range: TempRange | null } {
  const p = s.profile;
  // The detail answer carries the resolved profile beside the shipment: `{ shipment, profile: { name, lowerC, upperC } }`.
  const top = raw !== s && isObj(raw.profile) ? raw.profile : null;
  const resolved = [
    top,
    pick(raw, 'profileLimits'),
    pick(s, 'profileLimits'),
    pick(s, 'resolvedProfile'),
    pick(summary, 'profileLimits'),
    pick(summary, 'profile'),
    pick(summary, 'range'),
    p,
  ]
    .filter(isObj)
    .map(range)
    .find((r) => r !== null);
  let name = 'custom';
  if (typeof p === 'string') name = p;
  else if (top && (str(top.preset) ?? str(top.name)))
    name =
      str(top.preset) === 'custom'
        ? (str(top.name) ?? 'custom')
        : (str(top.preset) ?? str(top.name) ?? 'custom');
  else if (isObj(p)) name = str(p.name) ?? str(p.preset) ?? 'custom';
  else {
    const n = str(pick(s, 'profileName'));
    if (n) name = n;
  }
  return { name, range: resolved ?? PRESET_RANGES[name] ?? null };
}

function excursion(v: unknown): ExcursionView | null {
  if (!isObj(v)) return null;
  const start = toMs(pick(v, 'start', 'startedAt', 'from'));
  const end = toMs(pick(v, 'end', 'endedAt', 'to'));
  if (start === null) return null;
  const kind = pick(v, 'kind') === 'below' ? 'below' : 'above';
  return {
    kind,
    start,
    end: end ?? start,
    peakC: fin(pick(v, 'peakC', 'peak')),
    durationMs: fin(pick(v, 'durationMs')),
    ongoing: pick(v, 'ongoing') === true,
  };
}

function custody(v: unknown): CustodyView | null {
  if (!isObj(v)) return null;
  const at = toMs(pick(v, 'at', 'ts', 'time'));
  const action = str(pick(v, 'action', 'type', 'event'));
  if (at === null || !action) return null;
  const actor = str(pick(v, 'actor', 'by'));
  const detail = isObj(v.detail) ? v.detail : {};
  return { at, action, actor, detail };
}

/** Shallow snake_case → camelCase of an object (and of its `ack`), for alarms in the CLI-style view. */
function camelize(v: unknown): unknown {
  if (!isObj(v)) return v;
  const out: Obj = {};
  for (const [k, x] of Object.entries(v)) out[camel(k)] = k === 'ack' ? camelize(x) : x;
  if (out.resolvedAt !== undefined && out.endedAt === undefined) out.endedAt = out.resolvedAt;
  return out;
}

function list<T>(v: unknown, f: (x: unknown) => T | null): T[] | null {
  if (!Array.isArray(v)) return null;
  return v.map(f).filter((x): x is T => x !== null);
}

/** A shipment from a list row or a detail answer (`{ shipment, summary?, alarms?, custody? }`). */
export function normShipment(raw: unknown): ShipmentView | null {
  if (!isObj(raw)) return null;
  const s = isObj(raw.shipment) ? raw.shipment : raw;
  const id = str(s.id);
  if (!id) return null;
  const summary = [raw.summary, s.summary, raw.facts].find(isObj) ?? null;
  // Summary figures may sit on the summary object, the answer, or the shipment itself.
  const fig = (...keys: string[]) => {
    for (const o of [summary, raw, s]) {
      const v = pick(o, ...keys);
      if (v !== undefined && v !== null) return v;
    }
    return undefined;
  };
  const { name, range: r } = profileOf(raw, s, summary);
  const dispatchRaw = pick(s, 'dispatch');
  const dispatchAt = isObj(dispatchRaw) ? toMs(pick(dispatchRaw, 'at', 'ts')) : null;
  const deliveryRaw = pick(s, 'delivery');
  const deliveryAt = isObj(deliveryRaw) ? toMs(pick(deliveryRaw, 'at', 'ts')) : null;
  const decisionRaw = pick(s, 'decision');
  const alarmsRaw = fig('alarms');
  const alarms = Array.isArray(alarmsRaw) ? list(alarmsRaw, (a) => normAlarm(camelize(a))) : null;
  const countRaw = fig('alarmCount', 'alarmsCount', 'openAlarms');
  const reportsRaw = fig('reports', 'links');
  // `time_out_of_range: { above_ms, below_ms }` (CLI view) or flat `timeAboveMs` / `timeBelowMs`.
  const tour = fig('timeOutOfRange');
  const tourObj = isObj(tour) ? tour : null;
  const toutAbove = fin(fig('timeAboveMs')) ?? fin(pick(tourObj, 'aboveMs'));
  const toutBelow = fin(fig('timeBelowMs')) ?? fin(pick(tourObj, 'belowMs'));
  const toutTotal = fin(fig('timeOutOfRangeMs', 'timeOutMs')) ?? fin(tour) ?? fin(pick(tourObj, 'totalMs'));
  const trip = fig('trip', 'window');
  const tripFrom = isObj(trip) ? toMs(trip.from) : null;
  const tripTo = isObj(trip) ? toMs(trip.to) : null;
  return {
    id,
    deviceId: str(pick(s, 'deviceId', 'device')) ?? '',
    state: str(s.state) ?? 'planned',
    profileName: name,
    range: r,
    batches:
      list(pick(s, 'batches'), (b) =>
        isObj(b)
          ? {
              lot: str(b.lot) ?? '',
              product: str(b.product) ?? '',
              quantity: fin(b.quantity),
              vvm: str(b.vvm),
            }
          : null,
      ) ?? [],
    origin: place(s.origin),
    destination: place(s.destination),
    plannedRoute: list(pick(s, 'plannedRoute', 'route'), latLon) ?? [],
    eta: toMs(s.eta),
    dispatch:
      isObj(dispatchRaw) && dispatchAt !== null
        ? {
            at: dispatchAt,
            batchId: str(pick(dispatchRaw, 'batchId', 'batch')),
            receivedAt: toMs(pick(dispatchRaw, 'receivedAt')),
          }
        : null,
    delivery:
      isObj(deliveryRaw) && deliveryAt !== null
        ? {
            at: deliveryAt,
            by: str(pick(deliveryRaw, 'by', 'actor')),
            lat: fin(deliveryRaw.lat),
            lon: fin(deliveryRaw.lon),
            fixAt: toMs(pick(deliveryRaw, 'fixAt')),
          }
        : null,
    closedAt: toMs(pick(s, 'closedAt')),
    decision: isObj(decisionRaw)
      ? {
          state: str(decisionRaw.state) ?? '',
          by: str(pick(decisionRaw, 'by', 'actor')),
          at: toMs(decisionRaw.at),
          reason: str(decisionRaw.reason) ?? '',
          meaning: str(decisionRaw.meaning) ?? '',
        }
      : null,
    createdAt: toMs(pick(s, 'createdAt')),
    createdBy: str(pick(s, 'createdBy')),
    mktC: fin(fig('mktC', 'mkt')),
    timeAboveMs: toutAbove,
    timeBelowMs: toutBelow,
    minC: fin(fig('minC')),
    maxC: fin(fig('maxC')),
    readingCount: fin(fig('readingCount', 'readings')),
    excursions: list(fig('excursions'), excursion),
    alarms,
    alarmCount: fin(countRaw) ?? (Array.isArray(countRaw) ? countRaw.length : (alarms?.length ?? null)),
    custody: list(fig('custody', 'custodyTimeline', 'timeline', 'events'), custody),
    trip: tripFrom !== null && tripTo !== null && tripTo > tripFrom ? { from: tripFrom, to: tripTo } : null,
    reports: isObj(reportsRaw) ? { pdf: str(reportsRaw.pdf), csv: str(reportsRaw.csv) } : null,
    timeOutMs:
      toutTotal ?? (toutAbove !== null || toutBelow !== null ? (toutAbove ?? 0) + (toutBelow ?? 0) : null),
  };
}

/** The trip window: dispatch (or creation) to delivery, closing, or now. */
export function tripWindow(s: ShipmentView, now = Date.now()): { from: number; to: number } | null {
  if (s.trip && s.state !== 'in_transit') return s.trip;
  const from = s.dispatch?.at ?? null;
  if (from === null) return null;
  const end = s.delivery?.at ?? s.closedAt ?? now;
  return { from, to: Math.max(end, from + 60_000) };
}

/** Excursions of a temperature series against a range (when the server sent none). */
export function excursionsFrom(points: { ts: number; tempC: number }[], r: TempRange): ExcursionView[] {
  const out: ExcursionView[] = [];
  let cur: ExcursionView | null = null;
  for (const p of points) {
    const kind = p.tempC > r.upperC ? 'above' : p.tempC < r.lowerC ? 'below' : null;
    if (cur && cur.kind !== kind) {
      cur.end = p.ts;
      cur.durationMs = cur.end - cur.start;
      cur.ongoing = false;
      out.push(cur);
      cur = null;
    }
    if (kind && !cur) cur = { kind, start: p.ts, end: p.ts, peakC: p.tempC, durationMs: 0, ongoing: true };
    else if (kind && cur && cur.peakC !== null)
      cur.peakC = kind === 'above' ? Math.max(cur.peakC, p.tempC) : Math.min(cur.peakC, p.tempC);
    if (cur) cur.end = p.ts;
  }
  if (cur) {
    cur.durationMs = cur.end - cur.start;
    out.push(cur);
  }
  return out;
}
