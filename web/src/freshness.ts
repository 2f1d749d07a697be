/**
 * Online and stale, as the API decides them (src/rules/device-cadence.ts, shared as code): a
 * device is online while its last message is at most 2.5 of its learned reporting intervals old
 * (10 min while the interval is not known yet). A value older than that is stale: shown greyed,
 * with its age.
 */
import { onlineWindowMs } from '../../src/rules/device-cadence.ts';
import { ms } from './format.ts';
import type { Device } from './types.ts';

/** The window where the interval is not known (src/api/routes/devices.ts ONLINE_WINDOW_MS). */
export const ONLINE_WINDOW_MS = 10 * 60_000;

export function isOnline(
  d: Pick<Device, 'status' | 'lastSeenAt' | 'expectedIntervalMs'>,
  now: number,
): boolean {
  if (d.status !== 'enabled' || d.lastSeenAt === null) return false;
  return now - ms(d.lastSeenAt) <= onlineWindowMs(d.expectedIntervalMs, ONLINE_WINDOW_MS);
}

/** How old the latest reading is (by its arrival) and whether that makes it stale; null without one. */
export function staleness(
  d: Pick<Device, 'latest' | 'expectedIntervalMs'>,
  now: number,
): { stale: boolean; ageMs: number } | null {
  if (!d.latest) return null;
  const ageMs = Math.max(0, now - ms(d.latest.receivedAt));
  return { stale: ageMs > onlineWindowMs(d.expectedIntervalMs, ONLINE_WINDOW_MS), ageMs };
}
