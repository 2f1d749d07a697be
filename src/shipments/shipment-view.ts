/**
 * Shipments as the API (src/api/shipment-schemas.ts), the live dashboard and
 * `vigil shipment ... --json` show them: one shape, times as ISO 8601 UTC strings. Neither view
 * holds the delivery token or its hash.
 */
import { alarmView } from '../alarms/alarm-view.ts';
import { profileOverrides } from '../coldchain/policy-overrides.ts';
import { iso, isoOrNull } from '../iso-time.ts';
import type { Shipment } from './shipment.ts';
import type { ShipmentDetail } from './shipment-detail.ts';

/** One shipment without its cold-chain record (lists, `shipment create`, after a change). */
export function shipmentView(s: Shipment) {
  return {
    id: s.id,
    deviceId: s.deviceId,
    state: s.state,
    // as given: a preset name, or the custom limits object
    profile: s.profile,
    batches: s.batches,
    origin: s.origin,
    destination: s.destination,
    plannedRoute: s.plannedRoute,
    eta: isoOrNull(s.eta),
    dispatch: s.dispatch
      ? { at: iso(s.dispatch.at), batchId: s.dispatch.batchId, receivedAt: iso(s.dispatch.receivedAt) }
      : null,
    delivery: s.delivery
      ? {
          at: iso(s.delivery.at),
          by: s.delivery.by,
          lat: s.delivery.lat,
          lon: s.delivery.lon,
          fixAt: isoOrNull(s.delivery.fixAt),
        }
      : null,
    closedAt: isoOrNull(s.closedAt),
    decision: s.decision
      ? {
          state: s.decision.state,
          by: s.decision.by,
          at: iso(s.decision.at),
          reason: s.decision.reason,
          meaning: s.decision.meaning,
        }
      : null,
    createdAt: iso(s.createdAt),
    createdBy: s.createdBy,
    updatedAt: iso(s.updatedAt),
  };
}

/**
 * A shipment's alarm policy (docs/alarms.md) and which of its settings are the shipment's own
 * (dotted paths that differ from the preset's defaults): the API's `profile.policy`, and the CLI's.
 */
export function shipmentPolicyView(p: ShipmentDetail['profile']) {
  return {
    warning: p.tiers.warning,
    critical: p.tiers.critical,
    regulatory: {
      heat: p.heat,
      freeze: p.freezeSensitive ? p.freeze : null,
      budgets: [...p.budgets],
    },
    hysteresisC: p.hysteresisC,
    mergeGapMinutes: p.mergeGapMinutes,
    overrides: profileOverrides(p),
  };
}

/** A shipment and its cold-chain record (`GET /api/v1/shipments/:id`, `vigil shipment show ID --json`). */
export function shipmentDetailView(d: ShipmentDetail) {
  const sum = d.summary;
  return {
    shipment: shipmentView(d.shipment),
    profile: {
      name: d.profile.name,
      preset: d.profile.preset,
      lowerC: d.profile.lowerC,
      upperC: d.profile.upperC,
      policy: shipmentPolicyView(d.profile),
    },
    trip: d.window ? { from: iso(d.window.from), to: iso(d.window.to) } : null,
    summary: {
      readings: sum.readingCount,
      truncated: d.truncated,
      minC: sum.minC,
      maxC: sum.maxC,
      mktC: sum.mktC,
      timeOutOfRange: { aboveMs: sum.timeAboveMs, belowMs: sum.timeBelowMs },
      excursions: sum.excursions.map((e) => ({
        kind: e.kind,
        start: iso(e.start),
        end: iso(e.end),
        durationMs: e.durationMs,
        peakC: e.peakC,
        ongoing: e.ongoing,
        parts: e.parts,
      })),
      gaps: sum.gaps.map((g) => ({ start: iso(g.start), end: iso(g.end), durationMs: g.durationMs })),
    },
    alarms: d.alarms.map(alarmView),
    custody: d.custody.map((e) => ({ at: iso(e.at), action: e.action, actor: e.actor, detail: e.detail })),
  };
}
