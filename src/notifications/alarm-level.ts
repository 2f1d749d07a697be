import type { AlarmRecord } from '../alarms/alarm-store.ts';
import { alarmTier } from '../rules/tier-rules.ts';
import type { Level } from './notification-model.ts';

/**
 * An alarm's level for routing: its tier (warning, critical, regulatory; the same `alarmTier`
 * the API's `tier` field comes from, docs/alarms.md) when its rule belongs to one, else its
 * severity. The dashboard colours by the `tier` field the server sends, falling back the same way.
 */
export function alarmLevel(a: Pick<AlarmRecord, 'rule' | 'severity'>): Level {
  return alarmTier(a.rule) ?? a.severity;
}

const RANK: Record<Level, number> = { info: 0, warning: 1, critical: 2, regulatory: 3 };

/** Orders levels: negative when `a` is less urgent than `b`. */
export function compareLevels(a: Level, b: Level): number {
  return RANK[a] - RANK[b];
}
