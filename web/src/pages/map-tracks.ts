import { api } from '../api.ts';
import type { Device, Series } from '../types.ts';
import type { LonLat } from './map-fleet.ts';

/** How far back a track goes. */
export const TRACK_HOURS = 24;
/** Points asked per track; the live track keeps twice as many. */
export const TRACK_MAX_POINTS = 400;

/** The last 24 h of positions of each of `devices` into `tracks` (a failed one keeps none). */
export async function loadTracks(devices: readonly Device[], tracks: Map<string, LonLat[]>): Promise<void> {
  const to = Date.now();
  const from = to - TRACK_HOURS * 3_600_000;
  await Promise.all(
    devices.map(async (d) => {
      try {
        const series = await api<Series>(
          `/devices/${encodeURIComponent(d.id)}/readings?from=${new Date(from).toISOString()}&to=${new Date(to).toISOString()}&maxPoints=${TRACK_MAX_POINTS}`,
        );
        const pts: LonLat[] = [];
        for (const p of series.points) {
          const lat = p.values.lat;
          const lon = p.values.lon;
          if (typeof lat === 'number' && typeof lon === 'number') pts.push([lon, lat]);
        }
        tracks.set(d.id, pts);
      } catch {
        // A missing track is not worth an error on the map; the marker still shows.
      }
    }),
  );
}
