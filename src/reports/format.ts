/** Value formatting shared by the CSV and PDF renderers: UTC only, fixed decimals, no locale. */

/**
 * `2026-11-21T10:00:00.000Z`: ISO 8601 UTC with milliseconds, always, so every time in a file has
 * one precision (readings carry milliseconds) and a column sorts and parses the same throughout.
 */
export function isoUtc(ts: number): string {
  return new Date(ts).toISOString();
}

/**
 * `2026-11-21 10:00:05` for people, to the second: excursion and alarm times are compared with the
 * logger's own display and with other records, and a minute is too coarse for that.
 */
export function utcSeconds(ts: number): string {
  const iso = new Date(ts).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}`;
}

/** `2026-11-21 10:00:05 UTC`. */
export function humanUtc(ts: number): string {
  return `${utcSeconds(ts)} UTC`;
}

/** `2026-11-21`. */
export function utcDate(ts: number): string {
  return new Date(ts).toISOString().slice(0, 10);
}

/** A number with at most `decimals` decimals, trailing zeros trimmed: 12.50 -> "12.5". */
export function num(value: number, decimals = 2): string {
  const s = value.toFixed(decimals);
  return s.includes('.') ? s.replace(/\.?0+$/, '') : s;
}

/** A temperature as `5.43 °C`; `-` when unknown. */
export function tempText(value: number | null | undefined, decimals = 2): string {
  return value === null || value === undefined ? '-' : `${value.toFixed(decimals)} °C`;
}

/** Milliseconds as minutes, for machine-readable columns. */
export function minutes(ms: number): string {
  return num(ms / 60_000, 2);
}

/**
 * A duration for people: `3 d 4 h 05 min`, `10 h 00 min`, `45 min`, `4 min 30 s`, `30 s`.
 * Under an hour, seconds are kept when there are any: a short excursion is judged to the second.
 */
export function durationText(ms: number): string {
  if (ms === 0) return '0 min';
  const totalS = Math.round(ms / 1000);
  if (totalS < 60) return `${totalS} s`;
  if (totalS < 3600 && totalS % 60 !== 0)
    return `${Math.floor(totalS / 60)} min ${String(totalS % 60).padStart(2, '0')} s`;
  const totalMin = Math.round(ms / 60_000);
  const d = Math.floor(totalMin / 1440);
  const h = Math.floor((totalMin % 1440) / 60);
  const m = totalMin % 60;
  if (d > 0) return `${d} d ${h} h ${String(m).padStart(2, '0')} min`;
  if (h > 0) return `${h} h ${String(m).padStart(2, '0')} min`;
  return `${m} min`;
}

/** A position as `52.52000, 13.40500`; `-` when unknown. */
export function latLonText(lat: number | undefined, lon: number | undefined): string {
  if (lat === undefined || lon === undefined) return '-';
  return `${lat.toFixed(5)}, ${lon.toFixed(5)}`;
}

/** A coarser duration for headline figures: `29 d 23 h`, `11 h 18 min`, `45 min`. */
export function durationShort(ms: number): string {
  if (ms < 86_400_000) return durationText(ms);
  const totalH = Math.round(ms / 3_600_000);
  return `${Math.floor(totalH / 24)} d ${totalH % 24} h`;
}
