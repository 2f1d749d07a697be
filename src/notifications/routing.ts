/**
 * Routing: which rules apply to an alarm, and who their targets are at a given time (contacts,
 * contact groups, the on-call person of a schedule) with their address for each channel. Pure.
 */
import {
  type Channel,
  type Contact,
  type ContactGroup,
  LEVELS,
  type Level,
  type RouteMatch,
  type RoutingRule,
  type Schedule,
  type Target,
  type TimeWindow,
} from './notification-model.ts';
import { onCallAt } from './on-call.ts';
import { clockMinutes, localEpoch, weekdayAndMinute } from './zoned-time.ts';

/** What routing knows of an alarm. */
export interface AlarmFacts {
  level: Level;
  rule: string;
  /** The device (or `vigil` for system alarms). */
  subject: string;
  /** The device's profile and its shipment's temperature profile, when known. */
  profiles: readonly string[];
  shipmentId: string | null;
  /** When it was raised (wall clock): time windows are judged on it. */
  at: number;
}

/** `*` matches any run of characters; everything else literally. */
export function globMatch(pattern: string, value: string): boolean {
  if (!pattern.includes('*')) return pattern === value;
  const re = new RegExp(
    `^${pattern
      .split('*')
      .map((p) => p.replace(/[.+?^${}()|[\]\\-]/g, '\\$&'))
      .join('.*')}$`,
  );
  return re.test(value);
}

function inWindow(w: TimeWindow, at: number, timeZone: string): boolean {
  const { weekday, minute } = weekdayAndMinute(localEpoch(at, timeZone));
  const from = clockMinutes(w.from);
  const to = clockMinutes(w.to);
  if (from === to) return w.days.includes(weekday);
  if (from < to) return w.days.includes(weekday) && minute >= from && minute < to;
  // Past midnight: the evening part on a listed day, the morning part on the day after one.
  const yesterday = weekday === 1 ? 7 : weekday - 1;
  return (w.days.includes(weekday) && minute >= from) || (w.days.includes(yesterday) && minute < to);
}

const some = <T>(list: readonly T[] | undefined, ok: (v: T) => boolean) =>
  list === undefined || list.length === 0 || list.some(ok);

/** Whether an alarm meets a rule's match (every given criterion). */
export function matches(m: RouteMatch, a: AlarmFacts, timeZone: string): boolean {
  return (
    some(m.levels, (l) => l === a.level) &&
    some(m.rules, (p) => globMatch(p, a.rule)) &&
    some(m.profiles, (p) => a.profiles.includes(p)) &&
    some(m.devices, (p) => globMatch(p, a.subject)) &&
    some(m.shipments, (s) => a.shipmentId !== null && (s === '*' || s === a.shipmentId)) &&
    some(m.timeWindows, (w) => inWindow(w, a.at, timeZone))
  );
}

/** The enabled rules that apply to an alarm, in their order. */
export function matchingRules(rules: readonly RoutingRule[], a: AlarmFacts): RoutingRule[] {
  return rules
    .filter((r) => r.enabled && matches(r.match, a, r.timeZone))
    .sort((x, y) => x.order - y.order || x.id.localeCompare(y.id));
}

/** The configuration routing resolves targets against. */
export interface Directory {
  contacts: ReadonlyMap<string, Contact>;
  groups: ReadonlyMap<string, ContactGroup>;
  schedules: ReadonlyMap<string, Schedule>;
}

/** One person (or endpoint) to notify through one channel. */
export interface Recipient {
  channel: Channel;
  contactId: string;
  contactName: string;
  /** E-mail address, phone number, webhook URL or dashboard user; null when the contact has none. */
  address: string | null;
  /** How the contact was reached: `group:ops`, `schedule:quality-oncall`. */
  via: string;
}

/** A contact's address for a channel. */
export function addressOf(c: Contact, channel: Channel): string | null {
  switch (channel) {
    case 'email':
      return c.email ?? null;
    case 'sms':
    case 'voice':
      return c.phone ?? null;
    case 'webhook':
      return c.webhookUrl ?? null;
    case 'push':
      return c.user ?? null;
  }
}

/**
 * The recipients of targets at `at`: groups expand to their members, schedules to whoever is on
 * call. Each (channel, contact) appears once, at its first mention.
 */
export function resolveTargets(targets: readonly Target[], dir: Directory, at: number): Recipient[] {
  const out: Recipient[] = [];
  const seen = new Set<string>();
  const add = (contactId: string, channels: readonly Channel[], via: string) => {
    const c = dir.contacts.get(contactId);
    if (!c) return;
    for (const channel of channels) {
      const key = `${channel}|${c.id}`;
      if (seen.has(key)) continue;
      seen.add(key);
      out.push({ channel, contactId: c.id, contactName: c.name, address: addressOf(c, channel), via });
    }
  };
  for (const t of targets) {
    if (t.type === 'contact') add(t.id, t.channels, `contact:${t.id}`);
    else if (t.type === 'group') {
      for (const m of dir.groups.get(t.id)?.members ?? []) add(m, t.channels, `group:${t.id}`);
    } else {
      const s = dir.schedules.get(t.id);
      const who = s ? onCallAt(s, at).contact : null;
      if (who) add(who, t.channels, `schedule:${t.id}`);
    }
  }
  return out;
}

/** Levels at or above `min`, for the UI's "warning and above" choice. */
export function levelsFrom(min: Level): Level[] {
  return LEVELS.slice(LEVELS.indexOf(min));
}
