/** The temperature facts of one shipment (or any series): what a report and `shipment show` print. */
import { type Excursion, findExcursions } from './excursions.ts';
import { mkt, roundMkt } from './mkt.ts';
import type { TemperatureProfile } from './profiles.ts';
import { type SeriesReading, temperatureSeries } from './temperature-series.ts';

export interface TemperatureSummary {
  readonly readingCount: number;
  readonly firstTs: number | null;
  readonly lastTs: number | null;
  readonly minC: number | null;
  readonly maxC: number | null;
  /**
   * MKT over the whole series, data gaps not counted (see mkt.ts), rounded to
   * 0.01 °C by `roundMkt`: the one rounding every output shows.
   */
  readonly mktC: number | null;
  readonly timeAboveMs: number;
  readonly timeBelowMs: number;
  /** Time covered by readings no further apart than the data-gap limit. */
  readonly observedMs: number;
  readonly excursions: readonly Excursion[];
  /** Intervals between consecutive readings longer than the data-gap limit. */
  readonly gaps: readonly DataGap[];
}

export interface DataGap {
  /** Last reading before the gap. */
  readonly start: number;
  /** First reading after it. */
  readonly end: number;
  readonly durationMs: number;
}

/** Summarises the `temp_c` readings (any order) against the profile. */
export function summarize(
  readings: readonly SeriesReading[],
  profile: TemperatureProfile,
): TemperatureSummary {
  const points = temperatureSeries(readings);
  let minC = Number.POSITIVE_INFINITY;
  let maxC = Number.NEGATIVE_INFINITY;
  let observedMs = 0;
  const gaps: DataGap[] = [];
  for (let i = 0; i < points.length; i++) {
    const t = (points[i] as (typeof points)[number]).tempC;
    if (t < minC) minC = t;
    if (t > maxC) maxC = t;
    if (i > 0) {
      const d = (points[i] as (typeof points)[number]).ts - (points[i - 1] as (typeof points)[number]).ts;
      if (d <= profile.dataGapMaxMs) observedMs += d;
      else
        gaps.push({
          start: (points[i - 1] as (typeof points)[number]).ts,
          end: (points[i] as (typeof points)[number]).ts,
          durationMs: d,
        });
    }
  }
  const { excursions, timeAboveMs, timeBelowMs } = findExcursions(points, profile);
  const empty = points.length === 0;
  return {
    readingCount: points.length,
    firstTs: empty ? null : (points[0] as (typeof points)[number]).ts,
    lastTs: empty ? null : (points[points.length - 1] as (typeof points)[number]).ts,
    minC: empty ? null : minC,
    maxC: empty ? null : maxC,
    mktC: roundOrNull(mkt(points, { maxGapMs: profile.dataGapMaxMs })),
    timeAboveMs,
    timeBelowMs,
    observedMs,
    excursions,
    gaps,
  };
}

function roundOrNull(mktC: number | null): number | null {
  return mktC === null ? null : roundMkt(mktC);
}
