import type pg from 'pg';
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
import type { ColumnCipher } from './postgres-cipher.ts';
import type { PostgresDatabase } from './postgres-database.ts';
import { pgCode, pgOps, pgStoreError } from './postgres-store-rows.ts';

const params = (n: number, from = 1) => Array.from({ length: n }, (_, i) => `$${i + from}`).join(', ');

/** What a firmware row's MAC covers: every column, length-prefixed (ColumnCipher.mac). */
const firmwareMacParts = (r: Omit<FirmwareRow, 'mac'>) =>
  [r.profile, r.manifest, r.added_by, String(r.added_at)].map((x) => Buffer.from(x, 'utf8'));

/**
 * The `OtaStore` port on PostgreSQL. A firmware row is public but authenticated: an HMAC under the
 * data key over all its columns, checked on every read, so an operator of the database cannot
 * swap the profile or manifest a version is served with (the device verifies the signature
 * anyway; this keeps the server from acting on an altered row). A change that reads before it
 * writes locks its row (`FOR UPDATE`), so two processes cannot both move a device out of a state.
 */
export class PostgresOtaStore implements OtaStore {
  readonly #db: PostgresDatabase;
  readonly #ops: ReturnType<typeof pgOps>;

  constructor(db: PostgresDatabase) {
    this.#db = db;
    this.#ops = pgOps(db, (err) =>
      pgCode(err) === '23505'
        ? new VigilError('VIGIL_ERR_FIRMWARE_EXISTS')
        : pgCode(err) === '23503'
          ? new VigilError('VIGIL_ERR_NOT_FOUND', 'device or firmware')
          : pgStoreError(err, 'ota'),
    );
  }

  async addFirmware(f: FirmwareRecord): Promise<void> {
    const row = {
      version: f.version,
      profile: f.profile,
      manifest: JSON.stringify(f.manifest),
      added_by: f.addedBy,
      added_at: f.addedAt,
    };
    await this.#ops.q(
      'INSERT INTO firmware (version, profile, manifest, added_by, added_at, mac) VALUES ($1, $2, $3, $4, $5, $6)',
      [
        row.version,
        row.profile,
        row.manifest,
        row.added_by,
        row.added_at,
        this.#db.cipher.mac('firmware', row.version, ...firmwareMacParts(row)),
      ],
    );
  }

  async getFirmware(version: string): Promise<FirmwareRecord | null> {
    const [r] = await this.#ops.q<FirmwareRow & { mac: Buffer }>(
      'SELECT * FROM firmware WHERE version = $1',
      [version],
    );
    return r ? checked(this.#db.cipher, r) : null;
  }

  async listFirmware(): Promise<FirmwareRecord[]> {
    const rows = await this.#ops.q<FirmwareRow & { mac: Buffer }>(
      'SELECT * FROM firmware ORDER BY added_at DESC, version DESC',
    );
    return rows.map((r) => checked(this.#db.cipher, r));
  }

  async createCampaign(c: CampaignRecord, devices: CampaignDeviceRecord[]): Promise<void> {
    await this.#ops.tx(async (q) => {
      const values = campaignValues(c);
      await q.query(
        `INSERT INTO ota_campaigns (${CAMPAIGN_COLUMNS}) VALUES (${params(values.length)})`,
        values,
      );
      for (const d of devices) {
        await q.query(
          `INSERT INTO ota_campaign_devices (${CAMPAIGN_DEVICE_COLUMNS}) VALUES (${params(8)})`,
          campaignDeviceValues(c.id, d),
        );
      }
    });
  }

  async getCampaign(id: string): Promise<CampaignRecord | null> {
    const [r] = await this.#ops.q<CampaignRow>('SELECT * FROM ota_campaigns WHERE id = $1', [id]);
    return r ? toCampaign(r) : null;
  }

  async listCampaigns(states?: readonly CampaignState[]): Promise<CampaignRecord[]> {
    const rows =
      states && states.length > 0
        ? await this.#ops.q<CampaignRow>(
            'SELECT * FROM ota_campaigns WHERE state = ANY($1) ORDER BY n DESC',
            [[...states]],
          )
        : await this.#ops.q<CampaignRow>('SELECT * FROM ota_campaigns ORDER BY n DESC');
    return rows.map(toCampaign);
  }

  async updateCampaign(
    id: string,
    patch: Partial<Pick<CampaignRecord, 'state' | 'wavesReleased' | 'reason' | 'failuresAccepted'>>,
    at: number,
    expect?: CampaignExpectation,
  ): Promise<CampaignRecord | null> {
    return this.#ops.tx(async (q) => {
      const cur = await one<CampaignRow>(q, 'SELECT * FROM ota_campaigns WHERE id = $1 FOR UPDATE', [id]);
      if (!cur || !meetsExpectation(toCampaign(cur), expect)) return null;
      const next = { ...toCampaign(cur), ...patch, updatedAt: at };
      await q.query(
        `UPDATE ota_campaigns SET state = $1, waves_released = $2, failures_accepted = $3, reason = $4, updated_at = $5
         WHERE id = $6`,
        [next.state, next.wavesReleased, next.failuresAccepted, next.reason, at, id],
      );
      return next;
    });
  }

  async campaignDevices(campaignId: string): Promise<CampaignDeviceRecord[]> {
    const rows = await this.#ops.q<CampaignDeviceRow>(
      'SELECT * FROM ota_campaign_devices WHERE campaign_id = $1 ORDER BY wave, device_id',
      [campaignId],
    );
    return rows.map(toCampaignDevice);
  }

  async updateCampaignDevice(
    campaignId: string,
    deviceId: string,
    patch: Partial<Pick<CampaignDeviceRecord, 'state' | 'commandId' | 'progressPct' | 'error'>>,
    at: number,
  ): Promise<CampaignDeviceRecord | null> {
    return this.#ops.tx(async (q) => {
      const cur = await one<CampaignDeviceRow>(
        q,
        `SELECT * FROM ota_campaign_devices WHERE campaign_id = $1 AND device_id = $2 AND state NOT IN ${TERMINAL_SQL}
         FOR UPDATE`,
        [campaignId, deviceId],
      );
      if (!cur) return null;
      const next = { ...toCampaignDevice(cur), ...patch, updatedAt: at };
      await q.query(
        `UPDATE ota_campaign_devices SET state = $1, command_id = $2, progress_pct = $3, error = $4, updated_at = $5
         WHERE campaign_id = $6 AND device_id = $7`,
        [next.state, next.commandId, next.progressPct, next.error, at, campaignId, deviceId],
      );
      return next;
    });
  }

  async activeForDevice(deviceId: string): Promise<CampaignDeviceRecord | null> {
    const [r] = await this.#ops.q<CampaignDeviceRow>(
      `SELECT d.* FROM ota_campaign_devices d JOIN ota_campaigns c ON c.id = d.campaign_id
       WHERE d.device_id = $1 AND c.state IN ('running', 'paused') AND d.state NOT IN ${TERMINAL_SQL}
       ORDER BY c.n DESC LIMIT 1`,
      [deviceId],
    );
    return r ? toCampaignDevice(r) : null;
  }
}

async function one<R extends pg.QueryResultRow>(
  q: pg.ClientBase,
  sql: string,
  p: unknown[],
): Promise<R | null> {
  return (await q.query<R>(sql, p)).rows[0] ?? null;
}

/** A firmware row as a record, after its MAC (VIGIL_ERR_STORE when it was altered). */
function checked(c: ColumnCipher, r: FirmwareRow & { mac: Buffer }): FirmwareRecord {
  c.checkMac('firmware', r.version, r.mac, ...firmwareMacParts(r));
  return toFirmware(r);
}
