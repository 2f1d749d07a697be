/** The contract between a profile's feature extractor and the monitor. */
import type { Reading } from '../rule.ts';

export interface News2OfRow {
  readonly total: number;
  /** The NEWS2 parameter score of each feature, in feature order (0 for features NEWS2 lacks). */
  readonly byFeature: readonly number[];
}

/** One finished minute of a device, as its features. */
export interface MinuteFeatures {
  /** Minute index, floor(ts / 60 000). */
  readonly minute: number;
  readonly firstTs: number;
  readonly lastTs: number;
  /** The feature row; undefined when the windows hold too little data to say anything. */
  readonly row: Float64Array | undefined;
  /**
   * Judged by the rules, not by the monitor: a door reported open (and the recovery after it), a
   * sensor fault. Neither scored nor learnt from.
   */
  readonly covered: boolean;
  /**
   * A level is (or the windows hold one that was) outside the range the range rules judge: only
   * features scored despite the range (a sensor's noise) are scored; nothing is learnt.
   */
  readonly outOfRange: boolean;
  /** Operator context for explanations (door reported closed, NEWS2 at the levels, ...). */
  readonly context: Readonly<Record<string, number | string | boolean>>;
}

export interface FeatureExtractor {
  readonly names: readonly string[];
  /** Feeds one reading (in timestamp order); returns the minutes it finished (usually none or one). */
  observe(r: Reading): MinuteFeatures[];
  /** Typical time between readings, ms (windows stretch for slow devices). */
  readonly intervalMs: number;
  readonly bytes: number;
  /**
   * Patients: NEWS2 of a row of levels, its total and each feature's parameter score (undefined
   * before the patient's consciousness, oxygen and SpO2 scale are known).
   */
  news2Of?(row: ArrayLike<number>): News2OfRow | undefined;
}

/** Typical cadence: a slow exponential average of the gaps between readings, gaps over 1 h ignored. */
export function createCadence(): { update(dtMs: number): void; readonly ms: number } {
  let ms = 0;
  return {
    update(dt) {
      if (!(dt > 0) || dt > 3_600_000) return;
      ms = ms === 0 ? dt : ms + (dt - ms) * 0.05;
    },
    get ms() {
      return ms === 0 ? 60_000 : ms;
    },
  };
}

export const MINUTE_MS = 60_000;
export const minuteOf = (ts: number): number => Math.floor(ts / MINUTE_MS);

/** A ring of per-minute bins: the minute each slot holds, and the newest slot (-1: none yet). */
export interface MinuteRing {
  readonly minutes: Float64Array;
  head: number;
}

export function createMinuteRing(size: number): MinuteRing {
  return { minutes: new Float64Array(size).fill(Number.NEGATIVE_INFINITY), head: -1 };
}

/**
 * Moves the ring to the minute of `ts`: when the minute changes, `finish` turns the newest bin
 * into its features (returned) and `start` clears the next slot for the new minute.
 */
export function enterMinute<T>(
  ring: MinuteRing,
  ts: number,
  finish: () => T,
  start: (slot: number) => void,
): T[] {
  const m = minuteOf(ts);
  if (ring.head >= 0 && m === ring.minutes[ring.head]) return [];
  const out = ring.head >= 0 ? [finish()] : [];
  ring.head = (ring.head + 1) % ring.minutes.length;
  ring.minutes[ring.head] = m;
  start(ring.head);
  return out;
}
