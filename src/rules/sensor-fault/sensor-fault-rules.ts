/**
 * The sensor-fault rules of each kind of device: plain rules, not statistics. They judge the
 * sensor, not the product: a stuck, disconnected or glitching sensor is reported as such, so the
 * product's excursion rules and the statistical monitor are not asked to make sense of it.
 *
 * Temperature (vaccine-transport loggers and probes), per temperature profile:
 * | preset       | impossible at or below / at or above | fastest change |
 * |--------------|---------------------------------------|----------------|
 * | refrigerated | −40 °C / +60 °C                       | 3 °C/min       |
 * | crt          | −40 °C / +70 °C                       | 3 °C/min       |
 * | frozen       | −60 °C / +60 °C                       | 5 °C/min       |
 * | ultra-cold   | −100 °C / +60 °C                      | 8 °C/min       |
 * | custom       | min(lower − 40, −40) / max(upper + 50, 60) | 3 °C/min, 8 below −40 °C |
 * Vigil's own figures. A load or cabinet moves toward the outside air with a time constant of
 * ten minutes or more even with its door open, so it cannot reach −40 °C in a refrigerator or
 * 60 °C anywhere a vaccine travels; −127 °C and 85 °C (DS18B20 disconnected / power-on) and
 * −40 °C (the floor of common humidity-temperature sensors, reported when they fail) fall outside
 * every band but the ultra-cold one, whose floor is −100 °C. The rates are well above the fastest
 * door-open change of the simulator's physics (air probe in an upright fridge, 10-minute time
 * constant toward 22 °C room air: 1.7 °C/min; freezer 1.7; ultra-low 2.6; a truck's load,
 * 30 minutes toward the outside air: about 1 °C/min), with 1 °C added for noise and rounding.
 * Flat line: the same temperature for 3 min and at least 6 readings.
 *
 * Patient vitals: flat line when heart rate, SpO2, respiration, systolic pressure and body
 * temperature all repeat for 5 min and at least 8 readings (one stuck field alone is too likely
 * by chance for SpO2 or respiration rounded to whole numbers); impossible values (no living
 * patient or working sensor reads them: SpO2 above 100 %, a heart rate of 300 or more, a body
 * temperature below 25 °C, which is a probe off the body); body temperature changing faster than
 * 0.5 °C/min plus 0.5 °C.
 */
import type { TemperatureProfile } from '../../coldchain/profiles.ts';
import type { RuleNode } from '../rule.ts';
import { createFlatLineRule, type WatchedField } from './flat-line-rule.ts';
import { createImpossibleValueRule, type PlausibleRange } from './impossible-value-rule.ts';
import { createRateOfChangeRule } from './rate-of-change-rule.ts';

const MIN = 60_000;
/** A changed reading ends a sensor-fault alarm only after this long without the fault. */
export const SENSOR_FAULT_HOLD_MS = 10 * MIN;

/** Noise and rounding allowed on top of the physical rate, °C. */
export const RATE_ALLOWANCE_C = 1;

/** The physical limits of a temperature under a profile. */
export interface TemperatureLimits {
  readonly lowestC: number;
  readonly highestC: number;
  readonly maxPerMin: number;
  /** `a refrigerated load`, ... */
  readonly what: string;
}

export function temperatureLimits(profile: TemperatureProfile): TemperatureLimits {
  switch (profile.preset) {
    case 'refrigerated':
      return { lowestC: -40, highestC: 60, maxPerMin: 3, what: 'a refrigerated load' };
    case 'crt':
      return { lowestC: -40, highestC: 70, maxPerMin: 3, what: 'a room-temperature load' };
    case 'frozen':
      return { lowestC: -60, highestC: 60, maxPerMin: 5, what: 'a frozen load' };
    case 'ultra-cold':
      return { lowestC: -100, highestC: 60, maxPerMin: 8, what: 'an ultra-cold load' };
    default:
      return {
        lowestC: Math.min(profile.lowerC - 40, -40),
        highestC: Math.max(profile.upperC + 50, 60),
        maxPerMin: profile.lowerC < -40 ? 8 : 3,
        what: `a ${profile.lowerC} to ${profile.upperC} °C load`,
      };
  }
}

const TEMP: WatchedField = { field: 'temp_c', label: '', unit: '°C', digits: 2 };

/** Flat line, impossible value and rate of change of `temp_c`, for loggers and probes. */
export function temperatureSensorFaultRules(profile: TemperatureProfile): RuleNode[] {
  const lim = temperatureLimits(profile);
  const range: PlausibleRange = { ...TEMP, lowest: lim.lowestC, highest: lim.highestC };
  return [
    createFlatLineRule({
      fields: [TEMP],
      minDurationMs: 3 * MIN,
      minReadings: 6,
      holdMs: SENSOR_FAULT_HOLD_MS,
      device: 'Sensor',
    }),
    createImpossibleValueRule({ checks: [range], what: lim.what, holdMs: SENSOR_FAULT_HOLD_MS }),
    createRateOfChangeRule({
      check: { ...range, label: 'Temperature', digits: 1 },
      maxPerMin: lim.maxPerMin,
      allowance: RATE_ALLOWANCE_C,
      maxStepMs: 10 * MIN,
      holdMs: SENSOR_FAULT_HOLD_MS,
      what: lim.what,
    }),
  ];
}

/** Physically possible open intervals of the vitals (outside: a sensor fault). */
export const VITAL_PLAUSIBLE: readonly PlausibleRange[] = [
  { field: 'hr_bpm', label: 'HR', unit: 'bpm', digits: 0, lowest: -1, highest: 300 },
  { field: 'spo2_pct', label: 'SpO2', unit: '%', digits: 0, lowest: 0, highest: 100.5 },
  { field: 'rr_bpm', label: 'RR', unit: '/min', digits: 0, lowest: -1, highest: 100 },
  { field: 'sbp_mmhg', label: 'SBP', unit: 'mmHg', digits: 0, lowest: 0, highest: 320 },
  { field: 'temp_c', label: 'temperature', unit: '°C', digits: 1, lowest: 25, highest: 45 },
];

/** Flat line of the whole vitals vector, impossible vitals, body temperature rate of change. */
export function vitalsSensorFaultRules(): RuleNode[] {
  return [
    createFlatLineRule({
      fields: VITAL_PLAUSIBLE,
      minDurationMs: 5 * MIN,
      minReadings: 8,
      holdMs: SENSOR_FAULT_HOLD_MS,
      device: 'Monitor',
    }),
    createImpossibleValueRule({ checks: VITAL_PLAUSIBLE, what: 'a patient', holdMs: SENSOR_FAULT_HOLD_MS }),
    createRateOfChangeRule({
      check: { ...(VITAL_PLAUSIBLE[4] as PlausibleRange), label: 'Body temperature' },
      maxPerMin: 0.5,
      allowance: 0.5,
      maxStepMs: 10 * MIN,
      holdMs: SENSOR_FAULT_HOLD_MS,
      what: "a patient's body temperature",
    }),
  ];
}
