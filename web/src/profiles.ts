/**
 * What the dashboard shows per device profile: field labels and units (DESIGN.md §4 field names),
 * the charts of the device page and the default limits drawn on them. The server may send
 * per-device limits (`device.limits`); these are used when it does not.
 */
import type { Device, FieldLimit, Profile, Scalar } from './types.ts';

export interface FieldMeta {
  key: string;
  label: string;
  /** Short label for tables: `HR`, `SpO₂`. */
  short: string;
  unit: string;
  digits: number;
}

export interface ChartSpec {
  title: string;
  field: string;
  colour: string;
  /** Draw the allowed range as a shaded band (cold chain) rather than only lines. */
  band: boolean;
}

export interface ProfileMeta {
  label: string;
  /** The fields of the latest-values summary in tables, in order. */
  summary: string[];
  charts: ChartSpec[];
  limits: Record<string, FieldLimit>;
}

export const FIELDS: Record<string, FieldMeta> = {
  temp_c: { key: 'temp_c', label: 'Temperature', short: 'Temp', unit: '°C', digits: 1 },
  rh_pct: { key: 'rh_pct', label: 'Humidity', short: 'RH', unit: '%', digits: 0 },
  hr_bpm: { key: 'hr_bpm', label: 'Heart rate', short: 'HR', unit: 'bpm', digits: 0 },
  spo2_pct: { key: 'spo2_pct', label: 'Oxygen saturation', short: 'SpO₂', unit: '%', digits: 0 },
  rr_bpm: { key: 'rr_bpm', label: 'Respiration rate', short: 'RR', unit: '/min', digits: 0 },
  sbp_mmhg: { key: 'sbp_mmhg', label: 'Systolic pressure', short: 'SBP', unit: 'mmHg', digits: 0 },
  bat_pct: { key: 'bat_pct', label: 'Battery', short: 'Bat', unit: '%', digits: 0 },
  rssi_dbm: { key: 'rssi_dbm', label: 'Signal', short: 'RSSI', unit: 'dBm', digits: 0 },
  lat: { key: 'lat', label: 'Latitude', short: 'Lat', unit: '°', digits: 4 },
  lon: { key: 'lon', label: 'Longitude', short: 'Lon', unit: '°', digits: 4 },
};

// Vaccines: store and transport at +2 to +8 °C (WHO PQS E006; DESIGN.md §5).
const COLD_CHAIN: FieldLimit = { min: 2, max: 8 };

export const PROFILES: Record<Profile, ProfileMeta> = {
  'vaccine-transport': {
    label: 'Vaccine transport',
    summary: ['temp_c', 'rh_pct'],
    charts: [
      { title: 'Temperature', field: 'temp_c', colour: '#0b63ce', band: true },
      { title: 'Relative humidity', field: 'rh_pct', colour: '#0f8a7a', band: false },
    ],
    limits: { temp_c: COLD_CHAIN },
  },
  'temperature-probe': {
    label: 'Temperature probe',
    summary: ['temp_c', 'rh_pct'],
    charts: [
      { title: 'Temperature', field: 'temp_c', colour: '#0b63ce', band: true },
      { title: 'Relative humidity', field: 'rh_pct', colour: '#0f8a7a', band: false },
    ],
    limits: { temp_c: COLD_CHAIN },
  },
  // The score-0 ranges of NEWS2 (Royal College of Physicians, 2017), SpO2 on scale 1.
  'patient-vitals': {
    label: 'Patient vitals',
    summary: ['hr_bpm', 'spo2_pct', 'rr_bpm', 'sbp_mmhg', 'temp_c'],
    charts: [
      { title: 'Heart rate', field: 'hr_bpm', colour: '#c2255c', band: false },
      { title: 'Oxygen saturation', field: 'spo2_pct', colour: '#0b63ce', band: false },
      { title: 'Respiration rate', field: 'rr_bpm', colour: '#0f8a7a', band: false },
      { title: 'Systolic blood pressure', field: 'sbp_mmhg', colour: '#7048e8', band: false },
      { title: 'Body temperature', field: 'temp_c', colour: '#d9480f', band: false },
    ],
    limits: {
      hr_bpm: { min: 51, max: 90 },
      spo2_pct: { min: 96 },
      rr_bpm: { min: 12, max: 20 },
      sbp_mmhg: { min: 111, max: 219 },
      temp_c: { min: 36.1, max: 38 },
    },
  },
};

/** The limit of `field` for this device: its profile's default. */
export function limitOf(device: Pick<Device, 'profile'>, field: string): FieldLimit | null {
  return PROFILES[device.profile].limits[field] ?? null;
}

/** Where a value stands against its limit. */
export function limitState(v: Scalar | undefined, l: FieldLimit | null): 'ok' | 'low' | 'high' | 'none' {
  if (typeof v !== 'number' || !l) return 'none';
  if (l.min !== undefined && v < l.min) return 'low';
  if (l.max !== undefined && v > l.max) return 'high';
  return 'ok';
}

/** `4.6 °C`; `–` when absent. */
export function fmtField(field: string, v: Scalar | undefined): string {
  if (typeof v !== 'number' || !Number.isFinite(v)) return '–';
  const m = FIELDS[field];
  if (!m) return String(v);
  const sep = m.unit.startsWith('/') || m.unit === '°' ? '' : ' ';
  return `${v.toFixed(m.digits)}${sep}${m.unit}`;
}

/** `2–8 °C`, `≥ 96 %`, `≤ 90 bpm`. */
export function fmtLimit(field: string, l: FieldLimit | null): string {
  if (!l) return '';
  const unit = FIELDS[field]?.unit ?? '';
  const u = unit.startsWith('/') ? unit : ` ${unit}`;
  if (l.min !== undefined && l.max !== undefined) return `${l.min}–${l.max}${u}`;
  if (l.min !== undefined) return `≥ ${l.min}${u}`;
  if (l.max !== undefined) return `≤ ${l.max}${u}`;
  return '';
}
