/**
 * Setting a patient monitor's bed and ward labels: checked, stored, audited. Who may call it is
 * the caller's business (the API's `devices.labels.manage`); what may be stored is decided here,
 * so every way in (API, dashboard) gets the same rules.
 */
import { VigilError } from '../errors.ts';
import { parseOrRefuse } from '../parse-or-refuse.ts';
import {
  type DeviceLabels,
  deviceLabelsInput,
  LABELLED_PROFILES,
  takesLabels,
} from '../protocol/device-labels.ts';
import type { Store } from '../storage/store.ts';
import type { DeviceLabelRecord, DeviceLabelStore } from './device-label-store.ts';

export interface DeviceLabelDeps {
  devices: Pick<Store, 'getDevice' | 'appendAudit'>;
  labels: DeviceLabelStore;
  clock: () => number;
}

const NONE: DeviceLabels = { bed: null, ward: null };

/**
 * Sets both labels of a patient monitor (null or "" clears one) and records `device.labels` in the
 * audit log with the old and the new values; an unchanged pair changes and records nothing.
 * VIGIL_ERR_NOT_FOUND for an unknown device, VIGIL_ERR_USAGE for a device that is not a patient
 * monitor, VIGIL_ERR_VALIDATION for a label that is too long or holds control characters.
 */
export async function setDeviceLabels(
  d: DeviceLabelDeps,
  deviceId: string,
  input: DeviceLabels,
  actor: string,
): Promise<DeviceLabels> {
  const next = parseOrRefuse(deviceLabelsInput, input, 'labels');
  const device = await d.devices.getDevice(deviceId);
  if (!device) throw new VigilError('VIGIL_ERR_NOT_FOUND', `device ${deviceId}`);
  if (!takesLabels(device.profile))
    throw new VigilError(
      'VIGIL_ERR_USAGE',
      `device ${deviceId} is a ${device.profile} device: only ${LABELLED_PROFILES.join(', ')} devices carry bed and ward labels`,
    );
  const prev = labelsOf(await d.labels.getLabels(deviceId));
  if (prev.bed === next.bed && prev.ward === next.ward) return prev;
  const now = d.clock();
  await d.labels.setLabels(deviceId, next, now, actor);
  await d.devices.appendAudit({
    ts: now,
    actor,
    action: 'device.labels',
    object: deviceId,
    detail: { bed: next.bed, ward: next.ward, previous: prev },
  });
  return next;
}

/** The labels of a stored record; both null when there is none. */
export function labelsOf(r: DeviceLabelRecord | null): DeviceLabels {
  return r ? { bed: r.bed, ward: r.ward } : { ...NONE };
}
