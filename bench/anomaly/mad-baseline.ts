/**
 * The simple robust baseline: per field, the median and MAD of the samples of the last hour; a
 * sample more than `threshold` robust SDs (1.4826 MAD, floored at the field's resolution) from
 * the median is flagged. An alarm opens at a flagged sample and closes at the next unflagged one,
 * like the shipped forest's. No persistence, no hold, no coverage by the range rules.
 */
import type { Reading } from '../../src/rules/rule.ts';
import type { BenchAlarm } from './detectors.ts';

interface Window {
  readonly field: string;
  readonly floor: number;
  readonly times: number[];
  readonly values: number[];
  /** The same values, sorted. */
  readonly sorted: number[];
  head: number;
  mad: number;
  madAt: number;
}

function lowerBound(a: readonly number[], v: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((a[mid] as number) < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** k-th smallest |x - m| of a sorted array, by merging both sides outward from the median. */
function madOf(sorted: readonly number[], m: number): number {
  const n = sorted.length;
  const k = (n - 1) >> 1;
  let r = lowerBound(sorted, m);
  let l = r - 1;
  let d = 0;
  for (let i = 0; i <= k; i++) {
    const dl = l >= 0 ? m - (sorted[l] as number) : Number.POSITIVE_INFINITY;
    const dr = r < n ? (sorted[r] as number) - m : Number.POSITIVE_INFINITY;
    if (dl <= dr) {
      d = dl;
      l--;
    } else {
      d = dr;
      r++;
    }
  }
  return d;
}

export interface MadOptions {
  readonly fields: readonly { field: string; floor: number }[];
  readonly windowMs?: number;
  readonly threshold?: number;
  readonly minSamples?: number;
}

export function runMad(readings: readonly Reading[], o: MadOptions): BenchAlarm[] {
  const windowMs = o.windowMs ?? 3_600_000;
  const threshold = o.threshold ?? 5;
  const minSamples = o.minSamples ?? 180;
  const ws: Window[] = o.fields.map((f) => ({
    field: f.field,
    floor: f.floor,
    times: [],
    values: [],
    sorted: [],
    head: 0,
    mad: 0,
    madAt: Number.NEGATIVE_INFINITY,
  }));
  const out: BenchAlarm[] = [];
  let open = false;
  let last = Number.NEGATIVE_INFINITY;
  for (const r of readings) {
    if (r.ts < last + 10_000) continue;
    last = r.ts;
    let worst = 0;
    let why = '';
    for (const w of ws) {
      const v = r.data[w.field];
      if (typeof v !== 'number' || !Number.isFinite(v)) continue;
      while (w.head < w.times.length && (w.times[w.head] as number) < r.ts - windowMs) {
        const old = w.values[w.head] as number;
        w.sorted.splice(lowerBound(w.sorted, old), 1);
        w.head++;
      }
      if (w.head > 4096) {
        w.times.splice(0, w.head);
        w.values.splice(0, w.head);
        w.head = 0;
      }
      const n = w.sorted.length;
      if (n >= minSamples) {
        const med = ((w.sorted[(n - 1) >> 1] as number) + (w.sorted[n >> 1] as number)) / 2;
        if (r.ts - w.madAt >= 60_000) {
          w.mad = madOf(w.sorted, med);
          w.madAt = r.ts;
        }
        const z = Math.abs(v - med) / Math.max(1.4826 * w.mad, w.floor);
        if (z > worst) {
          worst = z;
          why = `${w.field} ${z.toFixed(1)} robust SDs from its 1-hour median`;
        }
      }
      w.times.push(r.ts);
      w.values.push(v);
      w.sorted.splice(lowerBound(w.sorted, v), 0, v);
    }
    const flagged = worst > threshold;
    if (flagged && !open) out.push({ raisedAt: r.ts, rule: 'mad', statistical: true, message: why });
    open = flagged;
  }
  return out;
}

export const MAD_FIELDS = {
  temperature: [{ field: 'temp_c', floor: 0.05 }],
  vitals: [
    { field: 'hr_bpm', floor: 1 },
    { field: 'spo2_pct', floor: 0.5 },
    { field: 'rr_bpm', floor: 0.5 },
    { field: 'sbp_mmhg', floor: 1 },
    { field: 'temp_c', floor: 0.05 },
  ],
} as const;
