import type { AlarmSeverity } from './alarm-store.ts';

/** A condition a continuity check evaluated: active conditions are open alarms. */
export interface Condition {
  /** Alarm rule id, e.g. `backup-stale`, `ups-on-battery`. */
  rule: string;
  active: boolean;
  severity: AlarmSeverity;
  message: string;
  /** Since when the condition holds (default: when it was first seen active). */
  since?: number;
  detail?: Record<string, unknown>;
}
