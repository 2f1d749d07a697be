/**
 * An alarm's level as the dashboard colours it: the `tier` the server sends (warning, critical,
 * regulatory; null or absent for rules outside the temperature tiers), else its severity, as the
 * server's src/notifications/alarm-level.ts routes it. Warning is amber, critical and regulatory
 * are red.
 */
import { limitOf, limitState, PROFILES } from './profiles.ts';
import { type Alarm, alarmActive, type Device } from './types.ts';

export type Level = 'info' | 'warning' | 'critical' | 'regulatory';
const RANK: Record<Level, number> = { info: 0, warning: 1, critical: 2, regulatory: 3 };

export function alarmLevel(a: Pick<Alarm, 'tier' | 'severity'>): Level {
  if (a.tier === 'warning' || a.tier === 'critical' || a.tier === 'regulatory') return a.tier;
  return a.severity === 'critical' || a.severity === 'warning' ? a.severity : 'info';
}

/** The most urgent level among the active alarms given, or null. */
export function highestLevel(alarms: readonly Alarm[]): Level | null {
  let best: Level | null = null;
  for (const a of alarms) {
    if (!alarmActive(a)) continue;
    const l = alarmLevel(a);
    if (best === null || RANK[l] > RANK[best]) best = l;
  }
  return best;
}

/** True when the device's latest reading has a summary field outside its limits. */
export function outOfRange(d: Device): boolean {
  const data = d.latest?.data;
  if (!data) return false;
  return PROFILES[d.profile].summary.some((f) => {
    const st = limitState(data[f], limitOf(d, f));
    return st === 'high' || st === 'low';
  });
}
