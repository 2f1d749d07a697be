import type { ReadingRecord, Store } from '../storage/store.ts';

/** Rows read per store call (the store caps one call at 100,000). */
const PAGE = 20_000;
/** Upper bound on the readings of one trip: 90 days at 10-second sampling. */
export const MAX_TRIP_READINGS = 800_000;

/** A trip's time window, both ends included: [dispatch, delivery]. */
export interface TripWindow {
  from: number;
  to: number;
}

/**
 * Every reading of `deviceId` with `from <= ts <= to`, oldest first, read page by page. Rows that
 * share the last timestamp of a page are remembered, so the next page (which starts at that
 * timestamp) does not return them twice. Stops at {@link MAX_TRIP_READINGS} (`truncated`).
 */
export async function tripReadings(
  store: Pick<Store, 'queryReadings'>,
  deviceId: string,
  w: TripWindow,
): Promise<{ readings: ReadingRecord[]; truncated: boolean }> {
  const out: ReadingRecord[] = [];
  let since = w.from;
  let seenAtSince = new Set<string>();
  // Bounded: each round either ends or advances `since` (or the seen set) past a full page.
  for (let round = 0; round < MAX_TRIP_READINGS / PAGE + 2; round++) {
    const page = await store.queryReadings({ deviceId, since, until: w.to + 1, limit: PAGE });
    let lastTs = since;
    let atLast = new Set<string>();
    for (const r of page) {
      const key = `${r.seq}/${r.idx}`;
      if (r.ts === since && seenAtSince.has(key)) continue;
      out.push(r);
      if (r.ts !== lastTs) {
        lastTs = r.ts;
        atLast = new Set();
      }
      atLast.add(key);
    }
    if (page.length < PAGE) return { readings: out, truncated: false };
    if (out.length >= MAX_TRIP_READINGS) return { readings: out, truncated: true };
    if (lastTs === since && atLast.size + seenAtSince.size >= PAGE) {
      since = lastTs + 1;
      seenAtSince = new Set();
    } else {
      seenAtSince = lastTs === since ? new Set([...seenAtSince, ...atLast]) : atLast;
      since = lastTs;
    }
  }
  return { readings: out, truncated: true };
}

/** The device's last GPS fix at or before `at` (the newest 200 readings are searched). */
export async function lastGpsFix(
  store: Pick<Store, 'queryReadings'>,
  deviceId: string,
  at: number,
): Promise<{ lat: number; lon: number; ts: number } | null> {
  const rows = await store.queryReadings({ deviceId, until: at + 1, limit: 200, descending: true });
  for (const r of rows) {
    const { lat, lon } = r.data;
    if (typeof lat === 'number' && typeof lon === 'number' && Number.isFinite(lat) && Number.isFinite(lon)) {
      return { lat, lon, ts: r.ts };
    }
  }
  return null;
}
