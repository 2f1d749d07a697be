/**
 * Device power for the continuity page (pure): battery runtime from the discharge slope, and the
 * in-transit shipments whose logger will run out before the planned arrival.
 */

/** Samples of the last this-long on battery estimate the slope. */
export const SLOPE_WINDOW_MS = 2 * 3_600_000;

export interface BatteryPoint {
  ts: number;
  batPct: number;
}

export interface RuntimeEstimate {
  /** Least-squares slope of bat_pct over time, % per hour (negative while discharging). */
  slopePctPerHour: number;
  /** Hours until 0 % at that slope from the latest sample; null when not discharging. */
  runtimeHours: number | null;
  /** When the battery reaches 0 % (ms), null when not discharging. */
  emptyAt: number | null;
}

/**
 * Ordinary least squares of battery percentage against time over the points given (at least 3
 * spanning 10 minutes); null when there are too few to say.
 */
export function estimateRuntime(points: readonly BatteryPoint[]): RuntimeEstimate | null {
  if (points.length < 3) return null;
  const sorted = [...points].sort((a, b) => a.ts - b.ts);
  const first = sorted[0] as BatteryPoint;
  const last = sorted[sorted.length - 1] as BatteryPoint;
  if (last.ts - first.ts < 600_000) return null;
  const n = sorted.length;
  const xs = sorted.map((p) => (p.ts - first.ts) / 3_600_000);
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = sorted.reduce((a, p) => a + p.batPct, 0) / n;
  let sxy = 0;
  let sxx = 0;
  for (const [i, p] of sorted.entries()) {
    const dx = (xs[i] as number) - mx;
    sxy += dx * (p.batPct - my);
    sxx += dx * dx;
  }
  if (sxx === 0) return null;
  const slope = sxy / sxx;
  if (!(slope < 0)) return { slopePctPerHour: slope, runtimeHours: null, emptyAt: null };
  const hours = last.batPct / -slope;
  return { slopePctPerHour: slope, runtimeHours: hours, emptyAt: last.ts + hours * 3_600_000 };
}

/** An in-transit shipment whose logger empties before the planned arrival. */
export interface ShipmentPowerWarning {
  shipmentId: string;
  deviceId: string;
  plannedArrival: number;
  emptyAt: number;
}

export function shipmentPowerWarnings(
  shipments: readonly { id: string; deviceId: string; eta: number | null }[],
  emptyAt: (deviceId: string) => number | null,
): ShipmentPowerWarning[] {
  const out: ShipmentPowerWarning[] = [];
  for (const s of shipments) {
    const e = emptyAt(s.deviceId);
    if (s.eta !== null && e !== null && e < s.eta) {
      out.push({ shipmentId: s.id, deviceId: s.deviceId, plannedArrival: s.eta, emptyAt: e });
    }
  }
  return out;
}
