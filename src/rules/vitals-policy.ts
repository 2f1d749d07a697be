/**
 * The alarm policy of a patient-vitals monitor (docs/alarms.md, "Patient monitors"): which values
 * raise an alarm, how long they must hold first (the alarm condition delay of IEC 60601-1-8), how
 * far a vital must come back before the alarm resolves (hysteresis), and how close two stretches
 * must be to count as one episode (merge gap). The same mechanism as the temperature tiers
 * (condition-rule.ts, limit-rule.ts): limits with hysteresis, a minimum duration, a merge gap.
 *
 * Where the figures come from:
 * - The range limits are the red (3-point) edges of the Royal College of Physicians' NEWS2 chart
 *   (2017): pulse <= 40 or >= 131, SpO2 <= 91 % on scale 1, temperature <= 35.0 °C; SpO2 on
 *   scale 2 (patients with hypercapnic respiratory failure, prescribed a target of 88-92 %)
 *   <= 83 %, and >= 97 % while on oxygen. Body temperature >= 39.1 °C (2 points) is kept as a
 *   warning. The chart reads values as whole numbers (temperature to 0.1 °C): so do the rules.
 * - NEWS2 bands and the response each calls for (RCP 2017): a single parameter scoring 3,
 *   urgent ward-based response; 5-6, urgent response; 7 or more, emergency response.
 * - The delays, hysteresis and merge gap are Vigil's own choices: a delay of one minute for the
 *   urgent and emergency conditions (a single motion artefact is one reading; two readings a
 *   minute apart, or six at 10 s, are not an artefact), five minutes for an aggregate of 5-6 and
 *   for slower-moving or less urgent conditions; hysteresis about the stated accuracy of each
 *   measurement (pulse oximeters typically ±2 % SpO2; pulse rate ±3-5 bpm; non-invasive pressure
 *   ±5 mmHg mean error, ISO 81060-2); a merge gap of five minutes.
 */
import type { AlarmUnit, Severity } from './rule.ts';

export const MINUTE_MS = 60_000;

/** A vital sign as the rules read it. */
export interface VitalSign {
  /** Sample field (DESIGN.md §4, patient-vitals). */
  readonly field: string;
  readonly label: string;
  /** Unit as shown in messages. */
  readonly shown: string;
  /** Decimals the value is read at (NEWS2: whole numbers, temperature 0.1 °C). */
  readonly digits: number;
  /** Once in alarm, the value must come back past the limit by more than this to leave it. */
  readonly hysteresis: number;
}

/** The five NEWS2 vitals (plus the monitor's signal strength), keyed by sample field. */
export const VITAL_SIGNS = {
  hr_bpm: { field: 'hr_bpm', label: 'Heart rate', shown: 'bpm', digits: 0, hysteresis: 5 },
  spo2_pct: { field: 'spo2_pct', label: 'SpO2', shown: '%', digits: 0, hysteresis: 2 },
  rr_bpm: { field: 'rr_bpm', label: 'Respiration rate', shown: '/min', digits: 0, hysteresis: 2 },
  sbp_mmhg: { field: 'sbp_mmhg', label: 'Systolic pressure', shown: 'mmHg', digits: 0, hysteresis: 5 },
  temp_c: { field: 'temp_c', label: 'Body temperature', shown: '°C', digits: 1, hysteresis: 0.2 },
  rssi_dbm: { field: 'rssi_dbm', label: 'Signal strength', shown: 'dBm', digits: 0, hysteresis: 3 },
} as const satisfies Record<string, VitalSign>;

/** A value read at the vital's precision, half up, as the NEWS2 chart reads it. */
export function readVital(v: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}

/** Share of its delay a condition must show before its alarm (Vigil's choice). */
export const HOLD_SHARE = 2 / 3;

/** Which patients a set of limits applies to (every field given must match the reading). */
export interface LimitsWhen {
  /** `spo2_scale` of the reading (absent: scale 1). */
  readonly spo2Scale?: 1 | 2;
  /** `on_oxygen` of the reading (absent: on air). */
  readonly onOxygen?: boolean;
}

/** Alarm zones of a vital for some patients; both limits are in the zone (NEWS2 style). */
export interface VitalLimits {
  readonly when?: LimitsWhen;
  readonly atOrBelow?: number;
  readonly atOrAbove?: number;
  /** Who these limits are for, in messages (`scale 2`). */
  readonly note?: string;
}

/** A range alarm on one vital. */
export interface VitalRangeConfig {
  /** The alarm's rule id. */
  readonly rule: string;
  readonly vital: VitalSign;
  readonly unit: AlarmUnit;
  /** Tried in order; the first whose `when` matches the reading applies; none: no alarm zone. */
  readonly limits: readonly VitalLimits[];
  /** How long the value must stay in the zone before the alarm (the alarm condition delay). */
  readonly delayMs: number;
  /** Share of the delay the readings must show the value in the zone (hold-run.ts). */
  readonly holdShare: number;
  /** A return shorter than this does not end a raised alarm. */
  readonly mergeGapMs: number;
  readonly severity: Severity;
}

/** Whether `limits` apply to a reading's data. */
export function limitsApply(l: VitalLimits, data: Readonly<Record<string, unknown>>): boolean {
  const w = l.when;
  if (!w) return true;
  if (w.spo2Scale !== undefined && (data['spo2_scale'] === 2 ? 2 : 1) !== w.spo2Scale) return false;
  if (w.onOxygen !== undefined && (data['on_oxygen'] === true) !== w.onOxygen) return false;
  return true;
}

const V = VITAL_SIGNS;

/** The default range alarms of a patient monitor. */
export const DEFAULT_VITALS_RANGES: readonly VitalRangeConfig[] = [
  {
    rule: 'heart-rate',
    vital: V.hr_bpm,
    unit: 'bpm',
    limits: [{ atOrBelow: 40, atOrAbove: 131 }],
    delayMs: MINUTE_MS,
    holdShare: HOLD_SHARE,
    mergeGapMs: 5 * MINUTE_MS,
    severity: 'critical',
  },
  {
    rule: 'body-temperature',
    vital: V.temp_c,
    unit: 'C',
    limits: [{ atOrBelow: 35.0, atOrAbove: 39.1 }],
    delayMs: 5 * MINUTE_MS,
    holdShare: HOLD_SHARE,
    mergeGapMs: 5 * MINUTE_MS,
    severity: 'warning',
  },
  {
    rule: 'spo2-low',
    vital: V.spo2_pct,
    unit: '%',
    limits: [
      { when: { spo2Scale: 2 }, atOrBelow: 83, note: 'scale 2' },
      { atOrBelow: 91, note: 'scale 1' },
    ],
    delayMs: MINUTE_MS,
    holdShare: HOLD_SHARE,
    mergeGapMs: 5 * MINUTE_MS,
    severity: 'critical',
  },
  {
    // NEWS2 scores 3 for SpO2 >= 97 % on oxygen on scale 2: too much oxygen risks hypercapnia
    rule: 'spo2-high',
    vital: V.spo2_pct,
    unit: '%',
    limits: [{ when: { spo2Scale: 2, onOxygen: true }, atOrAbove: 97, note: 'scale 2, on oxygen' }],
    delayMs: 5 * MINUTE_MS,
    holdShare: HOLD_SHARE,
    mergeGapMs: 5 * MINUTE_MS,
    severity: 'warning',
  },
  {
    rule: 'signal-weak',
    vital: V.rssi_dbm,
    unit: 'dBm',
    limits: [{ atOrBelow: -101 }],
    delayMs: 5 * MINUTE_MS,
    holdShare: HOLD_SHARE,
    mergeGapMs: 5 * MINUTE_MS,
    severity: 'info',
  },
];

/** How the NEWS2 alarm is raised and resolved. */
export interface News2AlarmPolicy {
  /** A single parameter scoring 3, or an aggregate of 7 or more, held this long raises it. */
  readonly urgentDelayMs: number;
  /** An aggregate of 5 or more held this long raises it. */
  readonly delayMs: number;
  /** Share of a delay the readings must show the condition (hold-run.ts). */
  readonly holdShare: number;
  /** Once raised, the aggregate holds the alarm down to 5 minus this many points. */
  readonly aggregateHysteresis: number;
  /** A return shorter than this does not end a raised alarm. */
  readonly mergeGapMs: number;
}

export const DEFAULT_NEWS2_POLICY: News2AlarmPolicy = Object.freeze({
  urgentDelayMs: MINUTE_MS,
  delayMs: 5 * MINUTE_MS,
  holdShare: HOLD_SHARE,
  aggregateHysteresis: 1,
  mergeGapMs: 5 * MINUTE_MS,
});

/** The in-range interval limits leave, one reading step inside each limit. */
export function insideOf(l: VitalLimits | undefined, digits: number): { min?: number; max?: number } {
  const step = 10 ** -digits;
  return {
    ...(l?.atOrBelow !== undefined ? { min: readVital(l.atOrBelow + step, digits) } : {}),
    ...(l?.atOrAbove !== undefined ? { max: readVital(l.atOrAbove - step, digits) } : {}),
  };
}

/**
 * The in-range interval of a range alarm's default limits (those without `when`): what the
 * statistical monitor leaves to the rules (outside: covered).
 */
export function defaultRange(c: VitalRangeConfig): { min?: number; max?: number } {
  return insideOf(
    c.limits.find((x) => x.when === undefined),
    c.vital.digits,
  );
}
