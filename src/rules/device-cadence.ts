/**
 * How often a device reports, learned from when its recent readings arrived, and the online
 * window that follows from it (docs/dashboard.md "Online and stale"): a device is online while its
 * last message is at most 2.5 expected intervals old. Arrival times, not sample times: a logger
 * that sends a batch of five 1-minute samples every 5 minutes reports every 5 minutes.
 */

/** Expected intervals a device may stay silent and still count as online. */
export const ONLINE_INTERVALS = 2.5;
/** Below this a window would flap on network jitter and batching in the receiver. */
export const MIN_ONLINE_WINDOW_MS = 15_000;

/**
 * The median gap between distinct arrival times (any order), or null with fewer than two gaps:
 * too little to learn from.
 */
export function learnedIntervalMs(receivedAt: readonly number[]): number | null {
  const times = [...new Set(receivedAt)].sort((a, b) => a - b);
  const gaps: number[] = [];
  for (let i = 1; i < times.length; i++) gaps.push((times[i] ?? 0) - (times[i - 1] ?? 0));
  if (gaps.length < 2) return null;
  gaps.sort((a, b) => a - b);
  const mid = gaps.length >> 1;
  return gaps.length % 2 ? (gaps[mid] ?? null) : ((gaps[mid - 1] ?? 0) + (gaps[mid] ?? 0)) / 2;
}

/** How long after its last message a device still counts as online. */
export function onlineWindowMs(expectedIntervalMs: number | null, fallbackMs: number): number {
  if (expectedIntervalMs === null) return fallbackMs;
  return Math.max(MIN_ONLINE_WINDOW_MS, ONLINE_INTERVALS * expectedIntervalMs);
}
