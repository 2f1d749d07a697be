/**
 * Labelled faults injected into copies of the normal traces, shaped by the physics of each
 * device (a cooling failure relaxes toward the outside air with the appliance's own time
 * constant, a door left ajar toward a new equilibrium between the setpoint and the outside air).
 *
 * Schedule: the first day of a trace is history only; the rest is cut into 12-hour slots, one
 * fault per slot, starting 1-3 h into the slot and over (recovery included) within 8.5 h, so the
 * detectors are back to normal before the next. Each device gets the profile's fault kinds in its
 * own shuffled order, repeated to fill its slots.
 */
import { createRng, gaussian, type ProbeKind, type Rng, uniform } from '../../src/sim/model/index.ts';
import { APPLIANCES } from '../../src/sim/model/temperature-probe.ts';
import { type BenchProfile, cloneTrace, type Trace } from './traces.ts';

export const TEMPERATURE_FAULTS = [
  'stuck',
  'drift',
  'spike',
  'dropout',
  'noise',
  'cooling-failure',
  'door-ajar',
] as const;
export const VITALS_FAULTS = ['hr-jump', 'spo2-decline', 'rr-hr-decoupling', 'flat-line'] as const;
export type FaultKind = (typeof TEMPERATURE_FAULTS)[number] | (typeof VITALS_FAULTS)[number];

export const faultKinds = (p: BenchProfile): readonly FaultKind[] =>
  p === 'vitals' ? VITALS_FAULTS : TEMPERATURE_FAULTS;

/** One injected fault: detections count from `startTs` to `endTs` (recovery included). */
export interface FaultLabel {
  readonly kind: FaultKind;
  readonly deviceId: string;
  readonly startTs: number;
  readonly endTs: number;
}

const MIN = 60_000;
const HOUR = 3_600_000;
const SLOT = 12 * HOUR;

const round2 = (v: number) => Math.round(v * 100) / 100;

/** Sensor noise of the device the trace came from (the models' `sensorNoiseC`). */
const noiseOf = (t: Trace) => (t.profile === 'truck' ? 0.2 : 0.08);

/** Index of the first sample at or after `ts`, clamped to the trace. */
const idx = (t: Trace, ts: number) => Math.min(t.n, Math.max(0, Math.ceil((ts - t.startTs) / t.stepMs)));
const tsOf = (t: Trace, i: number) => t.startTs + i * t.stepMs;

function meanBefore(t: Trace, i: number): number {
  let s = 0;
  let c = 0;
  for (let k = Math.max(0, i - 6); k < i; k++) {
    s += t.temp[k] as number;
    c++;
  }
  return c > 0 ? s / c : (t.temp[i] as number);
}

/** Pull-down after a repair: the excess over the normal series decays with `tau`. */
function recover(t: Trace, from: number, excess: number, tauMs: number, maxMs: number): number {
  const end = idx(t, tsOf(t, from) + maxMs);
  let i = from;
  for (; i < end; i++) {
    const e = excess * Math.exp(-(tsOf(t, i) - tsOf(t, from)) / tauMs);
    if (Math.abs(e) < 0.05) break;
    t.temp[i] = round2((t.temp[i] as number) + e);
  }
  return i;
}

function ambientAt(t: Trace, i: number): number {
  if (t.profile === 'probe') return 22;
  const a = t.ambientPerMin;
  const m = Math.floor((i * t.stepMs) / MIN);
  return a ? (a[Math.min(a.length - 1, m)] as number) : 20;
}

/** Injects one temperature fault at sample `i0`; returns the sample index where it is over. */
function injectTemperature(t: Trace, kind: FaultKind, i0: number, rng: Rng): number {
  const sd = noiseOf(t);
  const t0 = tsOf(t, i0);
  const span = (minMin: number, maxMin: number) => idx(t, t0 + uniform(rng, minMin, maxMin) * MIN);
  switch (kind) {
    case 'stuck': {
      const end = span(20, 180);
      const v = t.temp[Math.max(0, i0 - 1)] as number;
      for (let i = i0; i < end; i++) t.temp[i] = v;
      return end;
    }
    case 'drift': {
      const end = span(180, 420);
      const rate = (rng.next() < 0.5 ? -1 : 1) * uniform(rng, 0.5, 2); // °C per hour
      for (let i = i0; i < end; i++)
        t.temp[i] = round2((t.temp[i] as number) + (rate * (tsOf(t, i) - t0)) / HOUR);
      return end; // recalibrated or replaced: back at once
    }
    case 'spike': {
      const n = 1 + Math.floor(rng.next() * 3);
      const off = (rng.next() < 0.5 ? -1 : 1) * uniform(rng, 3, 15);
      for (let i = i0; i < Math.min(t.n, i0 + n); i++) t.temp[i] = round2((t.temp[i] as number) + off);
      return Math.min(t.n, i0 + n);
    }
    case 'dropout': {
      const end = span(5, 120);
      const codes = t.kind === 'fridge' || t.kind === 'truck' ? [-40, -127, 85, 0] : [-127, 85, 0];
      const v = codes[Math.floor(rng.next() * codes.length)] as number;
      for (let i = i0; i < end; i++) t.temp[i] = v;
      return end;
    }
    case 'noise': {
      const end = span(15, 90);
      const extra = uniform(rng, 0.4, 1.5);
      for (let i = i0; i < end; i++) t.temp[i] = round2((t.temp[i] as number) + gaussian(rng, 0, extra));
      return end;
    }
    case 'cooling-failure': {
      const end = span(120, 420);
      const tau = t.profile === 'truck' ? 180 * MIN : APPLIANCES[t.kind as ProbeKind].tauOffMin * MIN;
      const target = t.profile === 'truck' ? Math.max(ambientAt(t, i0), 12) + uniform(rng, 0, 8) : 22;
      const start = meanBefore(t, i0);
      for (let i = i0; i < end; i++) {
        const v = target + (start - target) * Math.exp(-(tsOf(t, i) - t0) / tau);
        t.temp[i] = round2(v + gaussian(rng, 0, sd));
      }
      if (end >= t.n) return end;
      return recover(t, end, (t.temp[end - 1] as number) - (t.temp[end] as number), 20 * MIN, 90 * MIN);
    }
    case 'door-ajar': {
      const end = span(60, 300);
      const base = meanBefore(t, i0);
      const outside = t.profile === 'truck' ? Math.max(ambientAt(t, i0), 10) : 22;
      const f = t.profile === 'truck' ? uniform(rng, 0.25, 0.6) : uniform(rng, 0.15, 0.5);
      const amp = f * (outside - base);
      const tau = uniform(rng, 15, 40) * MIN;
      let off = 0;
      for (let i = i0; i < end; i++) {
        off = amp * (1 - Math.exp(-(tsOf(t, i) - t0) / tau));
        t.temp[i] = round2((t.temp[i] as number) + off);
      }
      return end >= t.n ? end : recover(t, end, off, 20 * MIN, 90 * MIN);
    }
    default:
      throw new Error(`not a temperature fault: ${kind}`);
  }
}

function ramp(i: number, i0: number, end: number, rampN: number): number {
  return Math.max(0, Math.min(1, (i - i0) / Math.max(1, rampN), (end - i) / Math.max(1, rampN)));
}

function injectVitals(t: Trace, kind: FaultKind, i0: number, rng: Rng): number {
  const hr = t.hr as Int16Array;
  const spo2 = t.spo2 as Int16Array;
  const rr = t.rr as Int16Array;
  const sbp = t.sbp as Int16Array;
  const t0 = tsOf(t, i0);
  const per = (min: number) => Math.round((min * MIN) / t.stepMs);
  const span = (minMin: number, maxMin: number) => idx(t, t0 + uniform(rng, minMin, maxMin) * MIN);
  switch (kind) {
    case 'hr-jump': {
      const end = span(20, 90);
      const d = rng.next() < 0.75 ? uniform(rng, 20, 45) : -uniform(rng, 20, 30);
      const r = per(uniform(rng, 1, 2));
      for (let i = i0; i < end; i++)
        hr[i] = Math.max(20, Math.min(250, Math.round((hr[i] as number) + d * ramp(i, i0, end, r))));
      return end;
    }
    case 'spo2-decline': {
      const rampMin = uniform(rng, 10, 40);
      const end = span(rampMin + 20, rampMin + 90);
      const d = uniform(rng, 3, 8);
      const down = per(rampMin);
      const up = per(5);
      for (let i = i0; i < end; i++) {
        const k = Math.min((i - i0) / Math.max(1, down), (end - i) / Math.max(1, up), 1);
        spo2[i] = Math.max(50, Math.round((spo2[i] as number) - d * Math.max(0, k)));
      }
      return end;
    }
    case 'rr-hr-decoupling': {
      const end = span(20, 90);
      const d = rng.next() < 0.7 ? uniform(rng, 6, 12) : -uniform(rng, 5, 8);
      const r = per(3);
      for (let i = i0; i < end; i++)
        rr[i] = Math.max(4, Math.round((rr[i] as number) + d * ramp(i, i0, end, r)));
      return end;
    }
    case 'flat-line': {
      const end = span(10, 60);
      const j = Math.max(0, i0 - 1);
      for (let i = i0; i < end; i++) {
        hr[i] = hr[j] as number;
        spo2[i] = spo2[j] as number;
        rr[i] = rr[j] as number;
        sbp[i] = sbp[j] as number;
        t.temp[i] = t.temp[j] as number;
      }
      return end;
    }
    default:
      throw new Error(`not a vitals fault: ${kind}`);
  }
}

/** A copy of `normal` with a fault in every slot, and the faults' labels. */
export function injectFaults(normal: Trace, seed: string): { trace: Trace; labels: FaultLabel[] } {
  const t = cloneTrace(normal);
  const rng = createRng(`${seed}/faults/${t.id}`);
  const kinds = faultKinds(t.profile);
  const order = [...kinds];
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(rng.next() * (i + 1));
    [order[i], order[j]] = [order[j] as FaultKind, order[i] as FaultKind];
  }
  const labels: FaultLabel[] = [];
  const slots = Math.floor((t.n * t.stepMs - 24 * HOUR) / SLOT);
  for (let s = 0; s < slots; s++) {
    const kind = order[s % order.length] as FaultKind;
    const startTs = t.startTs + 24 * HOUR + s * SLOT + Math.round(uniform(rng, 1, 3) * HOUR);
    const i0 = idx(t, startTs);
    const end = t.profile === 'vitals' ? injectVitals(t, kind, i0, rng) : injectTemperature(t, kind, i0, rng);
    labels.push({ kind, deviceId: t.id, startTs: tsOf(t, i0), endTs: tsOf(t, Math.max(end, i0 + 1)) });
  }
  return { trace: t, labels };
}
