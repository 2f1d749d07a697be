/**
 * Bed and ward labels: device metadata that says where a patient monitor is (`Bed 4`,
 * `Ward B, cardiology`). Set by people (admin, operator), never by the device; who may see them is
 * the `devices.labels.read` permission (docs/permissions.md). Only patient monitors carry them: a
 * truck logger or a fridge probe has no bed.
 */
import { z } from 'zod';
import type { DeviceProfile } from './device-profile.ts';

/** Longest label, in characters (a ward name with its department still fits on a tile). */
export const LABEL_MAX = 40;

/** The profiles whose devices may carry bed and ward labels. */
export const LABELLED_PROFILES: readonly DeviceProfile[] = ['patient-vitals'];

/** A device's labels; null: not set. */
export interface DeviceLabels {
  bed: string | null;
  ward: string | null;
}

/**
 * One label as given: trimmed, 1 to {@link LABEL_MAX} characters, no control characters (they
 * would break a tile, a log line or the audit's display); empty or null clears it.
 */
const label = z
  .string()
  .trim()
  .max(LABEL_MAX, `at most ${LABEL_MAX} characters`)
  .regex(/^[^\p{Cc}\p{Cf}\u2028\u2029]*$/u, 'no control or formatting characters')
  .transform((s) => (s === '' ? null : s))
  .nullable();

/** What a caller sends to set a device's labels: both fields, null (or "") to clear one. */
export const deviceLabelsInput = z.strictObject({ bed: label, ward: label });

/** True when the profile may carry labels. */
export function takesLabels(profile: DeviceProfile): boolean {
  return LABELLED_PROFILES.includes(profile);
}
