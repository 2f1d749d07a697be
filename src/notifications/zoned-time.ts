/**
 * Wall-clock time in an IANA time zone, through Intl (the tz database the runtime ships). Routing
 * windows and on-call handoffs are stated in local time ("weekdays 08:00-18:00 in Amsterdam"), so
 * they follow daylight saving time.
 */

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/**
 * The wall-clock time at `ms` in `timeZone`, as milliseconds of a UTC calendar ("local epoch"):
 * 09:00 local on a day is `Date.UTC(y, m, d, 9)`. Differences between two local epochs count
 * wall-clock time, which is what a weekly rotation or a time window means.
 */
export function localEpoch(ms: number, timeZone: string): number {
  const parts: Record<string, number> = {};
  for (const p of formatter(timeZone).formatToParts(new Date(ms))) {
    if (p.type !== 'literal') parts[p.type] = Number(p.value);
  }
  const local = Date.UTC(
    parts.year ?? 1970,
    (parts.month ?? 1) - 1,
    parts.day ?? 1,
    parts.hour ?? 0,
    parts.minute ?? 0,
    parts.second ?? 0,
  );
  return local + (((ms % 1000) + 1000) % 1000);
}

/** ISO weekday (1 = Monday ... 7 = Sunday) and minute of the day of a local epoch. */
export function weekdayAndMinute(local: number): { weekday: number; minute: number } {
  const d = new Date(local);
  const day = d.getUTCDay();
  return { weekday: day === 0 ? 7 : day, minute: d.getUTCHours() * 60 + d.getUTCMinutes() };
}

/** `HH:MM` as minutes after midnight. */
export function clockMinutes(hhmm: string): number {
  const [h = '0', m = '0'] = hhmm.split(':');
  return Number(h) * 60 + Number(m);
}

/**
 * The UTC instant of a local wall-clock time. Around a daylight-saving change a local time can
 * occur twice (the first is taken) or not at all (the instant after the gap is taken).
 */
export function instantOfLocal(local: number, timeZone: string): number {
  // The offset at the guess is the offset at the answer except across a change: two rounds settle it.
  let guess = local;
  for (let i = 0; i < 3; i++) {
    const off = localEpoch(guess, timeZone) - guess;
    const next = local - off;
    if (next === guess) break;
    guess = next;
  }
  return guess;
}
