/**
 * Features of a patient's vitals, one row per minute: for each of heart rate, SpO2, respiration
 * rate, systolic pressure and body temperature, its level: the median of the per-minute medians
 * of the last 3 minutes (3 readings for slower monitors). Medians, so a motion artefact (one
 * reading of SpO2 60 % or a pulse of 200) does not move a level.
 *
 * A minute is covered (left to the rules) when a level is outside the range rules' limits (for
 * the patient's SpO2 scale and oxygen), or a value is physically impossible. The NEWS2 score of the levels goes into the context, for the
 * monitor to combine with its scores.
 */
import { numberField } from '../condition-rule.ts';
import { type Consciousness, news2FromSample } from '../news2.ts';
import {
  createCadence,
  createMinuteRing,
  enterMinute,
  type FeatureExtractor,
  MINUTE_MS,
  type MinuteFeatures,
  type News2OfRow,
} from './features.ts';
import { medianInPlace } from './robust-stats.ts';

/** A vital: its sample field and the range the range rules hold it to (outside: covered). */
export interface VitalField {
  readonly field: string;
  readonly min?: number;
  readonly max?: number;
  /**
   * The range for the patient's SpO2 scale and oxygen, when it depends on them (SpO2 on NEWS2
   * scale 2: the rules alarm at 83 % and below, and at 97 % and above on oxygen); else min/max.
   */
  readonly rangeFor?: (patient: { readonly spo2Scale: 1 | 2; readonly onOxygen: boolean }) => {
    readonly min?: number;
    readonly max?: number;
  };
  /** Physically possible open interval (outside: the impossible-value rule's business). */
  readonly lowest: number;
  readonly highest: number;
}

export const VITAL_FEATURES = ['hr_bpm', 'spo2_pct', 'rr_bpm', 'sbp_mmhg', 'temp_c'] as const;

/** The NEWS2 parameter each vital is scored under (news2.ts). */
const NEWS2_PARAMETER: Readonly<Record<string, string>> = {
  hr_bpm: 'pulse',
  spo2_pct: 'spo2',
  rr_bpm: 'respiration',
  sbp_mmhg: 'systolicBp',
  temp_c: 'temperature',
};

const RING = 16;
/** Values kept per field and minute (a 1 Hz monitor sends 60; every other one is plenty). */
const PER_MINUTE = 32;

export function createVitalsFeatures(fields: readonly VitalField[]): FeatureExtractor {
  const d = fields.length;
  const cadence = createCadence();
  const cur = new Float64Array(d * PER_MINUTE);
  const curN = new Int32Array(d);
  let curSeen = 0;
  const ring = createMinuteRing(RING);
  const binMedian = new Float64Array(RING * d).fill(Number.NaN);
  let lastTs = Number.NEGATIVE_INFINITY;
  let firstTsOfBin = 0;
  let covered = false;
  let statics: { consciousness: Consciousness; onOxygen: boolean; scale: 1 | 2 } | undefined;
  const scratch = new Float64Array(Math.max(PER_MINUTE, RING));
  const row = new Float64Array(d);

  /** NEWS2 of a row of levels with the patient's consciousness, oxygen and SpO2 scale. */
  function news2Of(levels: ArrayLike<number>): News2OfRow | undefined {
    if (!statics) return undefined;
    const sample: Record<string, unknown> = {
      on_oxygen: statics.onOxygen,
      consciousness: statics.consciousness,
      spo2_scale: statics.scale,
    };
    fields.forEach((f, q) => {
      sample[f.field] = levels[q];
    });
    const s = news2FromSample(sample);
    if ('missing' in s) return undefined;
    const p = s.parameters as unknown as Record<string, number>;
    return { total: s.total, byFeature: fields.map((f) => p[NEWS2_PARAMETER[f.field] ?? ''] ?? 0) };
  }

  function finish(): MinuteFeatures {
    const m = ring.minutes[ring.head] as number;
    for (let q = 0; q < d; q++) {
      const n = curN[q] as number;
      for (let k = 0; k < n; k++) scratch[k] = cur[q * PER_MINUTE + k] as number;
      binMedian[ring.head * d + q] = n > 0 ? medianInPlace(scratch, n) : Number.NaN;
    }
    const lw = Math.min(30, Math.max(3, Math.ceil((3 * cadence.ms) / MINUTE_MS)));
    let enough = true;
    const impossible = covered;
    let outOfRange = false;
    for (let q = 0; q < d; q++) {
      let n = 0;
      for (let k = 0; k < RING; k++) {
        const i = (ring.head - k + RING) % RING;
        const age = m - (ring.minutes[i] as number);
        if (!(age >= 0) || age >= lw) break;
        const v = binMedian[i * d + q] as number;
        if (!Number.isNaN(v)) scratch[n++] = v;
      }
      if (n === 0) {
        enough = false;
        continue;
      }
      const level = medianInPlace(scratch, n);
      row[q] = level;
      const f = fields[q] as VitalField;
      const range =
        f.rangeFor && statics ? f.rangeFor({ spo2Scale: statics.scale, onOxygen: statics.onOxygen }) : f;
      if ((range.min !== undefined && level < range.min) || (range.max !== undefined && level > range.max))
        outOfRange = true;
    }
    const context: Record<string, number | string | boolean> = {};
    const news2 = enough ? news2Of(row) : undefined;
    if (news2 !== undefined) context['news2'] = news2.total;
    return {
      minute: m,
      firstTs: firstTsOfBin,
      lastTs,
      row: enough ? row : undefined,
      covered: impossible,
      outOfRange,
      context,
    };
  }

  return {
    names: fields.map((f) => f.field),
    news2Of,
    get intervalMs() {
      return cadence.ms;
    },
    bytes: RING * (d + 1) * 8 + d * PER_MINUTE * 8 + 512,
    observe(r) {
      if (r.ts <= lastTs || r.source === 'event') return [];
      const out = enterMinute(ring, r.ts, finish, () => {
        curN.fill(0);
        curSeen = 0;
        covered = false;
        firstTsOfBin = r.ts;
      });
      if (lastTs > Number.NEGATIVE_INFINITY) cadence.update(r.ts - lastTs);
      lastTs = r.ts;
      const c = r.data['consciousness'];
      if (typeof c === 'string' && 'ACVPU'.includes(c) && c.length === 1) {
        const scale = r.data['spo2_scale'] === 2 ? 2 : 1;
        statics = { consciousness: c as Consciousness, onOxygen: r.data['on_oxygen'] === true, scale };
      }
      curSeen++;
      // beyond PER_MINUTE readings a minute, keep every other one
      const keep = curSeen <= PER_MINUTE || curSeen % 2 === 0;
      for (let q = 0; q < d; q++) {
        const f = fields[q] as VitalField;
        const v = numberField(r, f.field);
        if (v === undefined) continue;
        if (!(v > f.lowest && v < f.highest)) {
          covered = true;
          continue;
        }
        const n = curN[q] as number;
        if (!keep) continue;
        if (n < PER_MINUTE) {
          cur[q * PER_MINUTE + n] = v;
          curN[q] = n + 1;
        } else cur[q * PER_MINUTE + (curSeen % PER_MINUTE)] = v;
      }
      return out;
    },
  };
}
