/** First retry delay of a failing sink. */
export const RETRY_BASE_MS = 1000;

/**
 * Delay before retry number `attempt` (1, 2, ...): exponential backoff with full jitter, a random
 * point in [0, min(maxMs, base × 2^(attempt-1))] (AWS Architecture Blog, "Exponential Backoff
 * and Jitter"), so many Vigil instances whose target came back do not retry in step. Never below
 * 100 ms. Pure: `random` in [0, 1) is an argument.
 */
export function backoffMs(attempt: number, maxMs: number, random: () => number): number {
  const cap = Math.min(maxMs, RETRY_BASE_MS * 2 ** Math.min(Math.max(0, attempt - 1), 30));
  return Math.max(100, Math.floor(random() * cap));
}
