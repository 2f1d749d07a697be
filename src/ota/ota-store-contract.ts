import assert from 'node:assert/strict';
import { describe } from 'node:test';
import { type ContractOptions, contractTest, rejectsWith } from '../storage/contract.fixture.ts';
import type { CampaignDeviceRecord, CampaignRecord, FirmwareRecord, OtaStore } from './ota-store.ts';

/** A fresh, migrated, empty OTA store and a way to dispose of it. */
export interface OtaStoreFixture {
  ota: OtaStore;
  /** Registers a device in the same database (campaigns address provisioned devices). */
  registerDevice: (id: string) => Promise<void>;
  cleanup: () => Promise<void>;
}

const T = 1_795_305_600_000;

/** A firmware record as an adapter stores it (a well-formed manifest; its signature is not checked). */
export function sampleFirmware(version: string, addedAt = T): FirmwareRecord {
  return {
    version,
    profile: 'temperature-probe',
    manifest: {
      format: 'vigil-firmware-1',
      version,
      securityCounter: 1_000_000,
      minVersion: null,
      profile: 'temperature-probe',
      size: 10,
      sha256: '0'.repeat(64),
      keyId: '0'.repeat(16),
      signature: 'A'.repeat(86),
    },
    addedBy: 'cli',
    addedAt,
  };
}

function campaign(id: string, over: Partial<CampaignRecord> = {}): CampaignRecord {
  return {
    id,
    version: '1.0.0',
    target: { profile: 'temperature-probe' },
    wavePct: 50,
    maxFailuresPct: 10,
    state: 'running',
    wavesReleased: 1,
    failuresAccepted: 0,
    reason: null,
    createdBy: 'user:dana',
    createdAt: T,
    updatedAt: T,
    ...over,
  };
}

const member = (deviceId: string, wave: number): CampaignDeviceRecord => ({
  campaignId: '',
  deviceId,
  wave,
  state: 'pending',
  commandId: null,
  progressPct: 0,
  error: null,
  updatedAt: T,
});

/** The behaviour every OtaStore adapter must show. */
export function runOtaStoreContract(o: ContractOptions<OtaStoreFixture>): void {
  const test = contractTest(o);
  describe(`OtaStore contract: ${o.name}`, () => {
    test('keeps firmware by version, newest upload first, and never replaces a version', async (f) => {
      await f.ota.addFirmware(sampleFirmware('1.0.0', T));
      await f.ota.addFirmware(sampleFirmware('1.1.0', T + 1));
      assert.deepEqual(
        (await f.ota.listFirmware()).map((x) => x.version),
        ['1.1.0', '1.0.0'],
      );
      assert.equal((await f.ota.getFirmware('1.0.0'))?.manifest.sha256, '0'.repeat(64));
      assert.equal(await f.ota.getFirmware('9.9.9'), null);
      await rejectsWith(f.ota.addFirmware(sampleFirmware('1.0.0')), 'VIGIL_ERR_FIRMWARE_EXISTS');
    });

    test('stores a campaign with its devices and refuses one for unknown firmware', async (f) => {
      await f.registerDevice('probe-0001');
      await f.registerDevice('probe-0002');
      await f.ota.addFirmware(sampleFirmware('1.0.0'));
      await f.ota.createCampaign(campaign('c1'), [member('probe-0002', 1), member('probe-0001', 0)]);
      const c = await f.ota.getCampaign('c1');
      assert.deepEqual(c?.target, { profile: 'temperature-probe' });
      assert.deepEqual(
        (await f.ota.campaignDevices('c1')).map((d) => [d.deviceId, d.wave, d.state]),
        [
          ['probe-0001', 0, 'pending'],
          ['probe-0002', 1, 'pending'],
        ],
      );
      await rejectsWith(
        f.ota.createCampaign(campaign('c2', { version: '2.0.0' }), []),
        'VIGIL_ERR_NOT_FOUND',
      );
      assert.equal(await f.ota.getCampaign('c2'), null);
    });

    test('updates campaign state and lists by state, newest first', async (f) => {
      await f.ota.addFirmware(sampleFirmware('1.0.0'));
      await f.ota.createCampaign(campaign('c1'), []);
      await f.ota.createCampaign(campaign('c2'), []);
      const p = await f.ota.updateCampaign('c1', { state: 'paused', reason: 'operator' }, T + 5);
      assert.equal(p?.state, 'paused');
      assert.equal(p?.updatedAt, T + 5);
      assert.deepEqual(
        (await f.ota.listCampaigns()).map((c) => c.id),
        ['c2', 'c1'],
      );
      assert.deepEqual(
        (await f.ota.listCampaigns(['paused'])).map((c) => c.id),
        ['c1'],
      );
      assert.equal(await f.ota.updateCampaign('nope', { state: 'aborted' }, T), null);
    });

    test('a conditional update changes the campaign only while it is as expected', async (f) => {
      await f.ota.addFirmware(sampleFirmware('1.0.0'));
      await f.ota.createCampaign(campaign('c1'), []);
      const next = await f.ota.updateCampaign('c1', { wavesReleased: 2 }, T + 1, {
        state: 'running',
        wavesReleased: 1,
      });
      assert.equal(next?.wavesReleased, 2);
      // A second process that read the campaign before: it no longer has 1 wave, nothing changes.
      assert.equal(
        await f.ota.updateCampaign('c1', { wavesReleased: 2 }, T + 2, { state: 'running', wavesReleased: 1 }),
        null,
      );
      await f.ota.updateCampaign('c1', { state: 'paused', reason: 'operator' }, T + 3);
      assert.equal(
        await f.ota.updateCampaign('c1', { state: 'completed' }, T + 4, { state: 'running' }),
        null,
      );
      const c = await f.ota.getCampaign('c1');
      assert.deepEqual([c?.state, c?.wavesReleased, c?.updatedAt], ['paused', 2, T + 3]);
    });

    test('a terminal device row changes no more, and only active campaigns count for a device', async (f) => {
      await f.registerDevice('probe-0001');
      await f.ota.addFirmware(sampleFirmware('1.0.0'));
      await f.ota.createCampaign(campaign('c1'), [member('probe-0001', 0)]);
      assert.equal((await f.ota.activeForDevice('probe-0001'))?.campaignId, 'c1');
      const s = await f.ota.updateCampaignDevice(
        'c1',
        'probe-0001',
        { state: 'failed', error: 'hash' },
        T + 1,
      );
      assert.equal(s?.error, 'hash');
      assert.equal(await f.ota.updateCampaignDevice('c1', 'probe-0001', { state: 'succeeded' }, T + 2), null);
      assert.equal((await f.ota.campaignDevices('c1'))[0]?.state, 'failed');
      assert.equal(await f.ota.activeForDevice('probe-0001'), null);
    });
  });
}
