/**
 * Excursions and time out of range, from a sorted temperature series.
 *
 * Time accounting (shared with the cumulative budget rule): each interval between two readings
 * is charged to the state of the reading that opens it, the way a logger charges one sampling
 * interval per out-of-range sample. An excursion therefore runs from its first out-of-range
 * reading to the first reading that is back in range (or of the other kind).
 *
 * Excursions of the same kind closer than the profile's merge gap (`mergeGapMinutes`) are one
 * excursion: sensor noise around a limit makes one excursion with `parts` > 1, not dozens of
 * two-second ones. Its `durationMs` is still only the time actually out of range; the readings
 * themselves are untouched. (The warning and critical alarms merge the same way and also apply
 * the profile's hysteresis before they clear: docs/alarms.md.)
 *
 * An interval longer than the data-gap limit is charged to nothing (nothing is known about it),
 * but it does not end an excursion either: no reading shows a return to range, so an excursion
 * with a gap inside has `durationMs` (observed time) shorter than `end - start`. Every duration
 * alarm reads continuity the same way (rules/condition-rule.ts, "the gap rule").
 */
import type { TemperatureProfile } from './profiles.ts';
import type { TempPoint } from './temperature-series.ts';

export type ExcursionKind = 'above' | 'below';

/** One period out of range. */
export interface Excursion {
  readonly kind: ExcursionKind;
  /** Timestamp of the first out-of-range reading. */
  readonly start: number;
  /** First reading back in range (or of the other kind), or the last reading of the series. */
  readonly end: number;
  /** Observed time out of range: `end - start` less data gaps and merged returns to range. */
  readonly durationMs: number;
  /** Highest temperature of an `above` excursion, lowest of a `below` one. */
  readonly peakC: number;
  /** True when the series ends while still out of range. */
  readonly ongoing: boolean;
  /** Excursions merged into this one because they were closer than the merge gap (1: none). */
  readonly parts: number;
}

export interface ExcursionReport {
  readonly excursions: readonly Excursion[];
  readonly timeAboveMs: number;
  readonly timeBelowMs: number;
}

/** Which side of the range a temperature is on; the range limits themselves are in range. */
export function classifyTemperature(
  tempC: number,
  range: Pick<TemperatureProfile, 'lowerC' | 'upperC'>,
): ExcursionKind | undefined {
  if (tempC > range.upperC) return 'above';
  if (tempC < range.lowerC) return 'below';
  return undefined;
}

/** Excursions of a timestamp-sorted series against the profile's range, merged by its merge gap. */
export function findExcursions(
  points: readonly TempPoint[],
  profile: Pick<TemperatureProfile, 'lowerC' | 'upperC' | 'dataGapMaxMs' | 'mergeGapMinutes'>,
): ExcursionReport {
  return findExcursionsBy(
    points,
    (t) => classifyTemperature(t, profile),
    profile.dataGapMaxMs,
    profile.mergeGapMinutes * 60_000,
  );
}

/**
 * As {@link findExcursions} with any classifier (a budget's own limit, for example) and merge gap
 * (default 0: a return to range always ends an excursion).
 */
export function findExcursionsBy(
  points: readonly TempPoint[],
  classify: (tempC: number) => ExcursionKind | undefined,
  maxGapMs: number,
  mergeGapMs = 0,
): ExcursionReport {
  const excursions: Excursion[] = [];
  const total = { above: 0, below: 0 };
  type Open = { kind: ExcursionKind; start: number; peakC: number; observedMs: number; parts: number };
  let cur: Open | undefined;
  /** First reading back in range while the merge gap runs. */
  let clearedAt: number | undefined;
  let prevKind: ExcursionKind | undefined;
  let prevTs = Number.NaN;
  const close = (end: number, ongoing: boolean) => {
    if (!cur) return;
    excursions.push({
      kind: cur.kind,
      start: cur.start,
      end,
      durationMs: cur.observedMs,
      peakC: cur.peakC,
      ongoing,
      parts: cur.parts,
    });
    cur = undefined;
    clearedAt = undefined;
  };
  for (const p of points) {
    const dt = p.ts - prevTs;
    // the interval since the previous reading belongs to that reading's state
    if (prevKind !== undefined && dt <= maxGapMs) {
      total[prevKind] += dt;
      if (cur && cur.kind === prevKind) cur.observedMs += dt;
    }
    const kind = classify(p.tempC);
    if (cur && clearedAt !== undefined && (kind !== undefined || p.ts - clearedAt >= mergeGapMs)) {
      // back out of range within the merge gap (same kind): one excursion; else it ended
      if (kind === cur.kind && p.ts - clearedAt < mergeGapMs) {
        cur.parts++;
        clearedAt = undefined;
      } else close(clearedAt, false);
    }
    if (cur && clearedAt === undefined && kind !== cur.kind) {
      if (kind === undefined && mergeGapMs > 0) clearedAt = p.ts;
      else close(p.ts, false);
    }
    if (kind !== undefined) {
      if (!cur) cur = { kind, start: p.ts, peakC: p.tempC, observedMs: 0, parts: 1 };
      else if (kind === 'above' ? p.tempC > cur.peakC : p.tempC < cur.peakC) cur.peakC = p.tempC;
    }
    prevKind = kind;
    prevTs = p.ts;
  }
  if (clearedAt !== undefined) close(clearedAt, false);
  else close(prevTs, true);
  return { excursions, timeAboveMs: total.above, timeBelowMs: total.below };
}
