/**
 * Excursions and time out of range, from a sorted temperature series.
 *
 * Time accounting (shared with the cumulative budget rule): each interval between two readings
 * is charged to the state of the reading that opens it, the way a logger charges one sampling
 * interval per out-of-range sample. An excursion therefore runs from its first out-of-range
 * reading to the first reading that is back in range (or of the other kind).
 *
 * An interval longer than the data-gap limit is charged to nothing (nothing is known about it),
 * but it does not end an excursion either: no reading shows a return to range, so an excursion
 * with a gap inside has `durationMs` (observed time) shorter than `end - start`. The heat and
 * freeze alarms read continuity the same way (rules/condition-rule.ts).
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
  /** Observed time out of range: `end - start` less any data gaps inside. */
  readonly durationMs: number;
  /** Highest temperature of an `above` excursion, lowest of a `below` one. */
  readonly peakC: number;
  /** True when the series ends while still out of range. */
  readonly ongoing: boolean;
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

/** Excursions of a timestamp-sorted series against the profile's range. */
export function findExcursions(
  points: readonly TempPoint[],
  profile: Pick<TemperatureProfile, 'lowerC' | 'upperC' | 'dataGapMaxMs'>,
): ExcursionReport {
  return findExcursionsBy(points, (t) => classifyTemperature(t, profile), profile.dataGapMaxMs);
}

/** As {@link findExcursions} with any classifier (a budget's own limit, for example). */
export function findExcursionsBy(
  points: readonly TempPoint[],
  classify: (tempC: number) => ExcursionKind | undefined,
  maxGapMs: number,
): ExcursionReport {
  const excursions: Excursion[] = [];
  const total = { above: 0, below: 0 };
  let cur: { kind: ExcursionKind; start: number; peakC: number; observedMs: number } | undefined;
  let prevTs = Number.NaN;
  const close = (end: number, ongoing: boolean) => {
    if (!cur) return;
    total[cur.kind] += cur.observedMs;
    excursions.push({
      kind: cur.kind,
      start: cur.start,
      end,
      durationMs: cur.observedMs,
      peakC: cur.peakC,
      ongoing,
    });
    cur = undefined;
  };
  for (const p of points) {
    const dt = p.ts - prevTs;
    // the interval since the previous reading belongs to that reading's state: cur's kind
    if (cur && dt <= maxGapMs) cur.observedMs += dt;
    const kind = classify(p.tempC);
    if (cur && cur.kind !== kind) close(p.ts, false);
    if (kind !== undefined) {
      if (!cur) cur = { kind, start: p.ts, peakC: p.tempC, observedMs: 0 };
      else if (kind === 'above' ? p.tempC > cur.peakC : p.tempC < cur.peakC) cur.peakC = p.tempC;
    }
    prevTs = p.ts;
  }
  close(prevTs, true);
  return { excursions, timeAboveMs: total.above, timeBelowMs: total.below };
}
