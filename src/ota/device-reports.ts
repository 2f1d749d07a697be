/**
 * What devices report about themselves, read from the events they sent (docs/protocol.md §7.4,
 * §7.5): the firmware version each one runs and the state of its outputs. The events are the
 * record: they are stored by ingest in the same transaction as the PUBACK promises, so a report
 * is never lost and never disagrees with the event log.
 */

/** A device's running firmware version: its newest `ota` event in state `running`, `confirmed` or `rolled_back`. */
export interface FirmwareReport {
  deviceId: string;
  version: string;
  /** The event's time (device clock, ms). */
  ts: number;
  receivedAt: number;
}

/** One output's newest `output` event (`{"type":"output","name":N,"value":V}`). */
export interface OutputReport {
  name: string;
  value: number | boolean;
  ts: number;
  receivedAt: number;
}

/** The ota event states whose `version` is the one the device runs (§7.5). */
export const RUNNING_VERSION_STATES = ['running', 'confirmed', 'rolled_back'] as const;

export interface DeviceReports {
  /** The newest running-version report of each of these devices; a device that sent none is absent. */
  firmware(deviceIds: readonly string[]): Promise<FirmwareReport[]>;
  /**
   * The newest report of each named output of the device; an output never reported is absent,
   * and so is a report whose value is neither a number nor a boolean.
   */
  outputs(deviceId: string, names: readonly string[]): Promise<OutputReport[]>;
}

/** Each device's reported running version, by device id. */
export async function runningVersions(
  reports: DeviceReports,
  devices: readonly { deviceId: string }[],
): Promise<Map<string, string>> {
  const got = await reports.firmware(devices.map((d) => d.deviceId));
  return new Map(got.map((r) => [r.deviceId, r.version]));
}
