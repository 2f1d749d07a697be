/**
 * Where a patient monitor is, as its bed and ward labels say (src/protocol/device-labels.ts):
 * `Ward C · Bed 14`. The API sends `labels` only for patient monitors and only to roles allowed to
 * see them (devices.labels.read), so a page shows whatever it is given. No DOM: unit-tested in Node.
 */
import type { DeviceLabels } from './types.ts';

/** `Ward C · Bed 14`, `Bed 14`, `Ward C`; null when neither is set (or the caller may not see them). */
export function placeText(labels: DeviceLabels | undefined): string | null {
  if (!labels) return null;
  const parts = [labels.ward, labels.bed].filter((x): x is string => typeof x === 'string' && x !== '');
  return parts.length ? parts.join(' · ') : null;
}

/** Whether a device's labels match a search text (case-insensitive), for the fleet filter. */
export function placeMatches(labels: DeviceLabels | undefined, text: string): boolean {
  return placeText(labels)?.toLowerCase().includes(text.toLowerCase()) === true;
}
