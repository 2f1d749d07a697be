import { VigilError } from '../../errors.ts';
import {
  type CampaignDeviceRecord,
  type CampaignExpectation,
  type CampaignRecord,
  type CampaignState,
  type FirmwareRecord,
  meetsExpectation,
  type OtaStore,
} from '../../ota/ota-store.ts';
import {
  CAMPAIGN_COLUMNS,
  CAMPAIGN_DEVICE_COLUMNS,
  type CampaignDeviceRow,
  type CampaignRow,
  campaignDeviceValues,
  campaignValues,
  type FirmwareRow,
  TERMINAL_SQL,
  toCampaign,
  toCampaignDevice,
  toFirmware,
} from './ota-rows.ts';
import type { SqliteDatabase, SqliteScope } from './sqlite-database.ts';

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
      const values = campaignValues(c);
      this.#q
        .stmt(`INSERT INTO ota_campaigns (${CAMPAIGN_COLUMNS}) VALUES (${values.map(() => '?').join(', ')})`)
        .run(...values);
      const ins = this.#q.stmt(
        `INSERT INTO ota_campaign_devices (${CAMPAIGN_DEVICE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      );
      for (const d of devices) ins.run(...campaignDeviceValues(c.id, d));
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
    expect?: CampaignExpectation,
  ): Promise<CampaignRecord | null> {
    return this.#q.write(() => {
      const cur = this.#q.one<CampaignRow>('SELECT * FROM ota_campaigns WHERE id = ?', id);
      if (!cur || !meetsExpectation(toCampaign(cur), expect)) return null;
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
      .all<CampaignDeviceRow>(
        'SELECT * FROM ota_campaign_devices WHERE campaign_id = ? ORDER BY wave, device_id',
        campaignId,
      )
      .map(toCampaignDevice);
  }

  async updateCampaignDevice(
    campaignId: string,
    deviceId: string,
    patch: Partial<Pick<CampaignDeviceRecord, 'state' | 'commandId' | 'progressPct' | 'error'>>,
    at: number,
  ): Promise<CampaignDeviceRecord | null> {
    return this.#q.write(() => {
      const cur = this.#q.one<CampaignDeviceRow>(
        `SELECT * FROM ota_campaign_devices WHERE campaign_id = ? AND device_id = ? AND state NOT IN ${TERMINAL_SQL}`,
        campaignId,
        deviceId,
      );
      if (!cur) return null;
      const next = { ...toCampaignDevice(cur), ...patch, updatedAt: at };
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
    const r = this.#q.one<CampaignDeviceRow>(
      `SELECT d.* FROM ota_campaign_devices d JOIN ota_campaigns c ON c.id = d.campaign_id
       WHERE d.device_id = ? AND c.state IN ('running', 'paused') AND d.state NOT IN ${TERMINAL_SQL}
       ORDER BY c.n DESC LIMIT 1`,
      deviceId,
    );
    return r ? toCampaignDevice(r) : null;
  }
}
