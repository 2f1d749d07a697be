/**
 * Times in the dashboard. The API and the live feed send ISO 8601 UTC strings
 * (`2026-11-21T13:05:09.123Z`, docs/api.md); charts, ranges and ages compute in ms since the
 * epoch. No imports: the unit tests run this in Node.
 */

/**
 * A time as the API sends it (ISO 8601 UTC, `2026-11-21T13:05:09.123Z`) or as the dashboard
 * computes it (ms since the epoch), in ms; NaN when it is not a time.
 */
export function ms(t: string | number): number {
  return typeof t === 'number' ? t : Date.parse(t);
}

/** {@link ms}, null (and undefined) staying null. */
export function msOrNull(t: string | number | null | undefined): number | null {
  return t === null || t === undefined ? null : ms(t);
}

/** A series' gaps (ISO 8601 bounds) in ms, oldest first: where charts break their line. */
export function gapsMs(gaps: readonly { from: string; to: string }[]): { from: number; to: number }[] {
  return gaps.map((g) => ({ from: ms(g.from), to: ms(g.to) })).sort((a, b) => a.from - b.from);
}
