/**
 * Shipments as `vigil shipment ... --json` prints them: snake_case keys and ISO 8601 UTC times,
 * like `vigil readings --json`. Neither view holds the delivery token or its hash.
 */
import { alarmViewIso } from '../alarms/alarm-view.ts';
import type { Excursion } from '../coldchain/excursions.ts';
import { profileOverrides } from '../coldchain/policy-overrides.ts';
import type { Shipment } from './shipment.ts';
import type { ShipmentDetail } from './shipment-detail.ts';

const iso = (ms: number | null | undefined): string | null =>
  ms === null || ms === undefined ? null : new Date(ms).toISOString();

/** One shipment without its cold-chain record (`shipment list`, `shipment create`). */
export function shipmentCliView(s: Shipment): Record<string, unknown> {
  return {
    id: s.id,
    state: s.state,
    device: s.deviceId,
    // as given: a preset name, or the custom limits object
    profile: s.profile,
    batches: s.batches,
    origin: s.origin,
    destination: s.destination,
    planned_route: s.plannedRoute,
    eta: iso(s.eta),
    dispatch: s.dispatch
      ? { at: iso(s.dispatch.at), batch_id: s.dispatch.batchId, received_at: iso(s.dispatch.receivedAt) }
      : null,
    delivery: s.delivery
      ? {
          at: iso(s.delivery.at),
          by: s.delivery.by,
          lat: s.delivery.lat,
          lon: s.delivery.lon,
          fix_at: iso(s.delivery.fixAt),
        }
      : null,
    closed_at: iso(s.closedAt),
    decision: s.decision
      ? {
          state: s.decision.state,
          by: s.decision.by,
          at: iso(s.decision.at),
          reason: s.decision.reason,
          meaning: s.decision.meaning,
        }
      : null,
    created_at: iso(s.createdAt),
    created_by: s.createdBy,
  };
}

function excursionView(e: Excursion): Record<string, unknown> {
  return {
    kind: e.kind,
    start: iso(e.start),
    end: iso(e.end),
    duration_ms: e.durationMs,
    peak_c: e.peakC,
    ongoing: e.ongoing,
    merged_parts: e.parts,
  };
}

/** `{ rawAt: 1 }` -> `{ raw_at: 1 }`, nested objects too (the CLI's JSON speaks snake_case). */
function snakeKeys(v: unknown): unknown {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return v;
  return Object.fromEntries(
    Object.entries(v).map(([k, x]) => [k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`), snakeKeys(x)]),
  );
}

/** `vigil shipment show ID --json`: the shipment and its cold-chain record. */
export function shipmentDetailCliView(d: ShipmentDetail): Record<string, unknown> {
  const sum = d.summary;
  return {
    ...shipmentCliView(d.shipment),
    profile_limits: { name: d.profile.name, lower_c: d.profile.lowerC, upper_c: d.profile.upperC },
    alarm_policy: {
      warning: d.profile.tiers.warning,
      critical: d.profile.tiers.critical,
      regulatory: {
        heat: d.profile.heat,
        freeze: d.profile.freezeSensitive ? d.profile.freeze : null,
        budgets: d.profile.budgets,
      },
      hysteresis_c: d.profile.hysteresisC,
      merge_gap_minutes: d.profile.mergeGapMinutes,
      overrides: profileOverrides(d.profile),
    },
    trip: d.window ? { from: iso(d.window.from), to: iso(d.window.to) } : null,
    readings: sum.readingCount,
    readings_truncated: d.truncated,
    min_c: sum.minC,
    max_c: sum.maxC,
    mkt_c: sum.mktC,
    time_out_of_range: { above_ms: sum.timeAboveMs, below_ms: sum.timeBelowMs },
    excursions: sum.excursions.map(excursionView),
    data_gaps: sum.gaps.map((g) => ({ start: iso(g.start), end: iso(g.end), duration_ms: g.durationMs })),
    alarms: d.alarms.map((a) => snakeKeys(alarmViewIso(a))),
    custody: d.custody.map((e) => ({ at: iso(e.at), action: e.action, actor: e.actor, detail: e.detail })),
  };
}
