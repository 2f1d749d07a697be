/**
 * Features of a temperature (a truck's load, a fridge's cabinet), one row per minute:
 * 1. level: the mean of the readings of the last 5 minutes, °C;
 * 2. slope: the least-squares slope of the per-minute means over the last 10 minutes, °C/min;
 * 3. level-30 and 4. slope-30: the same over the last 30 minutes, which a compressor cycle or a
 *    door opening averages out and a failing cooling unit does not;
 * 5. log noise: ln of the sensor noise over the last 10 minutes, from second differences of
 *    consecutive readings (which cancel a steady trend; for white noise of SD σ and readings
 *    r = Δt₂/Δt₁ apart, Var(x₃ − x₂ − r(x₂ − x₁)) = σ²(1 + (1 + r)² + r²)).
 * The windows stretch to 3, 6, 6, 12 and `noiseReadings` readings for devices slower than one
 * a minute.
 *
 * A minute is covered (left to the rules) while any of its windows holds a minute whose level was
 * outside the profile's range (the tiered alarms judge that excursion, and its way back) or a
 * reading the sensor-fault rules judge (physically impossible, part of a flat line, a step beyond
 * physics: features computed across a sensor fault describe the fault, not the product); and
 * while a door is reported open and for `doorRecoveryMs` after it closed (the door rule's).
 */
import { numberField } from '../condition-rule.ts';
import {
  createCadence,
  createMinuteRing,
  enterMinute,
  type FeatureExtractor,
  MINUTE_MS,
  type MinuteFeatures,
} from './features.ts';

export interface TemperatureFeatureOptions {
  /** The profile's range: readings outside it are the tiered alarms' business. */
  readonly lowerC: number;
  readonly upperC: number;
  /** Physically possible open interval; readings outside it are ignored (impossible-value rule). */
  readonly lowestC: number;
  readonly highestC: number;
  /** Fastest physical change, °C/min, plus the allowance (the rate-of-change rule's limits). */
  readonly maxPerMin: number;
  readonly allowanceC: number;
  readonly doorRecoveryMs: number;
  /** Readings the noise window stretches to for devices slower than one a minute. */
  readonly noiseReadings: number;
}

const RING = 64;
const MAX_WINDOW_MIN = 60;
/** Identical readings in a row that make a flat line (the flat-line rule's count). */
const FLAT_RUN = 6;
/** A noise below this is sensor resolution, not noise (0.01 °C loggers). */
const NOISE_FLOOR_C = 0.005;

export const TEMPERATURE_FEATURES = ['level', 'slope', 'level-30', 'slope-30', 'log-noise'] as const;

export function createTemperatureFeatures(o: TemperatureFeatureOptions): FeatureExtractor {
  const cadence = createCadence();
  // per-minute bins, a ring of the last RING minutes that had readings
  const ring = createMinuteRing(RING);
  const binSum = new Float64Array(RING);
  const binN = new Float64Array(RING);
  const binDd = new Float64Array(RING);
  const binDdN = new Float64Array(RING);
  /** 1: a reading of the bin is the sensor-fault rules' business. */
  const binSuspect = new Uint8Array(RING);
  /** 1: the level at the end of the bin was outside the profile's range. */
  const binOut = new Uint8Array(RING);
  let p1: { ts: number; v: number } | undefined;
  let p2: { ts: number; v: number } | undefined;
  let lastTs = Number.NEGATIVE_INFINITY;
  let firstTsOfBin = 0;
  let lastDoorOpen = Number.NEGATIVE_INFINITY;
  let doorKnown = false;
  let flatValue = Number.NaN;
  let flatCount = 0;
  const row = new Float64Array(TEMPERATURE_FEATURES.length);

  const windowMin = (minMin: number, readings: number) =>
    Math.min(MAX_WINDOW_MIN, Math.max(minMin, Math.ceil((readings * cadence.ms) / MINUTE_MS)));

  /** Weighted least squares of the minute means over the last `w` minutes: mean, slope, bins, span. */
  function fit(m: number, w: number): { mean: number; slope: number; bins: number; span: number } {
    let sW = 0;
    let sT = 0;
    let sV = 0;
    let sTT = 0;
    let sTV = 0;
    let bins = 0;
    let span = 0;
    for (let k = 0; k < RING; k++) {
      const i = (ring.head - k + RING) % RING;
      const age = m - (ring.minutes[i] as number);
      if (!(age >= 0) || age >= w) break;
      const n = binN[i] as number;
      if (n === 0) continue;
      const mean = (binSum[i] as number) / n;
      sW += n;
      sT -= n * age;
      sV += n * mean;
      sTT += n * age * age;
      sTV -= n * age * mean;
      bins++;
      span = age;
    }
    const det = sW * sTT - sT * sT;
    return {
      mean: sW > 0 ? sV / sW : Number.NaN,
      slope: det > 0 ? (sW * sTV - sT * sV) / det : Number.NaN,
      bins,
      span,
    };
  }

  function finish(): MinuteFeatures {
    const m = ring.minutes[ring.head] as number;
    const lw = windowMin(5, 3);
    const nw = windowMin(10, o.noiseReadings);
    const sw = windowMin(10, 6);
    const lw30 = windowMin(30, 12);
    let lSum = 0;
    let lN = 0;
    let suspect = false;
    let wasOut = false;
    let dd = 0;
    let ddN = 0;
    for (let k = 0; k < RING; k++) {
      const i = (ring.head - k + RING) % RING;
      const age = m - (ring.minutes[i] as number);
      if (!(age >= 0) || age >= MAX_WINDOW_MIN) break;
      if (age < lw30 && binSuspect[i] === 1) suspect = true;
      if (age < lw30 && binOut[i] === 1) wasOut = true;
      if (age < lw) {
        lSum += binSum[i] as number;
        lN += binN[i] as number;
      }
      if (age < nw) {
        dd += binDd[i] as number;
        ddN += binDdN[i] as number;
      }
    }
    const short = fit(m, sw);
    const long = fit(m, lw30);
    const level = lSum / lN;
    const doorRecent = lastTs - lastDoorOpen < o.doorRecoveryMs;
    const enough =
      lN > 0 &&
      short.bins >= 3 &&
      short.span >= Math.floor(sw / 2) &&
      long.bins >= 6 &&
      long.span >= Math.floor(lw30 / 2) &&
      Number.isFinite(short.slope) &&
      Number.isFinite(long.slope) &&
      ddN >= 4;
    if (enough) {
      row[0] = level;
      row[1] = short.slope;
      row[2] = long.mean;
      row[3] = long.slope;
      row[4] = Math.log(Math.max(Math.sqrt(dd / ddN), NOISE_FLOOR_C));
    }
    const outOfRange = lN > 0 && (level < o.lowerC || level > o.upperC);
    if (outOfRange) binOut[ring.head] = 1;
    return {
      minute: m,
      firstTs: firstTsOfBin,
      lastTs,
      row: enough ? row : undefined,
      covered: suspect || doorRecent,
      outOfRange: outOfRange || wasOut,
      context: doorKnown ? { door: doorRecent ? 'open' : 'closed' } : {},
    };
  }

  return {
    names: TEMPERATURE_FEATURES,
    get intervalMs() {
      return cadence.ms;
    },
    bytes: RING * (5 * 8 + 1) + 256,
    observe(r) {
      if (r.ts <= lastTs) return []; // late: the rules judge it; the monitor's windows have moved on
      const door = r.data['door'];
      if (door === 'open' || door === 'closed') {
        doorKnown = true;
        if (door === 'open') lastDoorOpen = r.ts;
      }
      const v = numberField(r, 'temp_c');
      if (v === undefined || r.source === 'event') {
        // an event (door, power) moves no temperature window
        return [];
      }
      const out = enterMinute(ring, r.ts, finish, (slot) => {
        binSum[slot] = 0;
        binN[slot] = 0;
        binDd[slot] = 0;
        binDdN[slot] = 0;
        binSuspect[slot] = 0;
        binOut[slot] = 0;
        firstTsOfBin = r.ts;
      });
      if (lastTs > Number.NEGATIVE_INFINITY) cadence.update(r.ts - lastTs);
      lastTs = r.ts;
      if (v === flatValue) flatCount++;
      else {
        flatValue = v;
        flatCount = 1;
      }
      if (flatCount >= FLAT_RUN) binSuspect[ring.head] = 1;
      if (!(v > o.lowestC && v < o.highestC)) {
        binSuspect[ring.head] = 1; // impossible: the sensor, not the product
        return out;
      }
      if (p1 && Math.abs(v - p1.v) > o.allowanceC + (o.maxPerMin * (r.ts - p1.ts)) / MINUTE_MS)
        binSuspect[ring.head] = 1;
      binSum[ring.head] = (binSum[ring.head] as number) + v;
      binN[ring.head] = (binN[ring.head] as number) + 1;
      if (p1 && p2 && r.ts - p1.ts <= 10 * MINUTE_MS && p1.ts - p2.ts <= 10 * MINUTE_MS) {
        const ratio = (r.ts - p1.ts) / (p1.ts - p2.ts);
        const d = v - p1.v - ratio * (p1.v - p2.v);
        binDd[ring.head] = (binDd[ring.head] as number) + (d * d) / (1 + (1 + ratio) ** 2 + ratio ** 2);
        binDdN[ring.head] = (binDdN[ring.head] as number) + 1;
      }
      p2 = p1;
      p1 = { ts: r.ts, v };
      return out;
    },
  };
}
