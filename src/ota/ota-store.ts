/**
 * The OTA storage port: uploaded firmware (manifest and where its image lies) and campaigns with
 * their per-device progress (docs/ota.md). Adapters must pass `ota-store-contract.ts`.
 * Timestamps are ms since the Unix epoch.
 */
import type { FirmwareManifest } from './firmware-manifest.ts';

export interface FirmwareRecord {
  version: string;
  profile: string;
  manifest: FirmwareManifest;
  addedBy: string;
  addedAt: number;
}

export type CampaignState = 'running' | 'paused' | 'aborted' | 'completed';
export const CAMPAIGN_STATES: readonly CampaignState[] = ['running', 'paused', 'aborted', 'completed'];

export interface CampaignRecord {
  id: string;
  version: string;
  /** What was asked for: named devices, or every enabled device of a profile. */
  target: { devices: string[] } | { profile: string };
  /** Share of the campaign's devices released per wave, and the failure share that pauses it (1..100). */
  wavePct: number;
  maxFailuresPct: number;
  state: CampaignState;
  /** How many waves are released (1 after start). */
  wavesReleased: number;
  /** Failures already counted when an operator resumed: the threshold counts only newer ones. */
  failuresAccepted: number;
  /** Why it is paused, aborted or completed (`failure threshold`, `operator`, ...). */
  reason: string | null;
  createdBy: string;
  createdAt: number;
  updatedAt: number;
}

/** What a conditional {@link OtaStore.updateCampaign} requires of the stored campaign. */
export type CampaignExpectation = Partial<Pick<CampaignRecord, 'state' | 'wavesReleased'>>;

/** Whether a stored campaign meets an expectation (for adapters). */
export const meetsExpectation = (c: CampaignRecord, e: CampaignExpectation | undefined): boolean =>
  e === undefined ||
  ((e.state === undefined || c.state === e.state) &&
    (e.wavesReleased === undefined || c.wavesReleased === e.wavesReleased));

/** `pending` (wave not released) → `sent` → `downloading` → `installing` → `succeeded | failed`; `cancelled` on abort. */
export type CampaignDeviceState =
  | 'pending'
  | 'sent'
  | 'downloading'
  | 'installing'
  | 'succeeded'
  | 'failed'
  | 'cancelled';
export const TERMINAL_DEVICE_STATES: readonly CampaignDeviceState[] = ['succeeded', 'failed', 'cancelled'];

export interface CampaignDeviceRecord {
  campaignId: string;
  deviceId: string;
  /** 0-based wave the device belongs to. */
  wave: number;
  state: CampaignDeviceState;
  commandId: string | null;
  /** Last reported download progress, 0..100. */
  progressPct: number;
  /** The device's reason for a failure (`hash`, `signature`, `rollback`, `self_test`, ...). */
  error: string | null;
  /** When it entered its current state. */
  updatedAt: number;
}

export interface OtaStore {
  /** Stores an uploaded image's record. Throws VIGIL_ERR_FIRMWARE_EXISTS for a known version. */
  addFirmware(f: FirmwareRecord): Promise<void>;
  getFirmware(version: string): Promise<FirmwareRecord | null>;
  /** Newest upload first. */
  listFirmware(): Promise<FirmwareRecord[]>;
  /** Stores a campaign and its devices in one transaction. */
  createCampaign(c: CampaignRecord, devices: CampaignDeviceRecord[]): Promise<void>;
  getCampaign(id: string): Promise<CampaignRecord | null>;
  /** Newest first. */
  listCampaigns(states?: readonly CampaignState[]): Promise<CampaignRecord[]>;
  /**
   * Changes state, waves released and reason; null when the campaign does not exist, or (with
   * `expect`) when it no longer has the expected state and waves: checked and changed atomically,
   * so of two processes advancing one campaign (or an operator pausing it meanwhile) one wins and
   * the other sees null instead of releasing a wave twice.
   */
  updateCampaign(
    id: string,
    patch: Partial<Pick<CampaignRecord, 'state' | 'wavesReleased' | 'reason' | 'failuresAccepted'>>,
    at: number,
    expect?: CampaignExpectation,
  ): Promise<CampaignRecord | null>;
  /** The campaign's devices, by wave then device id. */
  campaignDevices(campaignId: string): Promise<CampaignDeviceRecord[]>;
  /**
   * Changes a device's progress unless it is already terminal (a late report changes nothing);
   * returns the updated row or null.
   */
  updateCampaignDevice(
    campaignId: string,
    deviceId: string,
    patch: Partial<Pick<CampaignDeviceRecord, 'state' | 'commandId' | 'progressPct' | 'error'>>,
    at: number,
  ): Promise<CampaignDeviceRecord | null>;
  /** The device's row in a running or paused campaign that is not terminal, if any. */
  activeForDevice(deviceId: string): Promise<CampaignDeviceRecord | null>;
}
