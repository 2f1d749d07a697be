import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { canonicalJson } from '../canonical-json.ts';
import type { CommandService } from '../commands/command-service.ts';
import type { CommandRecord } from '../commands/command-store.ts';
import { VigilError } from '../errors.ts';
import { DEVICE_ID_RULE, isDeviceId } from '../protocol/device-id.ts';
import type { Store } from '../storage/store.ts';
import {
  type CampaignDeviceRecord,
  type CampaignDeviceState,
  type CampaignRecord,
  type OtaStore,
  TERMINAL_DEVICE_STATES,
} from './ota-store.ts';

export interface CampaignServiceOptions {
  ota: OtaStore;
  store: Store;
  commands: CommandService;
  clock: () => number;
  logger: Logger;
  /** `https://host:port`: where devices download (the running server knows its real port). */
  downloadBase: () => string;
  /** A device without a result after this counts as failed. */
  deviceTimeoutMs: number;
  onChange?: (campaignId: string) => void;
}

export interface StartCampaignInput {
  version: string;
  devices?: string[] | undefined;
  profile?: string | undefined;
  wavePct?: number | undefined;
  maxFailuresPct?: number | undefined;
  actor: string;
}

/** A device's `ota` event state (docs/protocol.md §7.5) → its campaign progress. */
const EVENT_STATES: Readonly<Record<string, CampaignDeviceState>> = {
  accepted: 'sent',
  downloading: 'downloading',
  verifying: 'downloading',
  installing: 'installing',
  rebooting: 'installing',
  confirmed: 'succeeded',
  failed: 'failed',
  rolled_back: 'failed',
};

const terminal = (s: CampaignDeviceState) => TERMINAL_DEVICE_STATES.includes(s);

/**
 * OTA campaigns (docs/ota.md): staged waves of `ota` commands to the devices of a version's
 * profile, advanced by the devices' `ota` events, paused automatically when failures pass the
 * threshold. Every start, pause, resume, abort and completion is audited.
 */
export class CampaignService {
  readonly #o: CampaignServiceOptions;
  #ticking = false;

  constructor(o: CampaignServiceOptions) {
    this.#o = o;
    o.commands.registerOp('ota', {
      // Its args come from the firmware record: only campaigns send it.
      internal: true,
      onAck: (cmd) => this.#onCommandAck(cmd),
      onExpired: (cmd) => this.#onCommandEnd(cmd, 'timeout'),
    });
  }

  async start(i: StartCampaignInput): Promise<CampaignRecord> {
    const { ota, store, clock } = this.#o;
    const wavePct = i.wavePct ?? 10;
    const maxFailuresPct = i.maxFailuresPct ?? 5;
    if (!Number.isInteger(wavePct) || wavePct < 1 || wavePct > 100)
      throw new VigilError('VIGIL_ERR_USAGE', '--wave must be 1% to 100%');
    if (!Number.isInteger(maxFailuresPct) || maxFailuresPct < 0 || maxFailuresPct > 100)
      throw new VigilError('VIGIL_ERR_USAGE', '--max-failures must be 0% to 100%');
    if ((i.devices === undefined) === (i.profile === undefined))
      throw new VigilError('VIGIL_ERR_USAGE', 'give either --devices or --profile');
    const fw = await ota.getFirmware(i.version);
    if (!fw) throw new VigilError('VIGIL_ERR_NOT_FOUND', `firmware ${i.version}`);
    let ids: string[];
    if (i.devices !== undefined) {
      ids = [...new Set(i.devices)];
      if (ids.length === 0) throw new VigilError('VIGIL_ERR_USAGE', '--devices is empty');
      for (const id of ids) {
        if (!isDeviceId(id))
          throw new VigilError('VIGIL_ERR_DEVICE_ID', `"${String(id).slice(0, 70)}" ${DEVICE_ID_RULE}`);
        const d = await store.getDevice(id);
        if (!d) throw new VigilError('VIGIL_ERR_NOT_FOUND', `device ${id}`);
        if (d.status !== 'enabled') throw new VigilError('VIGIL_ERR_DEVICE_STATE', `${id} is ${d.status}`);
        if (d.profile !== fw.profile)
          throw new VigilError(
            'VIGIL_ERR_USAGE',
            `${id} is a ${d.profile}; ${i.version} is for ${fw.profile}`,
          );
      }
    } else {
      if (i.profile !== fw.profile)
        throw new VigilError('VIGIL_ERR_USAGE', `${i.version} is for ${fw.profile}, not ${i.profile}`);
      ids = (await store.listDevices())
        .filter((d) => d.profile === fw.profile && d.status === 'enabled')
        .map((d) => d.id)
        .sort();
      if (ids.length === 0) throw new VigilError('VIGIL_ERR_NOT_FOUND', `no enabled ${fw.profile} device`);
    }
    for (const id of ids) {
      if (await ota.activeForDevice(id))
        throw new VigilError('VIGIL_ERR_CAMPAIGN_STATE', `${id} is in a campaign that is still running`);
    }
    const now = clock();
    const waveSize = Math.max(1, Math.ceil((ids.length * wavePct) / 100));
    const c: CampaignRecord = {
      id: randomUUID(),
      version: i.version,
      target: i.devices !== undefined ? { devices: ids } : { profile: fw.profile },
      wavePct,
      maxFailuresPct,
      state: 'running',
      wavesReleased: 1,
      failuresAccepted: 0,
      reason: null,
      createdBy: i.actor,
      createdAt: now,
      updatedAt: now,
    };
    const members: CampaignDeviceRecord[] = ids.map((deviceId, n) => ({
      campaignId: c.id,
      deviceId,
      wave: Math.floor(n / waveSize),
      state: 'pending',
      commandId: null,
      progressPct: 0,
      error: null,
      updatedAt: now,
    }));
    await ota.createCampaign(c, members);
    await this.#audit(i.actor, 'ota.start', c.id, {
      version: c.version,
      devices: ids.length,
      waves: Math.ceil(ids.length / waveSize),
      wavePct,
      maxFailuresPct,
    });
    await this.#release(c, 0);
    return c;
  }

  /** Sends the `ota` command to every pending device of one wave. */
  async #release(c: CampaignRecord, wave: number): Promise<void> {
    const fw = await this.#o.ota.getFirmware(c.version);
    if (!fw) return;
    const url = `${this.#o.downloadBase()}/firmware/${encodeURIComponent(c.version)}`;
    for (const d of await this.#o.ota.campaignDevices(c.id)) {
      if (d.wave !== wave || d.state !== 'pending') continue;
      try {
        const cmd = await this.#o.commands.send({
          deviceId: d.deviceId,
          op: 'ota',
          args: { url, manifest: canonicalJson(fw.manifest), campaign: c.id },
          ttlMs: this.#o.deviceTimeoutMs,
          actor: 'system',
          reason: `campaign ${c.id}`,
          internal: true,
        });
        await this.#o.ota.updateCampaignDevice(
          c.id,
          d.deviceId,
          { state: 'sent', commandId: cmd.id },
          this.#o.clock(),
        );
      } catch (err) {
        // A device disabled since the start: it fails in this campaign, the others go on.
        await this.#o.ota.updateCampaignDevice(
          c.id,
          d.deviceId,
          { state: 'failed', error: (err as Error).message.slice(0, 200) },
          this.#o.clock(),
        );
      }
    }
    this.#o.onChange?.(c.id);
  }

  /** A device's `ota` event (already verified by ingest). */
  async onEvent(deviceId: string, body: Record<string, unknown>): Promise<void> {
    const row = await this.#o.ota.activeForDevice(deviceId);
    if (!row) return;
    const c = await this.#o.ota.getCampaign(row.campaignId);
    if (!c) return;
    const reported = typeof body.state === 'string' ? body.state : '';
    let state = Object.hasOwn(EVENT_STATES, reported) ? EVENT_STATES[reported] : undefined;
    if (!state) return;
    // Only a confirmation of this campaign's version is a success (a rollback reports the old one).
    if (state === 'succeeded' && body.version !== c.version) state = 'failed';
    const pct =
      typeof body.pct === 'number' && body.pct >= 0 && body.pct <= 100 ? Math.round(body.pct) : undefined;
    const error =
      typeof body.error === 'string' ? body.error.slice(0, 200) : state === 'failed' ? reported : undefined;
    const updated = await this.#o.ota.updateCampaignDevice(
      c.id,
      deviceId,
      {
        state,
        ...(pct !== undefined ? { progressPct: pct } : {}),
        ...(state === 'succeeded' ? { progressPct: 100 } : {}),
        ...(error !== undefined && state === 'failed' ? { error } : {}),
      },
      this.#o.clock(),
    );
    if (updated && terminal(updated.state))
      await this.#audit(`device:${deviceId}`, `ota.device_${updated.state}`, c.id, {
        device: deviceId,
        version: c.version,
        ...(updated.error ? { error: updated.error } : {}),
      });
    this.#o.onChange?.(c.id);
  }

  async #onCommandAck(cmd: CommandRecord): Promise<void> {
    if (cmd.outcome === 'error') await this.#onCommandEnd(cmd, cmd.error ?? 'refused');
  }

  /** The device refused the command (`ok:false`), or it expired unanswered. */
  async #onCommandEnd(cmd: CommandRecord, error: string): Promise<void> {
    const row = await this.#o.ota.activeForDevice(cmd.deviceId);
    if (!row || row.commandId !== cmd.id) return;
    await this.#o.ota.updateCampaignDevice(
      row.campaignId,
      cmd.deviceId,
      { state: 'failed', error },
      this.#o.clock(),
    );
    await this.#audit(`device:${cmd.deviceId}`, 'ota.device_failed', row.campaignId, {
      device: cmd.deviceId,
      error,
    });
    this.#o.onChange?.(row.campaignId);
  }

  /** Advances running campaigns: timeouts, failure threshold, next wave, completion. */
  async tick(): Promise<void> {
    if (this.#ticking) return;
    this.#ticking = true;
    try {
      for (const c of await this.#o.ota.listCampaigns(['running'])) await this.#advance(c);
    } finally {
      this.#ticking = false;
    }
  }

  async #advance(c: CampaignRecord): Promise<void> {
    const { ota, clock } = this.#o;
    const now = clock();
    let devices = await ota.campaignDevices(c.id);
    for (const d of devices) {
      if (d.state !== 'pending' && !terminal(d.state) && now - d.updatedAt > this.#o.deviceTimeoutMs)
        await ota.updateCampaignDevice(c.id, d.deviceId, { state: 'failed', error: 'timeout' }, now);
    }
    devices = await ota.campaignDevices(c.id);
    const released = devices.filter((d) => d.wave < c.wavesReleased);
    const failed = released.filter((d) => d.state === 'failed').length;
    if ((failed - c.failuresAccepted) * 100 > c.maxFailuresPct * released.length) {
      const p = await ota.updateCampaign(c.id, { state: 'paused', reason: 'failure threshold' }, now, {
        state: 'running',
        wavesReleased: c.wavesReleased,
      });
      // Another process (or the operator) changed it first: nothing to pause here.
      if (!p) return;
      await this.#audit('system', 'ota.pause', c.id, {
        reason: 'failure threshold',
        failed,
        released: released.length,
      });
      this.#o.logger.warn(
        { campaign: c.id, failed, released: released.length },
        'OTA campaign paused: failures past the threshold',
      );
      this.#o.onChange?.(c.id);
      return;
    }
    if (!released.every((d) => terminal(d.state))) return;
    const waves = devices.reduce((m, d) => Math.max(m, d.wave + 1), 0);
    if (c.wavesReleased < waves) {
      // Released only by the process whose update finds the campaign still as it read it.
      const next = await ota.updateCampaign(c.id, { wavesReleased: c.wavesReleased + 1 }, now, {
        state: 'running',
        wavesReleased: c.wavesReleased,
      });
      if (next) await this.#release(next, c.wavesReleased);
      return;
    }
    const done = await ota.updateCampaign(c.id, { state: 'completed', reason: null }, now, {
      state: 'running',
      wavesReleased: c.wavesReleased,
    });
    if (!done) return;
    await this.#audit('system', 'ota.complete', c.id, {
      succeeded: devices.filter((d) => d.state === 'succeeded').length,
      failed,
    });
    this.#o.onChange?.(c.id);
  }

  async pause(id: string, actor: string): Promise<CampaignRecord> {
    return this.#transition(id, actor, 'ota.pause', ['running'], { state: 'paused', reason: 'operator' });
  }

  /** Continues a paused campaign; the failures so far are accepted (the threshold counts newer ones). */
  async resume(id: string, actor: string): Promise<CampaignRecord> {
    const failed = (await this.#o.ota.campaignDevices(id)).filter((d) => d.state === 'failed').length;
    return this.#transition(id, actor, 'ota.resume', ['paused'], {
      state: 'running',
      reason: null,
      failuresAccepted: failed,
    });
  }

  /** Stops the campaign: devices not yet done are cancelled (an `ota` already sent may still finish). */
  async abort(id: string, actor: string): Promise<CampaignRecord> {
    const c = await this.#transition(id, actor, 'ota.abort', ['running', 'paused'], {
      state: 'aborted',
      reason: 'operator',
    });
    for (const d of await this.#o.ota.campaignDevices(id))
      if (!terminal(d.state))
        await this.#o.ota.updateCampaignDevice(id, d.deviceId, { state: 'cancelled' }, this.#o.clock());
    return c;
  }

  async #transition(
    id: string,
    actor: string,
    action: string,
    from: readonly CampaignRecord['state'][],
    patch: Pick<CampaignRecord, 'state' | 'reason'> & { failuresAccepted?: number },
  ): Promise<CampaignRecord> {
    const cur = await this.#o.ota.getCampaign(id);
    if (!cur) throw new VigilError('VIGIL_ERR_NOT_FOUND', `campaign ${id}`);
    if (!from.includes(cur.state))
      throw new VigilError('VIGIL_ERR_CAMPAIGN_STATE', `campaign is ${cur.state}`);
    const next = await this.#o.ota.updateCampaign(id, patch, this.#o.clock(), { state: cur.state });
    // Changed by another process between the read and the update: judged again from its new state.
    if (!next) throw new VigilError('VIGIL_ERR_CAMPAIGN_STATE', 'campaign changed meanwhile; try again');
    await this.#audit(actor, action, id, {
      version: cur.version,
      from: cur.state,
      ...(patch.failuresAccepted !== undefined ? { failuresAccepted: patch.failuresAccepted } : {}),
    });
    this.#o.onChange?.(id);
    return next;
  }

  async #audit(actor: string, action: string, id: string, detail: Record<string, unknown>): Promise<void> {
    await this.#o.store.appendAudit({ ts: this.#o.clock(), actor, action, object: id, detail });
  }
}
