/**
 * The alarm state of a device or shipment at a glance: its highest open tier (warning amber,
 * critical and regulatory red), "Out of range" while a reading is outside its limits before any
 * alarm is due, and "OK" only when neither holds.
 */
import type { Level } from '../alarm-level.ts';
import { badge } from './components.ts';

const TEXT: Record<Level, string> = {
  info: 'Notice',
  warning: 'Warning',
  critical: 'Critical',
  regulatory: 'Regulatory',
};

export function levelBadge(
  level: Level | null,
  o: { outOfRange?: boolean; alarm?: 'open' | 'none'; testid?: string } = {},
): HTMLSpanElement {
  if (level === 'critical' || level === 'regulatory') return badge('bad', TEXT[level], 'alert', o.testid);
  if (level === 'warning') return badge('warn', TEXT.warning, 'alert', o.testid);
  // An alarm the role cannot list (no alarms.read): the device list says only that there is one.
  if (o.alarm === 'open' && level === null) return badge('bad', 'Alarm', 'alert', o.testid);
  if (o.outOfRange) return badge('warn', 'Out of range', 'alert', o.testid);
  if (level === 'info') return badge('info', TEXT.info, 'alert', o.testid);
  return badge('ok', 'OK', 'check', o.testid);
}
