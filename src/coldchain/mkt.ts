/**
 * Mean kinetic temperature, USP <1160>:
 *
 *   MKT = (ΔH/R) / -ln( Σ t_i·exp(-(ΔH/R)/T_i) / Σ t_i )
 *
 * with ΔH/R = 10 000 K (83.144 kJ/mol over 8.3144 J/(mol·K)) and T_i in kelvin. MKT is for judging
 * controlled room and cold storage over time; it never excuses a freeze (DESIGN.md §5).
 *
 * Time weighting for irregular sampling: each reading stands for the time from half-way to its
 * previous reading to half-way to its next one (the first and last readings only for their inner
 * half). Summed over the series this is exactly the trapezoid rule applied to the exp() terms,
 * Σ_intervals Δ/2·(e_i + e_{i+1}), so both readings of "time-weighted" give the same number.
 * An interval longer than the data-gap limit counts as no time at all: nothing is known about it.
 * If no interval counts (one reading, or readings separated only by gaps), every reading weighs
 * the same.
 */
import { sortedByTs, type TempPoint } from './temperature-series.ts';

/** ΔH/R in kelvin (USP <1160>). */
export const MKT_DH_OVER_R_K = 10_000;
/** 0 °C in kelvin. */
export const KELVIN_OFFSET = 273.15;

export interface MktOptions {
  /** Intervals longer than this count as no time (default: every interval counts). */
  maxGapMs?: number;
  /** ΔH/R in kelvin (default 10 000). */
  dhOverRK?: number;
}

/** Each reading's weight in ms under the half-interval rule; a sorted series is expected. */
export function mktWeights(points: readonly TempPoint[], maxGapMs = Number.POSITIVE_INFINITY): Float64Array {
  const n = points.length;
  const w = new Float64Array(n);
  for (let i = 0; i + 1 < n; i++) {
    const d = (points[i + 1] as TempPoint).ts - (points[i] as TempPoint).ts;
    if (d <= maxGapMs) {
      w[i] = (w[i] as number) + d / 2;
      w[i + 1] = d / 2;
    }
  }
  return w;
}

function kineticTerm(tempC: number, dhOverR: number): number {
  return Math.exp(-dhOverR / (tempC + KELVIN_OFFSET));
}

function fromMean(mean: number, dhOverR: number): number {
  return dhOverR / -Math.log(mean) - KELVIN_OFFSET;
}

/** MKT in °C of a series (sorted or not); null for an empty one. */
export function mkt(points: readonly TempPoint[], options: MktOptions = {}): number | null {
  if (points.length === 0) return null;
  const dh = options.dhOverRK ?? MKT_DH_OVER_R_K;
  const sorted = sortedByTs(points);
  const w = mktWeights(sorted, options.maxGapMs);
  let sw = 0;
  let swe = 0;
  for (let i = 0; i < sorted.length; i++) {
    const wi = w[i] as number;
    sw += wi;
    swe += wi * kineticTerm((sorted[i] as TempPoint).tempC, dh);
  }
  if (sw === 0) {
    for (const p of sorted) swe += kineticTerm(p.tempC, dh);
    return fromMean(swe / sorted.length, dh);
  }
  return fromMean(swe / sw, dh);
}

/** The MKT of the window `[ts - windowMs, ts]` ending at one reading. */
export interface MktWindow {
  /** Window end: the timestamp of the reading the window ends at. */
  readonly ts: number;
  readonly fromTs: number;
  readonly mktC: number;
  /** Time inside the window that counted (gaps and the time before the first reading do not). */
  readonly coveredMs: number;
  /** True once the series reaches back a whole window before `ts`. */
  readonly complete: boolean;
}

/**
 * Trailing-window MKT ending at every reading. Each reading's span (as in {@link mkt}) is clipped
 * to the window, so the window ending at the last reading with a window longer than the series
 * equals `mkt()` of the whole series. O(n) with prefix sums.
 */
export function rollingMkt(
  points: readonly TempPoint[],
  windowMs: number,
  options: MktOptions = {},
): MktWindow[] {
  if (!(windowMs > 0)) throw new RangeError('windowMs must be positive');
  const dh = options.dhOverRK ?? MKT_DH_OVER_R_K;
  const maxGap = options.maxGapMs ?? Number.POSITIVE_INFINITY;
  const p = sortedByTs(points);
  const n = p.length;
  const left = new Float64Array(n);
  const right = new Float64Array(n);
  for (let i = 0; i + 1 < n; i++) {
    const d = (p[i + 1] as TempPoint).ts - (p[i] as TempPoint).ts;
    if (d <= maxGap) {
      right[i] = d / 2;
      left[i + 1] = d / 2;
    }
  }
  const e = new Float64Array(n);
  const prefE = new Float64Array(n + 1);
  const prefW = new Float64Array(n + 1);
  for (let i = 0; i < n; i++) {
    e[i] = kineticTerm((p[i] as TempPoint).tempC, dh);
    const w = (left[i] as number) + (right[i] as number);
    prefE[i + 1] = (prefE[i] as number) + (e[i] as number) * w;
    prefW[i + 1] = (prefW[i] as number) + w;
  }
  const out: MktWindow[] = [];
  const t0 = n > 0 ? (p[0] as TempPoint).ts : 0;
  let j = 0;
  for (let k = 0; k < n; k++) {
    const tk = (p[k] as TempPoint).ts;
    const s = tk - windowMs;
    // first reading whose span reaches past the window start; spans tile, so this only moves forward
    while (j < k && (p[j] as TempPoint).ts + (right[j] as number) <= s) j++;
    let sw: number;
    let swe: number;
    if (j < k) {
      const clip = Math.max(0, s - ((p[j] as TempPoint).ts - (left[j] as number)));
      sw = (prefW[k] as number) - (prefW[j] as number) - clip + (left[k] as number);
      swe =
        (prefE[k] as number) -
        (prefE[j] as number) -
        clip * (e[j] as number) +
        (left[k] as number) * (e[k] as number);
    } else {
      sw = Math.min(left[k] as number, windowMs);
      swe = sw * (e[k] as number);
    }
    let mktC: number;
    if (sw > 0) {
      mktC = fromMean(swe / sw, dh);
    } else {
      // only isolated readings (gaps all round) in the window: equal weights
      let sum = 0;
      let count = 0;
      for (let i = k; i >= 0 && (p[i] as TempPoint).ts >= s; i--) {
        sum += e[i] as number;
        count++;
      }
      mktC = fromMean(sum / count, dh);
    }
    out.push({ ts: tk, fromTs: s, mktC, coveredMs: sw, complete: tk - t0 >= windowMs });
  }
  return out;
}

/** Decimals every output shows MKT with (API, CLI, dashboard, PDF and CSV reports). */
export const MKT_DECIMALS = 2;

/** MKT rounded the one way all outputs show it: to 0.01 °C, so no two outputs disagree. */
export function roundMkt(mktC: number): number {
  const f = 10 ** MKT_DECIMALS;
  return Math.round(mktC * f) / f;
}
