/**
 * The time zone every time on the dashboard is shown in: the user's choice, kept in this browser
 * per user name, else the browser's own. Times are formatted from the zone's calendar fields
 * (Intl), and the charts place their ticks in it (uPlot `tzDate`).
 */
import uPlot from 'uplot';

const KEY = 'vigil.timezone';
const BROWSER_ZONE = Intl.DateTimeFormat().resolvedOptions().timeZone;
let user = '';
let zone = BROWSER_ZONE;
let fmt = formatter(zone);

function formatter(tz: string): Intl.DateTimeFormat {
  return new Intl.DateTimeFormat('en-GB', {
    timeZone: tz,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  });
}

function valid(tz: string): boolean {
  try {
    formatter(tz);
    return true;
  } catch {
    return false;
  }
}

/** Loads the signed-in user's choice (at sign-in). */
export function loadZone(userName: string): void {
  user = userName;
  let saved: string | null = null;
  try {
    saved = localStorage.getItem(`${KEY}.${user}`);
  } catch {
    saved = null; // storage off: the browser's zone
  }
  useZone(saved && valid(saved) ? saved : BROWSER_ZONE);
}

function useZone(tz: string): void {
  zone = tz;
  fmt = formatter(tz);
}

/** Sets and keeps the user's zone; the browser's own zone clears the choice. */
export function setZone(tz: string): void {
  if (!valid(tz)) return;
  useZone(tz);
  try {
    if (tz === BROWSER_ZONE) localStorage.removeItem(`${KEY}.${user}`);
    else localStorage.setItem(`${KEY}.${user}`, tz);
  } catch {
    // kept for this page only
  }
}

export const currentZone = (): string => zone;
export const browserZone = (): string => BROWSER_ZONE;

/** Every zone the browser knows (the browser's first), for the picker. */
export function zones(): string[] {
  const all =
    (Intl as unknown as { supportedValuesOf?: (k: string) => string[] }).supportedValuesOf?.('timeZone') ??
    [];
  return [...new Set([BROWSER_ZONE, 'UTC', ...all])];
}

export interface ZonedParts {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

/** The calendar fields of `ts` in the chosen zone. */
export function zoned(ts: number): ZonedParts {
  const out: Record<string, number> = {};
  for (const p of fmt.formatToParts(new Date(ts))) if (p.type !== 'literal') out[p.type] = Number(p.value);
  return {
    year: out.year ?? 0,
    month: out.month ?? 1,
    day: out.day ?? 1,
    hour: out.hour ?? 0,
    minute: out.minute ?? 0,
    second: out.second ?? 0,
  };
}

/** For uPlot's `tzDate` option: ticks fall on whole hours and days of the chosen zone. */
export const tzDate = (ts: number): Date => uPlot.tzDate(new Date(ts * 1000), zone);
