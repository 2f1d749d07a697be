/**
 * Normal data for the anomaly benchmark: one simulated week per device from the simulator's own
 * models (src/sim/model), stored column-wise so 30 device-weeks per profile fit in memory.
 *
 * "Normal" is what the models produce with the incidents that are part of ordinary operation:
 * trucks open their (reported) doors, lose mains power to the logger and coverage; probes see
 * nurses open the fridge door (0.5 an hour, short warm spikes on an air probe), compressor
 * cycles and defrosts; patients drift and their monitors show motion artefacts. Whatever the
 * benchmark treats as a fault is switched off here: trucks' cooling failures and freezes, probes'
 * power cuts (the compressor stops: a real excursion), patients' clinical episodes.
 */

import {
  allCorridorRoutes,
  createProbe,
  createRng,
  createTruck,
  createVitalsMonitor,
  NO_VITALS_ANOMALIES,
  type ProbeKind,
  pick,
  type Rng,
  type VitalsAnomalyRates,
  type VitalsModel,
} from '../../src/sim/model/index.ts';
import { type PresetName, presetForProbe } from './profiles.ts';

export type BenchProfile = 'truck' | 'probe' | 'vitals';
export const BENCH_PROFILES: readonly BenchProfile[] = ['truck', 'probe', 'vitals'];

/** Door column values. */
export const DOOR_NONE = 0;
export const DOOR_CLOSED = 1;
export const DOOR_OPEN = 2;

/** One device's series at a fixed cadence; the vitals columns only for patients. */
export interface Trace {
  readonly id: string;
  readonly profile: BenchProfile;
  /** Appliance of a probe; `truck` / `patient` otherwise. */
  readonly kind: ProbeKind | 'truck' | 'patient';
  /** Temperature profile the rules judge a logger or probe by. */
  readonly preset: PresetName;
  readonly startTs: number;
  readonly stepMs: number;
  readonly n: number;
  /** temp_c (load, cabinet or body), rounded as the device sends it. */
  readonly temp: Float64Array;
  /** Trucks: DOOR_CLOSED / DOOR_OPEN as reported; others DOOR_NONE. */
  readonly door: Uint8Array;
  /** Trucks: outside air per minute (for physically shaped faults). */
  readonly ambientPerMin: Float32Array | undefined;
  readonly hr: Int16Array | undefined;
  readonly spo2: Int16Array | undefined;
  readonly rr: Int16Array | undefined;
  readonly sbp: Int16Array | undefined;
  /** Patients' constant fields. */
  readonly patient: { onOxygen: boolean; consciousness: string; spo2Scale: 1 | 2 } | undefined;
}

export interface TraceOptions {
  readonly devices: number;
  readonly days: number;
  readonly stepMs: number;
  readonly seed: string;
}

const DAY_MS = 86_400_000;
const T0 = Date.UTC(2026, 0, 5, 0, 0, 0);

/** Probe appliances across a fleet: mostly fridges, some freezers, a few ultra-low units. */
export function probeKind(i: number): ProbeKind {
  const k = i % 15;
  return k < 9 ? 'fridge' : k < 13 ? 'freezer' : 'ultra-low';
}

export function generateTrace(profile: BenchProfile, i: number, o: TraceOptions): Trace {
  const id = `${profile}-${String(i).padStart(3, '0')}`;
  const rng = createRng(`${o.seed}/${id}`);
  // devices do not start in lockstep: up to a day apart, on whole seconds
  const startTs = T0 + Math.floor(rng.next() * 86_400) * 1000;
  const n = Math.floor((o.days * DAY_MS) / o.stepMs);
  const temp = new Float64Array(n);
  const door = new Uint8Array(n);
  const perMin = Math.max(1, Math.round(60_000 / o.stepMs));
  if (profile === 'truck') {
    const truck = createTruck({
      id,
      rng,
      startTs,
      route: pick(rng, allCorridorRoutes()),
      options: { incidents: { coolingFailurePerHour: 0, freezePerHour: 0 } },
    });
    const ambient = new Float32Array(Math.ceil(n / perMin) + 1);
    for (let k = 0; k < n; k++) {
      const s = truck.step(startTs + k * o.stepMs).sample;
      temp[k] = s.temp_c;
      door[k] = s.door === 'open' ? DOOR_OPEN : DOOR_CLOSED;
      if (k % perMin === 0) ambient[k / perMin] = truck.snapshot().ambientC;
    }
    return {
      id,
      profile,
      kind: 'truck',
      preset: 'refrigerated',
      startTs,
      stepMs: o.stepMs,
      n,
      temp,
      door,
      ambientPerMin: ambient,
      hr: undefined,
      spo2: undefined,
      rr: undefined,
      sbp: undefined,
      patient: undefined,
    };
  }
  if (profile === 'probe') {
    const kind = probeKind(i);
    const probe = createProbe({ id, rng, startTs, options: { kind, incidents: { powerOutagePerHour: 0 } } });
    for (let k = 0; k < n; k++) temp[k] = probe.step(startTs + k * o.stepMs).sample.temp_c;
    return {
      id,
      profile,
      kind,
      preset: presetForProbe(kind),
      startTs,
      stepMs: o.stepMs,
      n,
      temp,
      door,
      ambientPerMin: undefined,
      hr: undefined,
      spo2: undefined,
      rr: undefined,
      sbp: undefined,
      patient: undefined,
    };
  }
  return vitalsTrace(
    { id, rng, startTs, n, stepMs: o.stepMs },
    { ...NO_VITALS_ANOMALIES, artefactPerHour: 0.2 },
  );
}

/** Where and how long a patient trace runs. */
export interface PatientRun {
  readonly id: string;
  readonly rng: Rng;
  readonly startTs: number;
  readonly n: number;
  readonly stepMs: number;
}

/**
 * A patient's trace from the simulator's vitals monitor with the given episode rates;
 * `onSample(k, monitor)` sees the model after each sample (clinical-traces.ts labels episodes).
 */
export function vitalsTrace(
  run: PatientRun,
  anomalies: VitalsAnomalyRates,
  onSample?: (k: number, monitor: VitalsModel) => void,
): Trace {
  const { id, rng, startTs, n, stepMs } = run;
  const monitor = createVitalsMonitor({ id, rng, startTs, options: { anomalies } });
  const temp = new Float64Array(n);
  const hr = new Int16Array(n);
  const spo2 = new Int16Array(n);
  const rr = new Int16Array(n);
  const sbp = new Int16Array(n);
  let patient: Trace['patient'];
  for (let k = 0; k < n; k++) {
    const s = monitor.step(startTs + k * stepMs).sample;
    hr[k] = s.hr_bpm;
    spo2[k] = s.spo2_pct;
    rr[k] = s.rr_bpm;
    sbp[k] = s.sbp_mmhg;
    temp[k] = s.temp_c;
    patient ??= { onOxygen: s.on_oxygen, consciousness: s.consciousness, spo2Scale: s.spo2_scale };
    onSample?.(k, monitor);
  }
  return {
    id,
    profile: 'vitals',
    kind: 'patient',
    preset: 'refrigerated',
    startTs,
    stepMs,
    n,
    temp,
    door: new Uint8Array(n),
    ambientPerMin: undefined,
    hr,
    spo2,
    rr,
    sbp,
    patient,
  };
}

/** A copy whose columns can be changed without touching the original. */
export function cloneTrace(t: Trace): Trace {
  return {
    ...t,
    temp: t.temp.slice(),
    door: t.door.slice(),
    hr: t.hr?.slice(),
    spo2: t.spo2?.slice(),
    rr: t.rr?.slice(),
    sbp: t.sbp?.slice(),
  };
}
