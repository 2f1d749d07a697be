/**
 * Who is on call: a weekly rotation with overrides (docs/alarms.md, "On call"). Pure: the time
 * arrives as an argument.
 */
import type { Schedule } from './notification-model.ts';
import { clockMinutes, instantOfLocal, localEpoch } from './zoned-time.ts';

const DAY_MS = 86_400_000;
const WEEK_MS = 7 * DAY_MS;

/** Who holds a schedule at one instant, and for how long. */
export interface OnCall {
  /** Contact id; null before the rotation's first handoff (nobody yet). */
  contact: string | null;
  /** When this turn (or override) began and ends, ms since the Unix epoch. */
  since: number | null;
  until: number | null;
  /** True when an override, not the rotation, decides. */
  override: boolean;
  reason?: string;
}

/** The local epoch of the first handoff on or after the schedule's start date. */
function firstHandoff(s: Schedule): number {
  const [y = 1970, m = 1, d = 1] = s.startDate.split('-').map(Number);
  const start = Date.UTC(y, m - 1, d) + clockMinutes(s.handoffTime) * 60_000;
  const day = new Date(start).getUTCDay();
  const weekday = day === 0 ? 7 : day;
  return start + ((s.handoffDay - weekday + 7) % 7) * DAY_MS;
}

/** The rotation's member at `at` (ignoring overrides), with the turn's bounds. */
export function rotationAt(s: Schedule, at: number): OnCall {
  const first = firstHandoff(s);
  const local = localEpoch(at, s.timeZone);
  if (local < first) {
    return { contact: null, since: null, until: instantOfLocal(first, s.timeZone), override: false };
  }
  const week = Math.floor((local - first) / WEEK_MS);
  const begin = first + week * WEEK_MS;
  return {
    contact: s.members[week % s.members.length] ?? null,
    since: instantOfLocal(begin, s.timeZone),
    until: instantOfLocal(begin + WEEK_MS, s.timeZone),
    override: false,
  };
}

/** Who is on call at `at`: the latest-starting override covering it, else the rotation. */
export function onCallAt(s: Schedule, at: number): OnCall {
  const covering = s.overrides.filter((o) => o.from <= at && at < o.to).sort((a, b) => b.from - a.from)[0];
  if (covering) {
    return {
      contact: covering.contact,
      since: covering.from,
      until: covering.to,
      override: true,
      ...(covering.reason ? { reason: covering.reason } : {}),
    };
  }
  return rotationAt(s, at);
}
