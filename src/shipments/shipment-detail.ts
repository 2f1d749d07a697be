/**
 * Everything known about one shipment: the record, the trip's readings summarised against its
 * profile (MKT, time out of range, excursions), the alarms of its device within the trip window,
 * and the chain of custody. The same facts feed `vigil shipment show`, the API and the report.
 */
import type { AlarmRecord, AlarmStore } from '../alarms/alarm-store.ts';
import type { TemperatureProfile } from '../coldchain/profiles.ts';
import { summarize, type TemperatureSummary } from '../coldchain/summarize.ts';
import type { ShipmentReportInput } from '../reports/report-model.ts';
import { alarmTier } from '../rules/tier-rules.ts';
import type { ReadingRecord, Store } from '../storage/store.ts';
import type { CustodyEvent, Shipment } from './shipment.ts';
import type { ShipmentService } from './shipment-service.ts';
import { shipmentProfile, tripWindow } from './trip.ts';
import { type TripWindow, tripReadings } from './trip-readings.ts';

export interface ShipmentDetail {
  shipment: Shipment;
  profile: TemperatureProfile;
  /** [dispatch, delivery] (or the close, or now while in transit); null before dispatch. */
  window: TripWindow | null;
  /** The trip's readings, oldest first (empty before dispatch). */
  readings: ReadingRecord[];
  /** More readings than one trip may hold: the summary covers the first part only. */
  truncated: boolean;
  summary: TemperatureSummary;
  /** Alarms of the device (or the shipment) active at any time within the trip window. */
  alarms: AlarmRecord[];
  custody: CustodyEvent[];
}

export interface DetailDeps {
  service: Pick<ShipmentService, 'get' | 'custody'>;
  store: Pick<Store, 'queryReadings'>;
  alarms?: Pick<AlarmStore, 'list'> | undefined;
  clock: () => number;
}

/** True when the alarm was active at some time within the window. */
function overlaps(a: AlarmRecord, w: TripWindow): boolean {
  return a.startedAt <= w.to && (a.resolvedAt ?? Number.POSITIVE_INFINITY) >= w.from;
}

/** Loads and summarises one shipment. VIGIL_ERR_NOT_FOUND for an unknown id. */
export async function loadShipmentDetail(d: DetailDeps, id: string): Promise<ShipmentDetail> {
  const shipment = await d.service.get(id);
  const profile = shipmentProfile(shipment);
  const window = tripWindow(shipment, d.clock());
  const { readings, truncated } = window
    ? await tripReadings(d.store, shipment.deviceId, window)
    : { readings: [], truncated: false };
  let alarms: AlarmRecord[] = [];
  if (window && d.alarms) {
    const lists = await Promise.all(
      [shipment.deviceId, shipment.id].map((subject) => d.alarms?.list({ subject, limit: 1000 }) ?? []),
    );
    alarms = lists
      .flat()
      .filter((a) => overlaps(a, window))
      .sort((a, b) => a.raisedAt - b.raisedAt || a.id.localeCompare(b.id));
  }
  return {
    shipment,
    profile,
    window,
    readings,
    truncated,
    summary: summarize(readings, profile),
    alarms,
    custody: (await d.service.custody(shipment.id)).map((e) => ({ ...e, detail: custodyDetail(e.detail) })),
  };
}

/** A time in a custody detail: the key `at`, or one ending in `_at`. */
const TIME_KEY = /(^|_)at$/;

/**
 * Custody details with every time as ISO 8601 UTC: details are written that way, but records from
 * before held epoch milliseconds, and every view (API, CLI, report) shows one form.
 */
export function custodyDetail(detail: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(detail))
    out[k] = TIME_KEY.test(k) && typeof v === 'number' && Number.isFinite(v) ? new Date(v).toISOString() : v;
  return out;
}

/** Custody details as one line of text (report and CLI); keys in a fixed order, never a token. */
export function custodyText(detail: Record<string, unknown>): string {
  return Object.entries(detail)
    .filter(([, v]) => v !== null && v !== undefined && typeof v !== 'object')
    .map(([k, v]) => `${k}=${String(v)}`)
    .join(' ');
}

function tierOf(rule: string): { tier?: 'warning' | 'critical' | 'regulatory' } {
  const tier = alarmTier(rule);
  return tier ? { tier } : {};
}

/** The report generator's input (src/reports) for a loaded shipment. */
export function shipmentReportInput(
  d: ShipmentDetail,
  generatedAt: number,
  generatedBy: string,
): ShipmentReportInput {
  const s = d.shipment;
  const points: ShipmentReportInput['readings'][number][] = [];
  for (const r of d.readings) {
    const t = r.data.temp_c;
    if (typeof t === 'number' && Number.isFinite(t))
      points.push({ ts: r.ts, tempC: t, backfill: r.backfill });
  }
  points.sort((a, b) => a.ts - b.ts);
  return {
    shipment: {
      id: s.id,
      state: s.state,
      profile: d.profile,
      deviceId: s.deviceId,
      batches: s.batches.map((b) => ({
        lot: b.lot,
        product: b.product,
        quantity: b.quantity,
        ...(b.vvm ? { vvm: b.vvm } : {}),
      })),
      origin: s.origin.name,
      destination: s.destination.name,
      ...(s.dispatch ? { dispatch: { at: s.dispatch.at, batchId: s.dispatch.batchId } } : {}),
      ...(s.delivery
        ? {
            delivery: {
              at: s.delivery.at,
              by: s.delivery.by,
              ...(s.delivery.lat !== null ? { lat: s.delivery.lat } : {}),
              ...(s.delivery.lon !== null ? { lon: s.delivery.lon } : {}),
            },
          }
        : {}),
      ...(s.decision
        ? {
            decision: {
              state: s.decision.state,
              by: s.decision.by,
              at: s.decision.at,
              reason: s.decision.reason,
            },
          }
        : {}),
    },
    readings: points,
    summary: d.summary,
    alarms: d.alarms.map((a) => ({
      id: a.id,
      rule: a.rule,
      severity: a.severity,
      state: a.state,
      startedAt: a.startedAt,
      raisedAt: a.raisedAt,
      ...(a.resolvedAt !== null ? { resolvedAt: a.resolvedAt } : {}),
      detectedLate: a.detectedLate,
      message: a.message,
      ...(a.ack ? { ack: { by: a.ack.by, at: a.ack.at, reason: a.ack.reason, meaning: a.ack.meaning } } : {}),
      ...tierOf(a.rule),
      ...(a.disproved ? { disproved: { at: a.disproved.at, reason: a.disproved.reason } } : {}),
    })),
    custody: d.custody.map((e) => ({
      at: e.at,
      actor: e.actor,
      action: e.action,
      detail: custodyText(e.detail),
    })),
    generatedAt,
    generatedBy,
  };
}
