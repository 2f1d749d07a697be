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

/**
 * The synthetic trip with everything a report can show at once, for tests and for looking at the
 * PDF: a 5½-minute excursion (times to the second), three returns to range within the merge gap
 * (one merged excursion of 3 parts), the 11-hour heat excursion, a freeze excursion, alarms raised
 * minutes apart, a disproved alarm, shipment overrides, custody details with an alarm id and an
 * epoch-ms value, and names in Polish, Russian, Hebrew and Japanese, with a bidi override.
 */
export function eventfulReportInput(): ShipmentReportInput {
  const base = syntheticReportInput();
  const profile = { ...base.shipment.profile, mergeGapMinutes: 6, hysteresisC: 0.3 };
  const short0 = T0 + 3 * DAY + 4 * HOUR_MS + 17_000; // 5 min 30 s above, starting at :17 seconds
  const merged0 = T0 + 8 * DAY + 10 * HOUR_MS;
  const freeze0 = T0 + 20 * DAY + 2 * HOUR_MS;
  const bump = (ts: number): number | undefined => {
    if (ts >= short0 && ts < short0 + 330_000) return 9.1;
    for (const k of [0, 1, 2]) {
      const s = merged0 + k * 14 * MINUTE_MS; // 10 min above, 4 min back in range
      if (ts >= s && ts < s + 10 * MINUTE_MS) return 8.9 + k * 0.4;
    }
    if (ts >= freeze0 && ts < freeze0 + 40 * MINUTE_MS) return -1.2;
    return undefined;
  };
  // the short excursion needs readings on its own seconds: add them between the minute samples
  const extra = [short0, short0 + 330_000].map((ts) => ({
    ts,
    tempC: ts === short0 ? 9.1 : 5.2,
    backfill: false,
  }));
  const readings = [...base.readings.map((r) => ({ ...r, tempC: bump(r.ts) ?? r.tempC })), ...extra].sort(
    (a, b) => a.ts - b.ts,
  );
  const summary = summarize(
    readings.map((r) => ({ ts: r.ts, data: { temp_c: r.tempC } })),
    profile,
  );
  const alarm = (
    n: number,
    rule: string,
    severity: 'warning' | 'critical',
    tier: 'warning' | 'critical' | 'regulatory',
    startedAt: number,
    raisedAfterMs: number,
    message: string,
  ) => ({
    id: `SHP-2026-0042/${rule}/${startedAt}`,
    rule,
    severity,
    tier,
    state: 'resolved',
    startedAt,
    raisedAt: startedAt + raisedAfterMs + n * 1000,
    resolvedAt: startedAt + raisedAfterMs + HOUR_MS,
    detectedLate: false,
    message,
  });
  const ack = (at: number) => ({
    by: 'Zoë Łukasiewicz (qa)',
    at,
    reason:
      'Reviewed with the carrier; probe placement confirmed — product within stability data (≤ 25 °C, ≥ −0.5 °C).',
    meaning: 'Reviewed: product impact assessed',
  });
  const [heat, gap] = base.alarms as [
    ShipmentReportInput['alarms'][number],
    ShipmentReportInput['alarms'][number],
  ];
  const alarms: ShipmentReportInput['alarms'][number][] = [
    {
      ...alarm(
        0,
        'warning:above',
        'warning',
        'warning',
        short0,
        5 * MINUTE_MS,
        'Temperature above 8 °C for 5 min (peak 9.1 °C)',
      ),
      ack: ack(short0 + HOUR_MS),
    },
    alarm(
      1,
      'warning:above',
      'warning',
      'warning',
      merged0,
      5 * MINUTE_MS,
      'Temperature above 8 °C for 5 min (peak 9.7 °C)',
    ),
    alarm(
      2,
      'critical:above',
      'critical',
      'critical',
      merged0,
      7 * MINUTE_MS,
      'Temperature above 8 °C for 1 h (peak 9.7 °C)',
    ),
    {
      ...alarm(
        3,
        'heat',
        'critical',
        'regulatory',
        merged0,
        9 * MINUTE_MS,
        'Temperature above 8 °C for 10 h continuously',
      ),
      disproved: {
        at: merged0 + 2 * DAY,
        reason:
          'late readings show returns to range at 10:10:00 and 10:24:00 UTC: never 10 h continuously above',
      },
    },
    heat,
    {
      ...alarm(
        5,
        'critical:below',
        'critical',
        'critical',
        freeze0,
        10 * MINUTE_MS,
        'Temperature at or below -0.5 °C for 10 min (lowest −1.2 °C)',
      ),
      ack: ack(freeze0 + 2 * HOUR_MS),
    },
    gap,
  ];
  return {
    ...base,
    shipment: {
      ...base.shipment,
      profile,
      origin: 'Entrepôt central, Zürich – Kloten',
      destination: 'Склад № 3, Москва / מחסן תל אביב / 東京倉庫',
      batches: [
        ...base.shipment.batches,
        { lot: 'µ-LOT-09', product: 'Influenza vaccine ≥ 15 µg HA/strain', quantity: 1200 },
      ],
    },
    readings,
    summary,
    alarms,
    custody: [
      ...base.custody,
      {
        at: merged0 + 2 * DAY,
        actor: 'system',
        action: 'alarm.disprove',
        detail: `alarm=SHP-2026-0042/heat/${merged0} since=${merged0} reason=late data`,
      },
      {
        at: freeze0 + 2 * HOUR_MS,
        actor: 'qa.\u202Eevil',
        action: 'alarm.acknowledge',
        detail: 'by 山田太郎 😀',
      },
    ].sort((a, b) => a.at - b.at),
    generatedBy: 'Zoë Łukasiewicz',
  };
}
