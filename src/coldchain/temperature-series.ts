/** The temperature series the cold-chain calculations work on, taken from stored readings. */

/** One temperature at its own timestamp (ms since the Unix epoch). */
export interface TempPoint {
  readonly ts: number;
  readonly tempC: number;
}

/** The part of a stored reading these calculations need (a `ReadingRecord` fits). */
export interface SeriesReading {
  readonly ts: number;
  readonly data: Readonly<Record<string, unknown>>;
}

/**
 * The finite values of `field` (default `temp_c`) sorted by timestamp; readings without the field
 * (events, other sensors) are left out. The sort is stable, so equal timestamps keep their order.
 */
export function temperatureSeries(readings: readonly SeriesReading[], field = 'temp_c'): TempPoint[] {
  const out: TempPoint[] = [];
  for (const r of readings) {
    const v = r.data[field];
    if (typeof v === 'number' && Number.isFinite(v) && Number.isFinite(r.ts))
      out.push({ ts: r.ts, tempC: v });
  }
  return sortedByTs(out);
}

/** The input itself when already in timestamp order, else a stably sorted copy. */
export function sortedByTs<T extends { readonly ts: number }>(items: readonly T[]): T[] {
  for (let i = 1; i < items.length; i++) {
    if ((items[i] as T).ts < (items[i - 1] as T).ts) return [...items].sort((a, b) => a.ts - b.ts);
  }
  return items as T[];
}
