/**
 * National Early Warning Score 2 (Royal College of Physicians, 2017), scored from the chart.
 *
 * | parameter            | 3        | 2       | 1       | 0                     | 1        | 2        | 3      |
 * |----------------------|----------|---------|---------|-----------------------|----------|----------|--------|
 * | respiration rate     | <= 8     |         | 9-11    | 12-20                 |          | 21-24    | >= 25  |
 * | SpO2 scale 1 (%)     | <= 91    | 92-93   | 94-95   | >= 96                 |          |          |        |
 * | SpO2 scale 2 (%)     | <= 83    | 84-85   | 86-87   | 88-92, >= 93 on air   | 93-94 O2 | 95-96 O2 | >=97 O2|
 * | air or oxygen        |          | oxygen  |         | air                   |          |          |        |
 * | systolic BP (mmHg)   | <= 90    | 91-100  | 101-110 | 111-219               |          |          | >= 220 |
 * | pulse (per min)      | <= 40    |         | 41-50   | 51-90                 | 91-110   | 111-130  | >= 131 |
 * | consciousness        |          |         |         | alert                 |          |          | C/V/P/U|
 * | temperature (°C)     | <= 35.0  |         | 35.1-36 | 36.1-38.0             | 38.1-39.0| >= 39.1  |        |
 *
 * Values are read as a clinician reads the chart: rates, SpO2 and blood pressure rounded to whole
 * numbers (half up), temperature to 0.1 °C, then placed in their band. Scale 2 is for patients
 * with hypercapnic respiratory failure, by clinical decision (`spo2_scale: 2`); otherwise scale 1.
 *
 * Clinical risk / response bands: aggregate 0-4 low (ward-based response); a score of 3 in any
 * single parameter low-medium (urgent ward-based response); 5-6 medium (key threshold for urgent
 * response); 7 or more high (emergency response). Medium and high take precedence over the
 * single-parameter 3.
 */

export type Consciousness = 'A' | 'C' | 'V' | 'P' | 'U';
export type News2Band = 'low' | 'low-medium' | 'medium' | 'high';

export interface News2Input {
  readonly respirationRate: number;
  readonly spo2Pct: number;
  /** 2 only for patients prescribed the hypercapnic target range. Default 1. */
  readonly spo2Scale?: 1 | 2;
  readonly onOxygen: boolean;
  readonly systolicBp: number;
  readonly pulse: number;
  readonly consciousness: Consciousness;
  readonly temperatureC: number;
}

export interface News2Parameters {
  readonly respiration: number;
  readonly spo2: number;
  readonly airOrOxygen: number;
  readonly systolicBp: number;
  readonly pulse: number;
  readonly consciousness: number;
  readonly temperature: number;
}

export interface News2Score {
  readonly total: number;
  readonly band: News2Band;
  readonly parameters: News2Parameters;
  readonly scale: 1 | 2;
  /** A 3 in at least one parameter ("red score"). */
  readonly redScore: boolean;
}

const whole = (v: number) => Math.round(v);

export function scoreRespiration(rate: number): number {
  const v = whole(rate);
  if (v <= 8) return 3;
  if (v <= 11) return 1;
  if (v <= 20) return 0;
  if (v <= 24) return 2;
  return 3;
}

export function scoreSpo2Scale1(spo2: number): number {
  const v = whole(spo2);
  if (v <= 91) return 3;
  if (v <= 93) return 2;
  if (v <= 95) return 1;
  return 0;
}

export function scoreSpo2Scale2(spo2: number, onOxygen: boolean): number {
  const v = whole(spo2);
  if (v <= 83) return 3;
  if (v <= 85) return 2;
  if (v <= 87) return 1;
  if (v <= 92 || !onOxygen) return 0;
  if (v <= 94) return 1;
  if (v <= 96) return 2;
  return 3;
}

export function scoreAirOrOxygen(onOxygen: boolean): number {
  return onOxygen ? 2 : 0;
}

export function scoreSystolicBp(sbp: number): number {
  const v = whole(sbp);
  if (v <= 90) return 3;
  if (v <= 100) return 2;
  if (v <= 110) return 1;
  if (v <= 219) return 0;
  return 3;
}

export function scorePulse(pulse: number): number {
  const v = whole(pulse);
  if (v <= 40) return 3;
  if (v <= 50) return 1;
  if (v <= 90) return 0;
  if (v <= 110) return 1;
  if (v <= 130) return 2;
  return 3;
}

export function scoreConsciousness(level: Consciousness): number {
  return level === 'A' ? 0 : 3;
}

export function scoreTemperature(tempC: number): number {
  // compare in tenths as integers so 35.0 / 36.0 / 38.0 / 39.0 fall exactly on the chart's edges
  const tenths = Math.round(tempC * 10);
  if (tenths <= 350) return 3;
  if (tenths <= 360) return 1;
  if (tenths <= 380) return 0;
  if (tenths <= 390) return 1;
  return 2;
}

export function news2Band(total: number, redScore: boolean): News2Band {
  if (total >= 7) return 'high';
  if (total >= 5) return 'medium';
  if (redScore) return 'low-medium';
  return 'low';
}

export function news2(input: News2Input): News2Score {
  const scale = input.spo2Scale === 2 ? 2 : 1;
  const parameters: News2Parameters = {
    respiration: scoreRespiration(input.respirationRate),
    spo2: scale === 2 ? scoreSpo2Scale2(input.spo2Pct, input.onOxygen) : scoreSpo2Scale1(input.spo2Pct),
    airOrOxygen: scoreAirOrOxygen(input.onOxygen),
    systolicBp: scoreSystolicBp(input.systolicBp),
    pulse: scorePulse(input.pulse),
    consciousness: scoreConsciousness(input.consciousness),
    temperature: scoreTemperature(input.temperatureC),
  };
  const values = Object.values(parameters);
  const total = values.reduce((a, b) => a + b, 0);
  const redScore = values.some((v) => v === 3);
  return { total, band: news2Band(total, redScore), parameters, scale, redScore };
}

/** The patient-vitals sample fields NEWS2 needs (DESIGN.md §4). */
export const NEWS2_FIELDS = [
  'rr_bpm',
  'spo2_pct',
  'on_oxygen',
  'sbp_mmhg',
  'hr_bpm',
  'consciousness',
  'temp_c',
] as const;

const CONSCIOUSNESS = new Set<unknown>(['A', 'C', 'V', 'P', 'U']);

/** NEWS2 of a patient-vitals sample, or the fields that are missing or unusable. */
export function news2FromSample(data: Readonly<Record<string, unknown>>): News2Score | { missing: string[] } {
  const num = (k: string) => {
    const v = data[k];
    return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
  };
  const missing: string[] = [];
  for (const f of NEWS2_FIELDS) {
    const ok =
      f === 'on_oxygen'
        ? typeof data[f] === 'boolean'
        : f === 'consciousness'
          ? CONSCIOUSNESS.has(data[f])
          : num(f) !== undefined;
    if (!ok) missing.push(f);
  }
  if (missing.length > 0) return { missing };
  return news2({
    respirationRate: num('rr_bpm') as number,
    spo2Pct: num('spo2_pct') as number,
    spo2Scale: data['spo2_scale'] === 2 ? 2 : 1,
    onOxygen: data['on_oxygen'] as boolean,
    systolicBp: num('sbp_mmhg') as number,
    pulse: num('hr_bpm') as number,
    consciousness: data['consciousness'] as Consciousness,
    temperatureC: num('temp_c') as number,
  });
}
