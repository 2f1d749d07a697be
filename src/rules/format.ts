/** Wording for alarm messages: plain units, no data beyond the reading values themselves. */

/** `10 h 05 min`, `4 min 30 s`, `12 s`. */
export function formatDuration(ms: number): string {
  const totalS = Math.max(0, Math.round(ms / 1000));
  const h = Math.floor(totalS / 3600);
  const m = Math.floor((totalS % 3600) / 60);
  const s = totalS % 60;
  if (h > 0) return `${h} h ${String(m).padStart(2, '0')} min`;
  if (m > 0) return s > 0 ? `${m} min ${s} s` : `${m} min`;
  return `${s} s`;
}

/** `8.0 °C`: a limit or a setting, one decimal. */
export function formatTemp(c: number): string {
  return `${c.toFixed(1)} °C`;
}

/** Most decimals a measured temperature is shown with (sensor values usually carry two). */
const MAX_DECIMALS = 6;

/**
 * A measured temperature next to the limit it is judged against, with as many decimals as it
 * takes (one at least) to stay on its own side of the limit: 8.01 °C shows as
 * `8.01 °C` beside "above 8.0 °C", never as `8.0 °C`, which would read as no breach at all.
 */
export function formatTempBeside(c: number, limitC: number): string {
  const side = Math.sign(c - limitC);
  for (let d = 1; d < MAX_DECIMALS; d++) {
    const shown = c.toFixed(d);
    if (Math.sign(Number(shown) - limitC) === side) return `${shown} °C`;
  }
  return `${c.toFixed(MAX_DECIMALS)} °C`;
}

/**
 * How long a condition lasted, as every duration alarm words it (the gap rule, docs/alarms.md):
 * `for 1 h 50 min`, `for 20 min so far`, `for 1 h 50 min, including 45 min without data`.
 */
export function durationFacts(e: {
  readonly startedAt: number;
  readonly until: number;
  readonly ongoing: boolean;
  readonly gapMs: number;
}): string {
  const gap = e.gapMs > 0 ? `, including ${formatDuration(e.gapMs)} without data` : '';
  return `for ${formatDuration(e.until - e.startedAt)}${e.ongoing ? ' so far' : ''}${gap}`;
}
