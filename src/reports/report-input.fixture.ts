/**
 * A synthetic 30-day shipment at 1-minute sampling for report tests and screenshots: 2-8 °C with a
 * daily swing, one 11-hour heat excursion (peak 11.8 °C) that raised the heat alarm, a 45-minute
 * data gap, and three hours of backfilled readings. Deterministic (a fixed LCG, no clock).
 */
import { HOUR_MS, MINUTE_MS, presetProfile } from '../coldchain/profiles.ts';
import { summarize } from '../coldchain/summarize.ts';
import type { ReportReading, ShipmentReportInput } from './report-model.ts';

export const T0 = Date.UTC(2026, 10, 2, 6, 0, 0); // 2 Nov 2026 06:00 UTC
const DAY = 24 * HOUR_MS;

/** Options of {@link syntheticReportInput}. */
export interface SyntheticOptions {
  days?: number;
  stepMs?: number;
}

export function syntheticReportInput(opts: SyntheticOptions = {}): ShipmentReportInput {
  const days = opts.days ?? 30;
  const step = opts.stepMs ?? MINUTE_MS;
  const profile = presetProfile('refrigerated');
  let seed = 0x2545f491;
  const rand = () => {
    seed = (Math.imul(seed, 1_103_515_245) + 12_345) >>> 0;
    return seed / 0x1_0000_0000;
  };
  const excStart = T0 + 12 * DAY + 3 * HOUR_MS;
  const excEnd = excStart + 11 * HOUR_MS;
  const gapStart = T0 + 24 * DAY + 15 * HOUR_MS;
  const gapEnd = gapStart + 45 * MINUTE_MS;
  const backfillFrom = T0 + 19 * DAY + 2 * HOUR_MS;
  const backfillTo = backfillFrom + 3 * HOUR_MS;
  const readings: ReportReading[] = [];
  const end = T0 + days * DAY;
  for (let ts = T0; ts <= end; ts += step) {
    if (ts > gapStart && ts < gapEnd) continue;
    const dayPhase = ((ts - T0) % DAY) / DAY;
    let t = 5 + 1.1 * Math.sin(2 * Math.PI * dayPhase) + (rand() - 0.5) * 0.3;
    if (ts >= excStart - 40 * MINUTE_MS && ts < excEnd + 40 * MINUTE_MS) {
      // a failed cooling unit: ramp up, plateau near 11 °C, recover
      const up = Math.min(1, (ts - (excStart - 40 * MINUTE_MS)) / (60 * MINUTE_MS));
      const down = Math.min(1, (excEnd + 40 * MINUTE_MS - ts) / (60 * MINUTE_MS));
      t += Math.min(up, down) * 5.6;
    }
    readings.push({
      ts,
      tempC: Math.round(t * 100) / 100,
      backfill: ts >= backfillFrom && ts < backfillTo,
    });
  }
  const summary = summarize(
    readings.map((r) => ({ ts: r.ts, data: { temp_c: r.tempC } })),
    profile,
  );
  const heat = summary.excursions.find((e) => e.kind === 'above');
  const first = readings[0] as ReportReading;
  const last = readings[readings.length - 1] as ReportReading;
  return {
    shipment: {
      id: 'SHP-2026-0042',
      state: 'released',
      profile,
      deviceId: 'truck-007',
      batches: [
        { lot: 'MR-24117', product: 'Measles-rubella vaccine, 10-dose vial', quantity: 4800, vvm: 'VVM14' },
        { lot: 'PCV-5521', product: 'Pneumococcal conjugate vaccine (PCV13)', quantity: 2400, vvm: 'VVM30' },
        { lot: 'DTP-0930', product: 'DTP-HepB-Hib pentavalent', quantity: 3600 },
      ],
      origin: 'Central vaccine store, Lyon',
      destination: 'Regional depot, Dakar',
      dispatch: { at: first.ts, batchId: 'B7Q2-KX9M' },
      delivery: { at: last.ts, by: 'r.ndiaye (receiver)', lat: 14.69281, lon: -17.44671 },
      decision: {
        state: 'released',
        by: 'qa.martin',
        at: last.ts + 5 * HOUR_MS,
        reason:
          "Heat excursion of 11 h 18 min at up to 11.8 °C is within the manufacturers' stability data; VVMs checked at receipt, none past the discard point.",
      },
    },
    readings,
    summary,
    alarms: [
      {
        id: 'SHP-2026-0042/heat/1763963400000',
        rule: 'heat',
        tier: 'regulatory',
        severity: 'critical',
        state: 'resolved',
        startedAt: heat?.start ?? excStart,
        raisedAt: (heat?.start ?? excStart) + 10 * HOUR_MS,
        resolvedAt: heat?.end ?? excEnd,
        detectedLate: false,
        message: `Temperature above 8 °C for 10 h continuously (peak ${heat?.peakC ?? 11.8} °C)`,
        ack: {
          by: 'qa.martin (Claire Martin)',
          at: (heat?.start ?? excStart) + 10 * HOUR_MS + 25 * MINUTE_MS,
          reason: 'Cooling unit fault reported by the driver; unit restarted, temperature recovering.',
          meaning: 'Reviewed: product impact to be assessed at receipt',
        },
      },
      {
        id: 'SHP-2026-0042/data-gap/1765036800000',
        rule: 'data-gap',
        severity: 'warning',
        state: 'resolved',
        startedAt: gapStart - MINUTE_MS,
        raisedAt: gapStart + 29 * MINUTE_MS,
        resolvedAt: gapEnd,
        detectedLate: true,
        message: 'No data for 45 min (limit 30 min)',
      },
    ],
    custody: [
      {
        at: T0 - 2 * DAY,
        actor: 'd.rossi',
        action: 'shipment.create',
        detail: '3 batches, profile Refrigerated 2-8 °C',
      },
      { at: T0 - 2 * HOUR_MS, actor: 'd.rossi', action: 'shipment.bind', detail: 'logger truck-007' },
      {
        at: T0,
        actor: 'truck-007',
        action: 'shipment.dispatch',
        detail: 'batch id B7Q2-KX9M; delivery token bound (kept as a keyed hash)',
      },
      {
        at: (heat?.start ?? excStart) + 10 * HOUR_MS + 25 * MINUTE_MS,
        actor: 'qa.martin',
        action: 'alarm.acknowledge',
        detail: 'heat alarm A1, e-signature (password + TOTP)',
      },
      {
        at: last.ts - 10 * MINUTE_MS,
        actor: 'r.ndiaye',
        action: 'delivery.token_rejected',
        detail: 'wrong delivery token (1 of 5 attempts)',
      },
      { at: last.ts, actor: 'r.ndiaye', action: 'shipment.deliver', detail: 'delivery token matched' },
      {
        at: last.ts + 5 * HOUR_MS,
        actor: 'qa.martin',
        action: 'shipment.release',
        detail: 'released with e-signature',
      },
    ],
    generatedAt: last.ts + 6 * HOUR_MS,
    generatedBy: 'qa.martin',
  };
}
