import { VigilError } from '../../errors.ts';
import type { FirmwareManifest } from '../../ota/firmware-manifest.ts';
import type {
  CampaignDeviceRecord,
  CampaignDeviceState,
  CampaignRecord,
  CampaignState,
  FirmwareRecord,
  OtaStore,
} from '../../ota/ota-store.ts';
import type { SqliteDatabase, SqliteScope } from './sqlite-database.ts';

interface FirmwareRow {
  version: string;
  profile: string;
  manifest: string;
  added_by: string;
  added_at: number;
}
interface CampaignRow {
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
interface DeviceRow {
  campaign_id: string;
  device_id: string;
  wave: number;
  state: CampaignDeviceState;
  command_id: string | null;
  progress_pct: number;
  error: string | null;
  updated_at: number;
}

const toFirmware = (r: FirmwareRow): FirmwareRecord => ({
  version: r.version,
  profile: r.profile,
  manifest: JSON.parse(r.manifest) as FirmwareManifest,
  addedBy: r.added_by,
  addedAt: r.added_at,
});
const toCampaign = (r: CampaignRow): CampaignRecord => ({
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
const toDevice = (r: DeviceRow): CampaignDeviceRecord => ({
  campaignId: r.campaign_id,
  deviceId: r.device_id,
  wave: r.wave,
  state: r.state,
  commandId: r.command_id,
  progressPct: r.progress_pct,
  error: r.error,
  updatedAt: r.updated_at,
});

const TERMINAL = "('succeeded', 'failed', 'cancelled')";

/** The firmware and campaign tables on the store's connection. */
export class SqliteOtaStore implements OtaStore {
  readonly #q: SqliteScope;

  constructor(db: SqliteDatabase) {
    this.#q = db.scope('ota', (code) =>
      code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === 'SQLITE_CONSTRAINT_UNIQUE'
        ? new VigilError('VIGIL_ERR_FIRMWARE_EXISTS')
        : code === 'SQLITE_CONSTRAINT_FOREIGNKEY'
          ? new VigilError('VIGIL_ERR_NOT_FOUND', 'device or firmware')
          : undefined,
    );
  }

  async addFirmware(f: FirmwareRecord): Promise<void> {
    this.#q.write(() =>
      this.#q
        .stmt('INSERT INTO firmware (version, profile, manifest, added_by, added_at) VALUES (?, ?, ?, ?, ?)')
        .run(f.version, f.profile, JSON.stringify(f.manifest), f.addedBy, f.addedAt),
    );
  }

  async getFirmware(version: string): Promise<FirmwareRecord | null> {
    const r = this.#q.one<FirmwareRow>('SELECT * FROM firmware WHERE version = ?', version);
    return r ? toFirmware(r) : null;
  }

  async listFirmware(): Promise<FirmwareRecord[]> {
    return this.#q
      .all<FirmwareRow>('SELECT * FROM firmware ORDER BY added_at DESC, version DESC')
      .map(toFirmware);
  }

  async createCampaign(c: CampaignRecord, devices: CampaignDeviceRecord[]): Promise<void> {
    this.#q.write(() => {
      this.#q
        .stmt(
          `INSERT INTO ota_campaigns (id, version, target, wave_pct, max_failures_pct, state, waves_released,
             failures_accepted, reason, created_by, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(
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
        );
      const ins = this.#q.stmt(
        `INSERT INTO ota_campaign_devices (campaign_id, device_id, wave, state, command_id, progress_pct, error,
           updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      );
      for (const d of devices)
        ins.run(c.id, d.deviceId, d.wave, d.state, d.commandId, d.progressPct, d.error, d.updatedAt);
    });
  }

  async getCampaign(id: string): Promise<CampaignRecord | null> {
    const r = this.#q.one<CampaignRow>('SELECT * FROM ota_campaigns WHERE id = ?', id);
    return r ? toCampaign(r) : null;
  }

  async listCampaigns(states?: readonly CampaignState[]): Promise<CampaignRecord[]> {
    const where = states && states.length > 0 ? `WHERE state IN (${states.map(() => '?').join(', ')})` : '';
    return this.#q
      .all<CampaignRow>(`SELECT * FROM ota_campaigns ${where} ORDER BY n DESC`, ...(states ?? []))
      .map(toCampaign);
  }

  async updateCampaign(
    id: string,
    patch: Partial<Pick<CampaignRecord, 'state' | 'wavesReleased' | 'reason' | 'failuresAccepted'>>,
    at: number,
  ): Promise<CampaignRecord | null> {
    return this.#q.write(() => {
      const cur = this.#q.one<CampaignRow>('SELECT * FROM ota_campaigns WHERE id = ?', id);
      if (!cur) return null;
      const next = { ...toCampaign(cur), ...patch, updatedAt: at };
      this.#q
        .stmt(
          'UPDATE ota_campaigns SET state = ?, waves_released = ?, failures_accepted = ?, reason = ?, updated_at = ? WHERE id = ?',
        )
        .run(next.state, next.wavesReleased, next.failuresAccepted, next.reason, at, id);
      return next;
    });
  }

  async campaignDevices(campaignId: string): Promise<CampaignDeviceRecord[]> {
    return this.#q
      .all<DeviceRow>(
        'SELECT * FROM ota_campaign_devices WHERE campaign_id = ? ORDER BY wave, device_id',
        campaignId,
      )
      .map(toDevice);
  }

  async updateCampaignDevice(
    campaignId: string,
    deviceId: string,
    patch: Partial<Pick<CampaignDeviceRecord, 'state' | 'commandId' | 'progressPct' | 'error'>>,
    at: number,
  ): Promise<CampaignDeviceRecord | null> {
    return this.#q.write(() => {
      const cur = this.#q.one<DeviceRow>(
        `SELECT * FROM ota_campaign_devices WHERE campaign_id = ? AND device_id = ? AND state NOT IN ${TERMINAL}`,
        campaignId,
        deviceId,
      );
      if (!cur) return null;
      const next = { ...toDevice(cur), ...patch, updatedAt: at };
      this.#q
        .stmt(
          `UPDATE ota_campaign_devices SET state = ?, command_id = ?, progress_pct = ?, error = ?, updated_at = ?
           WHERE campaign_id = ? AND device_id = ?`,
        )
        .run(next.state, next.commandId, next.progressPct, next.error, at, campaignId, deviceId);
      return next;
    });
  }

  async activeForDevice(deviceId: string): Promise<CampaignDeviceRecord | null> {
    const r = this.#q.one<DeviceRow>(
      `SELECT d.* FROM ota_campaign_devices d JOIN ota_campaigns c ON c.id = d.campaign_id
       WHERE d.device_id = ? AND c.state IN ('running', 'paused') AND d.state NOT IN ${TERMINAL}
       ORDER BY c.n DESC LIMIT 1`,
      deviceId,
    );
    return r ? toDevice(r) : null;
  }
}
