/**
 * A ward patient's vitals monitor: each simulated patient has plausible baselines that drift
 * slowly, with occasional clinical episodes (desaturation, tachycardia, fever) and sensor
 * artefacts. Field names per DESIGN.md §4, patient-vitals profile; SpO2 scale 2 is the NEWS2
 * scale for patients with hypercapnic respiratory failure (target 88–92 %).
 */

import { chance, clippedGaussian, exponential, forkRng, pick, type Rng, uniform } from '../../random/rng.ts';
import { clamp, firesWithin, HOUR_MS, MINUTE_MS, ouStep, round, subSteps } from './dynamics.ts';
import type { DeviceEvent, ModelStep } from './events.ts';
import type { OptionsInput } from './options-input.ts';

export type Consciousness = 'A' | 'C' | 'V' | 'P' | 'U';

/** A patient's resting values, around which the readings drift. */
export interface PatientBaseline {
  hr_bpm: number;
  spo2_pct: number;
  rr_bpm: number;
  sbp_mmhg: number;
  temp_c: number;
  on_oxygen: boolean;
  consciousness: Consciousness;
  spo2_scale: 1 | 2;
}

/** Mean number of episodes of each kind per hour. */
export interface VitalsAnomalyRates {
  /** SpO2 falls 6–15 points for 5–30 min, with a faster heart and breathing. */
  desaturationPerHour: number;
  /** Heart rate rises by 35–60 bpm for 10–60 min. */
  tachycardiaPerHour: number;
  /** Temperature rises by 1.2–2.2 °C for 3–12 h, heart rate +10 bpm per °C. */
  feverPerHour: number;
  /** One reading with an implausible SpO2 or heart rate (motion, a loose probe). */
  artefactPerHour: number;
}

export interface VitalsOptions {
  anomalies: VitalsAnomalyRates;
  /** Fixed baseline values; missing ones are drawn from the injected Rng. */
  baseline: Partial<PatientBaseline>;
  connectivityLossPerHour: number;
  batteryDrainPctPerHour: number;
}

export type VitalsOptionsInput = OptionsInput<VitalsOptions, 'anomalies'>;

export const NO_VITALS_ANOMALIES: VitalsAnomalyRates = Object.freeze({
  desaturationPerHour: 0,
  tachycardiaPerHour: 0,
  feverPerHour: 0,
  artefactPerHour: 0,
});

export const DEFAULT_VITALS_ANOMALIES: VitalsAnomalyRates = Object.freeze({
  desaturationPerHour: 0.02,
  tachycardiaPerHour: 0.02,
  feverPerHour: 0.005,
  artefactPerHour: 0.2,
});

export const DEFAULT_VITALS_OPTIONS: VitalsOptions = Object.freeze({
  anomalies: DEFAULT_VITALS_ANOMALIES,
  baseline: {},
  connectivityLossPerHour: 0.05,
  batteryDrainPctPerHour: 2.5,
});

/** One monitor reading; field names per DESIGN.md §4, patient-vitals profile. */
export type VitalsSample = {
  ts: number;
  hr_bpm: number;
  spo2_pct: number;
  rr_bpm: number;
  sbp_mmhg: number;
  temp_c: number;
  on_oxygen: boolean;
  consciousness: Consciousness;
  spo2_scale: 1 | 2;
  bat_pct: number;
  rssi_dbm: number;
};

export type VitalsAnomalyKind = 'desaturation' | 'tachycardia' | 'fever' | 'artefact';

export interface VitalsSnapshot {
  clock: number;
  baseline: PatientBaseline;
  /** Episodes in effect at `clock`, plus `artefact` if the last reading was one. */
  anomalies: VitalsAnomalyKind[];
  batPct: number;
  charging: boolean;
  connected: boolean;
}

export interface VitalsModel {
  readonly id: string;
  step(ts: number): ModelStep<VitalsSample>;
  snapshot(): VitalsSnapshot;
}

export interface VitalsInit {
  id: string;
  rng: Rng;
  startTs: number;
  options?: VitalsOptionsInput;
}

/** A plausible adult ward patient; about 1 in 12 is on SpO2 scale 2. */
export function randomPatientBaseline(rng: Rng): PatientBaseline {
  const scale2 = chance(rng, 0.08);
  return {
    hr_bpm: uniform(rng, 62, 88),
    spo2_pct: scale2 ? uniform(rng, 88.5, 91.5) : uniform(rng, 95.5, 98.5),
    rr_bpm: uniform(rng, 12.5, 17.5),
    sbp_mmhg: uniform(rng, 108, 135),
    temp_c: uniform(rng, 36.4, 37.1),
    on_oxygen: chance(rng, scale2 ? 0.5 : 0.1),
    consciousness: chance(rng, 0.04) ? 'C' : 'A',
    spo2_scale: scale2 ? 2 : 1,
  };
}

interface Episode {
  kind: Exclude<VitalsAnomalyKind, 'artefact'>;
  start: number;
  end: number;
  /** Ramp-in and ramp-out time, ms. */
  ramp: number;
  /** Offsets at full strength. */
  hr: number;
  spo2: number;
  rr: number;
  temp: number;
}

/** Trapezoid: 0 outside the episode, so readings outside any episode are untouched by it. */
function strength(e: Episode, t: number): number {
  if (t <= e.start || t >= e.end) return 0;
  return Math.min(1, (t - e.start) / e.ramp, (e.end - t) / e.ramp);
}

// slow physiological drift: stationary sd, time constant (min) and hard limit of the deviation
const DRIFT = {
  hr: { sd: 4, tau: 60, limit: 10 },
  spo2: { sd: 0.7, tau: 30, limit: 1.5 },
  rr: { sd: 1, tau: 45, limit: 2.5 },
  sbp: { sd: 5, tau: 90, limit: 12 },
  temp: { sd: 0.12, tau: 180, limit: 0.3 },
} as const;
type Vital = keyof typeof DRIFT;
const VITALS = Object.keys(DRIFT) as Vital[];

const BATTERY_LOW_PCT = 15;
const CHARGE_PCT_H = 40;

export function createVitalsMonitor(init: VitalsInit): VitalsModel {
  const { anomalies: rates, ...rest } = init.options ?? {};
  const opt: VitalsOptions = {
    ...DEFAULT_VITALS_OPTIONS,
    ...rest,
    anomalies: { ...DEFAULT_VITALS_ANOMALIES, ...rates },
  };
  const body = forkRng(init.rng);
  const episodeRng = forkRng(init.rng);
  const sensor = forkRng(init.rng);
  const baseline: PatientBaseline = Object.freeze({ ...randomPatientBaseline(body), ...opt.baseline });

  const dev: Record<Vital, number> = { hr: 0, spo2: 0, rr: 0, sbp: 0, temp: 0 };
  for (const v of VITALS) dev[v] = clippedGaussian(body, 0, DRIFT[v].sd, 1.5);
  const s = {
    clock: init.startTs,
    episodes: [] as Episode[],
    artefactPending: false,
    lastWasArtefact: false,
    bat: uniform(sensor, 40, 100),
    battery: 'discharging' as 'discharging' | 'awaiting' | 'charging',
    chargeAt: 0,
    connected: true,
    connUntil: 0,
    rssiMean: uniform(sensor, -70, -50),
    rssi: -60,
  };
  s.rssi = s.rssiMean;

  function active(kind: Episode['kind'], t: number): boolean {
    return s.episodes.some((e) => e.kind === kind && t < e.end);
  }

  function startEpisodes(t: number, dt: number): void {
    const r = opt.anomalies;
    const desat = firesWithin(episodeRng, r.desaturationPerHour, dt);
    const tachy = firesWithin(episodeRng, r.tachycardiaPerHour, dt);
    const fever = firesWithin(episodeRng, r.feverPerHour, dt);
    if (firesWithin(episodeRng, r.artefactPerHour, dt)) s.artefactPending = true;
    const none = { hr: 0, spo2: 0, rr: 0, temp: 0 };
    if (desat && !active('desaturation', t)) {
      const len = uniform(episodeRng, 5, 30) * MINUTE_MS;
      s.episodes.push({
        ...none,
        kind: 'desaturation',
        start: t,
        end: t + len,
        ramp: len / 4,
        spo2: -uniform(episodeRng, 6, 15),
        hr: uniform(episodeRng, 8, 20),
        rr: uniform(episodeRng, 4, 8),
      });
    }
    if (tachy && !active('tachycardia', t)) {
      const len = uniform(episodeRng, 10, 60) * MINUTE_MS;
      s.episodes.push({
        ...none,
        kind: 'tachycardia',
        start: t,
        end: t + len,
        ramp: 2 * MINUTE_MS,
        hr: uniform(episodeRng, 35, 60),
      });
    }
    if (fever && !active('fever', t)) {
      const len = uniform(episodeRng, 3, 12) * HOUR_MS;
      const rise = uniform(episodeRng, 1.2, 2.2);
      s.episodes.push({
        ...none,
        kind: 'fever',
        start: t,
        end: t + len,
        ramp: len / 4,
        temp: rise,
        hr: 10 * rise,
        rr: 2 * rise,
      });
    }
    s.episodes = s.episodes.filter((e) => t < e.end);
  }

  function battery(t: number, dt: number, events: DeviceEvent[]): void {
    const dtH = dt / HOUR_MS;
    if (s.battery === 'charging') {
      s.bat = Math.min(100, s.bat + CHARGE_PCT_H * dtH);
      if (s.bat >= 100) s.battery = 'discharging';
      return;
    }
    s.bat = Math.max(0, s.bat - opt.batteryDrainPctPerHour * dtH);
    if (s.battery === 'discharging' && s.bat <= BATTERY_LOW_PCT) {
      s.battery = 'awaiting';
      // a nurse puts it on charge some time after the low-battery alert
      s.chargeAt = t + uniform(sensor, 20, 90) * MINUTE_MS;
      events.push({ type: 'battery_low', ts: Math.round(t), bat_pct: Math.round(s.bat) });
    } else if (s.battery === 'awaiting' && t >= s.chargeAt) {
      s.battery = 'charging';
    }
  }

  function advance(to: number, events: DeviceEvent[]): void {
    for (const t of subSteps(s.clock, to, MINUTE_MS)) {
      const dt = t - s.clock;
      const dtMin = dt / MINUTE_MS;
      for (const v of VITALS) {
        const d = DRIFT[v];
        dev[v] = clamp(ouStep(body, dev[v], 0, d.sd, d.tau, dtMin), -d.limit, d.limit);
      }
      s.rssi = ouStep(sensor, s.rssi, s.rssiMean, 3, 5, dtMin);
      battery(t, dt, events);
      startEpisodes(t, dt);
      const radio = firesWithin(sensor, opt.connectivityLossPerHour, dt);
      if (!s.connected && t >= s.connUntil) s.connected = true;
      else if (s.connected && radio) {
        s.connected = false;
        s.connUntil = t + clamp(2 + exponential(sensor, 8), 2, 30) * MINUTE_MS;
      }
      s.clock = t;
    }
  }

  function read(ts: number): VitalsSample {
    const off = { hr: 0, spo2: 0, rr: 0, temp: 0 };
    for (const e of s.episodes) {
      const k = strength(e, s.clock);
      off.hr += k * e.hr;
      off.spo2 += k * e.spo2;
      off.rr += k * e.rr;
      off.temp += k * e.temp;
    }
    const noise = {
      hr: clippedGaussian(sensor, 0, 1.5, 2),
      spo2: clippedGaussian(sensor, 0, 0.4, 2.5),
      rr: clippedGaussian(sensor, 0, 0.7, 2),
      sbp: clippedGaussian(sensor, 0, 2, 2.5),
      temp: clippedGaussian(sensor, 0, 0.04, 2.5),
    };
    let hr = baseline.hr_bpm + dev.hr + off.hr + noise.hr;
    let spo2 = baseline.spo2_pct + dev.spo2 + off.spo2 + noise.spo2;
    const artefactKind = pick(sensor, ['spo2-low', 'hr-high', 'hr-low'] as const);
    const artefactValue = sensor.next();
    s.lastWasArtefact = s.artefactPending;
    if (s.artefactPending) {
      s.artefactPending = false;
      if (artefactKind === 'spo2-low') spo2 = 55 + 20 * artefactValue;
      else if (artefactKind === 'hr-high') hr = 180 + 50 * artefactValue;
      else hr = 20 + 15 * artefactValue;
    }
    const disconnectedRssi = -95 - 5 * sensor.next();
    return {
      ts,
      hr_bpm: Math.round(clamp(hr, 20, 250)),
      spo2_pct: Math.round(clamp(spo2, 50, 100)),
      rr_bpm: Math.round(clamp(baseline.rr_bpm + dev.rr + off.rr + noise.rr, 4, 60)),
      sbp_mmhg: Math.round(clamp(baseline.sbp_mmhg + dev.sbp + noise.sbp, 60, 250)),
      temp_c: round(clamp(baseline.temp_c + dev.temp + off.temp + noise.temp, 33, 42), 1),
      on_oxygen: baseline.on_oxygen,
      consciousness: baseline.consciousness,
      spo2_scale: baseline.spo2_scale,
      bat_pct: Math.round(s.bat),
      rssi_dbm: Math.round(s.connected ? clamp(s.rssi, -90, -30) : disconnectedRssi),
    };
  }

  return {
    id: init.id,
    step(ts: number): ModelStep<VitalsSample> {
      const events: DeviceEvent[] = [];
      advance(ts, events);
      return { sample: read(ts), events, connected: s.connected };
    },
    snapshot(): VitalsSnapshot {
      const kinds: VitalsAnomalyKind[] = s.episodes
        .filter((e) => strength(e, s.clock) > 0)
        .map((e) => e.kind);
      if (s.lastWasArtefact) kinds.push('artefact');
      return {
        clock: s.clock,
        baseline,
        anomalies: kinds,
        batPct: s.bat,
        charging: s.battery === 'charging',
        connected: s.connected,
      };
    },
  };
}
