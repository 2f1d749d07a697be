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

/** `8.0 °C`. */
export function formatTemp(c: number): string {
  return `${c.toFixed(1)} °C`;
}
