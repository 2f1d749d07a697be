/** Number, time and size formatting for people; tabular figures are set in CSS. */
import { msOrNull } from './instant.ts';
import { zoned } from './timezone.ts';

export { ms, msOrNull } from './instant.ts';

const pad = (n: number) => String(n).padStart(2, '0');

/** `2026-11-21 14:05:09` in the user's time zone (timezone.ts). */
export function absTime(t: string | number | null | undefined): string {
  const ts = msOrNull(t);
  if (ts === null || !Number.isFinite(ts)) return '–';
  const d = zoned(ts);
  return `${d.year}-${pad(d.month)}-${pad(d.day)} ${pad(d.hour)}:${pad(d.minute)}:${pad(d.second)}`;
}

/** `2026-11-21` in the user's time zone. */
export function absDate(t: string | number | null | undefined): string {
  const ts = msOrNull(t);
  if (ts === null || !Number.isFinite(ts)) return '–';
  const d = zoned(ts);
  return `${d.year}-${pad(d.month)}-${pad(d.day)}`;
}

/** `just now`, `42 s ago`, `5 min ago`, `3 h ago`, `2 d ago`; `never` for null. */
export function relTime(t: string | number | null | undefined, now = Date.now()): string {
  const ts = msOrNull(t);
  if (ts === null || !Number.isFinite(ts)) return 'never';
  const s = Math.round((now - ts) / 1000);
  if (s < -5) return `in ${duration(-s)}`;
  if (s < 5) return 'just now';
  return `${duration(s)} ago`;
}

/** Seconds as `42 s`, `5 min`, `3 h 10 min`, `2 d 4 h`. */
export function duration(s: number): string {
  if (s < 60) return `${Math.round(s)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min`;
  const hh = Math.floor(m / 60);
  if (hh < 24) return m % 60 ? `${hh} h ${m % 60} min` : `${hh} h`;
  const d = Math.floor(hh / 24);
  return hh % 24 ? `${d} d ${hh % 24} h` : `${d} d`;
}

/** A number with fixed decimals, `–` when missing. */
export function num(v: unknown, digits = 1): string {
  return typeof v === 'number' && Number.isFinite(v) ? v.toFixed(digits) : '–';
}

/** Integer with thousands separators. */
export function int(v: number | null | undefined): string {
  return typeof v === 'number' && Number.isFinite(v) ? Math.round(v).toLocaleString('en-US') : '–';
}

/** Bytes as `12.3 MB` (SI). */
export function bytes(n: number | null | undefined): string {
  if (typeof n !== 'number' || !Number.isFinite(n)) return '–';
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let v = n;
  let i = 0;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${v.toFixed(i === 0 ? 0 : v < 10 ? 2 : 1)} ${units[i]}`;
}

/** A per-second rate: `12.4/s`. */
export function rate(v: number | null | undefined): string {
  if (typeof v !== 'number' || !Number.isFinite(v)) return '–';
  return `${v >= 100 ? Math.round(v) : v.toFixed(v >= 10 ? 1 : 2)}/s`;
}

/** `temperature-probe` → `Temperature probe`; `heat_excursion` → `Heat excursion`. */
export function humanize(s: string): string {
  const t = s.replace(/[_.-]+/g, ' ').trim();
  return t.charAt(0).toUpperCase() + t.slice(1);
}

/**
 * `host:port` as a URL authority (RFC 3986 §3.2.2): an IPv6 address in brackets (`[::]:8883`),
 * `?` for what is not known.
 */
export function hostPort(address: string | null, port: number | null): string {
  const host = address === null ? '?' : address.includes(':') ? `[${address}]` : address;
  return `${host}:${port ?? '?'}`;
}
