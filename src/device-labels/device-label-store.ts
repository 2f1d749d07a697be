/**
 * The device-label storage port: a patient monitor's bed and ward (src/protocol/device-labels.ts),
 * with who set them and when. Adapters must pass `device-label-store-contract.ts`.
 */
import type { DeviceLabels } from '../protocol/device-labels.ts';

export interface DeviceLabelRecord extends DeviceLabels {
  deviceId: string;
  updatedAt: number;
  /** The actor who set them last (`user:olga`, `token:…`). */
  updatedBy: string;
}

export interface DeviceLabelStore {
  /** The device's labels; null when none were ever set (or they were cleared). */
  getLabels(deviceId: string): Promise<DeviceLabelRecord | null>;
  /** Every labelled device, by id. */
  listLabels(): Promise<DeviceLabelRecord[]>;
  /**
   * Sets both labels of a registered device (VIGIL_ERR_NOT_FOUND otherwise) and returns the
   * record; both null removes the record. Deleting the device removes its labels.
   */
  setLabels(
    deviceId: string,
    labels: DeviceLabels,
    at: number,
    by: string,
  ): Promise<DeviceLabelRecord | null>;
}
