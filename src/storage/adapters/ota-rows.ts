/**
 * Row shapes of the firmware and campaign tables, the same on SQLite and PostgreSQL (migration
 * 16 and pg migration 7), and their mapping to the OTA port's records.
 */
import type { FirmwareManifest } from '../../ota/firmware-manifest.ts';
import type {
  CampaignDeviceRecord,
  CampaignDeviceState,
  CampaignRecord,
  CampaignState,
  FirmwareRecord,
} from '../../ota/ota-store.ts';

export interface FirmwareRow {
  version: string;
  profile: string;
  manifest: string;
  added_by: string;
  added_at: number;
}
export interface CampaignRow {
  id: string;
  version: string;
  target: string;
  wave_pct: number;
  max_failures_pct: number;
  state: CampaignState;
  waves_released: number;
  failures_accepted: number;
  reason: string | null;
  created_by: string;
  created_at: number;
  updated_at: number;
}
export interface CampaignDeviceRow {
  campaign_id: string;
  device_id: string;
  wave: number;
  state: CampaignDeviceState;
  command_id: string | null;
  progress_pct: number;
  error: string | null;
  updated_at: number;
}

export const toFirmware = (r: FirmwareRow): FirmwareRecord => ({
  version: r.version,
  profile: r.profile,
  manifest: JSON.parse(r.manifest) as FirmwareManifest,
  addedBy: r.added_by,
  addedAt: r.added_at,
});
export const toCampaign = (r: CampaignRow): CampaignRecord => ({
  id: r.id,
  version: r.version,
  target: JSON.parse(r.target) as CampaignRecord['target'],
  wavePct: r.wave_pct,
  maxFailuresPct: r.max_failures_pct,
  state: r.state,
  wavesReleased: r.waves_released,
  failuresAccepted: r.failures_accepted,
  reason: r.reason,
  createdBy: r.created_by,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});
export const toCampaignDevice = (r: CampaignDeviceRow): CampaignDeviceRecord => ({
  campaignId: r.campaign_id,
  deviceId: r.device_id,
  wave: r.wave,
  state: r.state,
  commandId: r.command_id,
  progressPct: r.progress_pct,
  error: r.error,
  updatedAt: r.updated_at,
});

/** Device states a campaign row never leaves (SQL list). */
export const TERMINAL_SQL = "('succeeded', 'failed', 'cancelled')";

/** The campaign columns in INSERT order, and their values. */
export const CAMPAIGN_COLUMNS =
  'id, version, target, wave_pct, max_failures_pct, state, waves_released, failures_accepted, reason, created_by, created_at, updated_at';
export const campaignValues = (c: CampaignRecord): unknown[] => [
  c.id,
  c.version,
  JSON.stringify(c.target),
  c.wavePct,
  c.maxFailuresPct,
  c.state,
  c.wavesReleased,
  c.failuresAccepted,
  c.reason,
  c.createdBy,
  c.createdAt,
  c.updatedAt,
];

/** The campaign device columns in INSERT order, and their values. */
export const CAMPAIGN_DEVICE_COLUMNS =
  'campaign_id, device_id, wave, state, command_id, progress_pct, error, updated_at';
export const campaignDeviceValues = (campaignId: string, d: CampaignDeviceRecord): unknown[] => [
  campaignId,
  d.deviceId,
  d.wave,
  d.state,
  d.commandId,
  d.progressPct,
  d.error,
  d.updatedAt,
];
