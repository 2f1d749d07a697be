import type { AlarmRecord } from '../alarms/alarm-store.ts';
import type { Level } from './notification-model.ts';

/**
 * An alarm's level for routing and for the dashboards' colours: its tier when the rule names one
 * (`warning:*`, `critical:*`; the WHO PQS heat and freeze rules and cumulative budgets are the
 * regulatory tier, docs/alarms.md), else its severity. The one place that maps alarms to levels.
 */
export function alarmLevel(a: Pick<AlarmRecord, 'rule' | 'severity'> & { tier?: string | null }): Level {
  if (a.tier === 'warning' || a.tier === 'critical' || a.tier === 'regulatory') return a.tier;
  const rule = a.rule;
  if (rule === 'heat' || rule === 'freeze' || rule.startsWith('budget:')) return 'regulatory';
  if (rule.startsWith('warning:')) return 'warning';
  if (rule.startsWith('critical:')) return 'critical';
  return a.severity;
}

const RANK: Record<Level, number> = { info: 0, warning: 1, critical: 2, regulatory: 3 };

/** Orders levels: negative when `a` is less urgent than `b`. */
export function compareLevels(a: Level, b: Level): number {
  return RANK[a] - RANK[b];
}
