/**
 * Signed firmware and an OTA campaign on PostgreSQL (storage.url), end to end over real mTLS on
 * loopback: the image is uploaded into PostgreSQL (nothing lands in the data directory), three
 * simulated devices download it from the firmware listener by Range over its chunks, one of them
 * cut off mid-download and resuming, verify it and confirm the new version after their reboot.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { publicKeyText, signManifest } from '../src/ota/firmware-manifest.ts';
import { otaOf } from '../src/server/ota-wiring.ts';
import { SimDevice } from '../src/sim/sim-device.ts';
import { PG_IMAGE_CHUNK_BYTES } from '../src/storage/adapters/postgres-ota-migration.ts';
import { postgresOrSkip } from '../src/storage/adapters/postgres-server.fixture.ts';
import { type Instance, startInstance, waitFor } from './helpers/instance.ts';
import { runVigil } from './helpers/run-vigil.ts';
import { uploadSigned } from './helpers/signed-firmware.ts';

const PROFILE = 'temperature-probe';
const pgs = await postgresOrSkip();
const server = typeof pgs === 'string' ? undefined : pgs;
const signer = generateKeyPairSync('ed25519');
let inst: Instance | undefined;
const devices: SimDevice[] = [];

before(async () => {
  if (!server) return;
  await server.query('CREATE DATABASE vigil_ota');
  // In config.json too, so that `vigil` commands on this data directory use the same database.
  const dir = mkdtempSync(join(tmpdir(), 'vigil-pg-ota-'));
  const config = {
    storage: { url: server.url('vigil_ota') },
    ota: { trustedKeys: [publicKeyText(signer.publicKey)] },
  };
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
  inst = await startInstance(
    { ...config, ota: { ...config.ota, tickMs: 200 }, commands: { resendAfterSeconds: 2 } },
    dir,
  );
});
after(async () => {
  for (const d of devices) await d.close();
  await inst?.destroy();
  await server?.stop();
});

describe('OTA on PostgreSQL (storage.url)', { skip: typeof pgs === 'string' ? pgs : false }, () => {
  it('stores a signed image in PostgreSQL and refuses a mis-signed one', async () => {
    assert.ok(inst);
    const img = randomBytes(4096);
    const good = signManifest({
      image: img,
      version: '2.0.0',
      profile: PROFILE,
      privateKey: signer.privateKey,
    });
    const forged = { ...good, signature: randomBytes(64).toString('base64url') };
    await assert.rejects(otaOf(inst.server).firmware.add(img, JSON.stringify(forged), 'test'), {
      code: 'VIGIL_ERR_FIRMWARE_INVALID',
    });
    assert.equal(await inst.ctx.otaStores.ota.getFirmware('2.0.0'), null);
    const refused = await inst.ctx.store.queryAudit({ action: 'firmware.refused' });
    assert.deepEqual(
      refused.map((a) => a.detail.reason),
      ['signature'],
    );
  });

  it('runs a campaign over 3 devices to success; an interrupted download resumes by Range', async () => {
    assert.ok(inst);
    const i = inst;
    for (let n = 1; n <= 3; n++) {
      const d = new SimDevice(await i.addDevice(`pg-ota-${String(n).padStart(4, '0')}`, PROFILE), {
        brokerUrl: i.url,
      });
      devices.push(d);
    }
    await Promise.all(devices.map((d) => d.connect()));
    // Larger than two chunks, so whole reads and the resumed Range both cross chunk boundaries.
    const img = Buffer.concat([
      Buffer.from('VIGIL-SIM-IMAGE\n'),
      randomBytes(2 * PG_IMAGE_CHUNK_BYTES + 40_000),
    ]);
    const rec = await uploadSigned(i, signer.privateKey, img, '1.1.0', { profile: PROFILE });
    assert.equal(await i.ctx.otaStores.images.size(rec.manifest.sha256), img.length);
    assert.equal(existsSync(i.ctx.paths.firmwareDir), false, 'no image file in the data directory');
    const cut = devices[1] as SimDevice;
    // Cut off inside the second chunk: the resumed request starts mid-chunk.
    cut.firmware.dropAfterBytes = PG_IMAGE_CHUNK_BYTES + 12_345;
    const c = await otaOf(i.server).campaigns.start({
      version: '1.1.0',
      devices: devices.map((d) => d.id),
      maxFailuresPct: 0,
      actor: 'test',
    });
    const done = await waitFor(
      'campaign finished',
      async () => {
        const x = await i.ctx.otaStores.ota.getCampaign(c.id);
        return x && (x.state === 'completed' || x.state === 'paused') ? x : undefined;
      },
      90_000,
    );
    assert.equal(done.state, 'completed', `campaign ${done.state}: ${done.reason}`);
    const rows = await i.ctx.otaStores.ota.campaignDevices(c.id);
    assert.deepEqual(
      rows.map((r) => [r.deviceId, r.state]),
      devices.map((d) => [d.id, 'succeeded']),
    );
    for (const d of devices) assert.equal(d.firmware.version, '1.1.0');
    assert.ok(cut.firmware.stats.rangeRequests >= 1, 'the cut download resumed with a Range request');
    assert.equal(cut.firmware.stats.bytes, img.length, 'nothing downloaded twice');
    for (const d of devices) assert.equal(d.firmware.stats.bytes, img.length);
    // What each device reports running (its encrypted events, read back) is what the server shows.
    await waitFor('every device reports 1.1.0 running', async () => {
      const fw = await i.ctx.otaStores.reports.firmware(devices.map((d) => d.id));
      return fw.length === 3 && fw.every((f) => f.version === '1.1.0');
    });
    const actions = (await i.ctx.store.queryAudit({ limit: 1000 }))
      .filter((a) => a.object === c.id)
      .map((a) => a.action);
    assert.ok(actions.includes('ota.start') && actions.includes('ota.complete'), actions.join(','));
    assert.equal(actions.filter((a) => a === 'ota.device_succeeded').length, 3);
  });

  it('the firmware and ota commands work on the PostgreSQL data directory', async () => {
    assert.ok(inst);
    const i = inst;
    const vigil = (args: string[]) => runVigil(args, { dataDir: i.dataDir });
    const ndjson = (out: string) =>
      out
        .trim()
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l));
    const img = randomBytes(300_000);
    const m = signManifest({ image: img, version: '1.2.0', profile: PROFILE, privateKey: signer.privateKey });
    const file = join(i.dataDir, 'probe-1.2.0.bin');
    writeFileSync(file, img);
    writeFileSync(`${file}.manifest.json`, JSON.stringify(m));
    const added = await vigil(['firmware', 'add', file, '--manifest', `${file}.manifest.json`, '--json']);
    assert.equal(added.code, 0, added.stderr);
    assert.equal(JSON.parse(added.stdout).version, '1.2.0');
    // Stored in PostgreSQL, where the running server reads it.
    assert.equal(await i.ctx.otaStores.images.size(m.sha256), img.length);
    assert.equal((await i.ctx.otaStores.ota.getFirmware('1.2.0'))?.manifest.sha256, m.sha256);
    const list = await vigil(['firmware', 'list', '--json']);
    assert.deepEqual(
      ndjson(list.stdout).map((f) => f.version),
      ['1.2.0', '1.1.0'],
    );
    const [campaign] = await i.ctx.otaStores.ota.listCampaigns(['completed']);
    assert.ok(campaign);
    const status = ndjson((await vigil(['ota', 'status', campaign.id, '--json'])).stdout);
    assert.deepEqual(
      status.slice(1).map((d) => d.state),
      ['succeeded', 'succeeded', 'succeeded'],
    );
  });
});
