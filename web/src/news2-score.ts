/**
 * NEWS2 of the vitals readings the dashboard loads, scored in the browser with the server's own
 * code (src/rules/news2.ts: pure TypeScript, bundled as is, so there is one implementation and
 * one set of test vectors). No DOM here: the unit tests run it in Node.
 *
 * A raw reading is scored exactly as the server scores it (`news2FromSample`). A downsampled
 * bucket (mean, min and max per field) is scored on the worst value of each vital within it:
 * for each parameter the highest score of its min, mean and max. Averaging therefore never hides
 * a deterioration; the total is an upper bound of the bucket's readings' scores.
 */

import {
  type Consciousness,
  type News2Band,
  news2Band,
  news2FromSample,
  scoreAirOrOxygen,
  scoreConsciousness,
  scorePulse,
  scoreRespiration,
  scoreSpo2Scale1,
  scoreSpo2Scale2,
  scoreSystolicBp,
  scoreTemperature,
} from '../../src/rules/news2.ts';
import { ms } from './instant.ts';
import type { Scalar, Series, SeriesPoint } from './types.ts';

/** One scored point: the total, its band and the per-parameter scores. */
export interface News2Point {
  ts: number;
  total: number;
  band: News2Band;
  redScore: boolean;
  parameters: Record<string, number>;
}

const CONSCIOUSNESS = new Set(['A', 'C', 'V', 'P', 'U']);

/** The candidates of a numeric field in a point: its value, and the bucket's min and max if any. */
function candidates(p: SeriesPoint, field: string): number[] {
  const out: number[] = [];
  const v: Scalar | undefined = p.values[field];
  if (typeof v === 'number' && Number.isFinite(v)) out.push(v);
  const lo = p.min?.[field];
  const hi = p.max?.[field];
  if (typeof lo === 'number') out.push(lo);
  if (typeof hi === 'number') out.push(hi);
  return out;
}

/**
 * NEWS2 of one point, or null when a needed field is missing. A raw reading is scored exactly
 * like the server scores it (`news2FromSample`); a bucket on the worst of min, mean and max.
 */
export function scorePoint(p: SeriesPoint): News2Point | null {
  if (!p.min && !p.max) {
    const r = news2FromSample(p.values);
    if ('missing' in r) return null;
    return {
      ts: ms(p.ts),
      total: r.total,
      band: r.band,
      redScore: r.redScore,
      parameters: { ...r.parameters },
    };
  }
  const onOxygen = p.values.on_oxygen;
  const consciousness = p.values.consciousness;
  if (typeof onOxygen !== 'boolean' || typeof consciousness !== 'string' || !CONSCIOUSNESS.has(consciousness))
    return null;
  const worst = (field: string, f: (v: number) => number): number | null => {
    const c = candidates(p, field);
    return c.length ? Math.max(...c.map(f)) : null;
  };
  const scale2 = p.values.spo2_scale === 2;
  const parts = {
    respiration: worst('rr_bpm', scoreRespiration),
    spo2: worst('spo2_pct', (v) => (scale2 ? scoreSpo2Scale2(v, onOxygen) : scoreSpo2Scale1(v))),
    airOrOxygen: scoreAirOrOxygen(onOxygen),
    systolicBp: worst('sbp_mmhg', scoreSystolicBp),
    pulse: worst('hr_bpm', scorePulse),
    consciousness: scoreConsciousness(consciousness as Consciousness),
    temperature: worst('temp_c', scoreTemperature),
  };
  const values = Object.values(parts);
  if (values.some((v) => v === null)) return null;
  const nums = values as number[];
  const total = nums.reduce((a, b) => a + b, 0);
  const redScore = nums.some((v) => v === 3);
  return {
    ts: ms(p.ts),
    total,
    band: news2Band(total, redScore),
    redScore,
    parameters: parts as Record<string, number>,
  };
}

/** Scores every point of a series (points missing a field are skipped). */
export function news2Series(series: Series): News2Point[] {
  return series.points.map(scorePoint).filter((p): p is News2Point => p !== null);
}
