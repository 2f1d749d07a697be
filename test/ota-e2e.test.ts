/**
 * Signed firmware and OTA campaigns end to end (docs/ota.md): real mTLS on loopback for MQTT and
 * for the firmware download, simulated devices that verify size, hash and signature themselves,
 * keep A/B slots, refuse rollbacks and self-test after reboot.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { publicKeyText, signManifest } from '../src/ota/firmware-manifest.ts';
import type { CampaignRecord } from '../src/ota/ota-store.ts';
import { otaOf } from '../src/server/ota-wiring.ts';
import { SimDevice } from '../src/sim/sim-device.ts';
import { SELF_TEST_FAIL_MARKER } from '../src/sim/sim-firmware.ts';
import { type Instance, startInstance, waitFor } from './helpers/instance.ts';
import { uploadSigned } from './helpers/signed-firmware.ts';

const PROFILE = 'temperature-probe';
const signer = generateKeyPairSync('ed25519');
const rogue = generateKeyPairSync('ed25519');
let inst: Instance;
const devices: SimDevice[] = [];

const ota = () => otaOf(inst.server);

function image(bytes = 48 * 1024, marker = ''): Buffer {
  return Buffer.concat([Buffer.from(`VIGIL-SIM-IMAGE ${marker}\n`), randomBytes(bytes)]);
}

const upload = (version: string, img = image(), minVersion?: string) =>
  uploadSigned(inst, signer.privateKey, img, version, {
    profile: PROFILE,
    ...(minVersion ? { minVersion } : {}),
  });

async function fleet(prefix: string, n: number): Promise<SimDevice[]> {
  const out: SimDevice[] = [];
  for (let i = 0; i < n; i++) {
    const d = new SimDevice(await inst.addDevice(`${prefix}-${String(i).padStart(4, '0')}`, PROFILE), {
      brokerUrl: inst.url,
    });
    devices.push(d);
    out.push(d);
  }
  await Promise.all(out.map((d) => d.connect()));
  return out;
}

async function finished(id: string, states: CampaignRecord['state'][], timeoutMs = 60_000) {
  return waitFor(
    `campaign ${states.join('|')}`,
    async () => {
      const c = await inst.ctx.otaStores.ota.getCampaign(id);
      return c && states.includes(c.state) ? c : undefined;
    },
    timeoutMs,
  );
}

const rows = (id: string) => inst.ctx.otaStores.ota.campaignDevices(id);

before(async () => {
  inst = await startInstance({
    ota: { trustedKeys: [publicKeyText(signer.publicKey)], tickMs: 200 },
    commands: { resendAfterSeconds: 2 },
  });
});
after(async () => {
  for (const d of devices) await d.close();
  await inst.destroy();
});

describe('signed firmware upload', () => {
  it('refuses an image with a bad signature, an untrusted key or a mismatching image, and audits it', async () => {
    const img = image(1024);
    const good = signManifest({
      image: img,
      version: '9.0.0',
      profile: PROFILE,
      privateKey: signer.privateKey,
    });
    const forged = { ...good, signature: Buffer.from(randomBytes(64)).toString('base64url') };
    const untrusted = signManifest({
      image: img,
      version: '9.0.0',
      profile: PROFILE,
      privateKey: rogue.privateKey,
    });
    const otherImage = Buffer.from(img);
    otherImage[100] = (otherImage[100] ?? 0) ^ 1;
    for (const [bytes, m] of [
      [img, forged],
      [img, untrusted],
      [otherImage, good],
      [img, { ...good, version: '9.0.1' }],
    ] as const) {
      await assert.rejects(
        ota().firmware.add(bytes, JSON.stringify(m), 'test'),
        (e: Error & { code?: string }) => {
          assert.equal(e.code, 'VIGIL_ERR_FIRMWARE_INVALID');
          return true;
        },
      );
    }
    assert.equal(await inst.ctx.otaStores.ota.getFirmware('9.0.0'), null);
    const audit = await inst.ctx.store.queryAudit({ action: 'firmware.refused' });
    assert.deepEqual(audit.map((a) => a.detail.reason).sort(), [
      'hash',
      'signature',
      'signature',
      'unknown_key',
    ]);
  });
});

describe('OTA campaigns', () => {
  let main: SimDevice[];
  let figures = { devices: 0, waves: 0, ms: 0, bytes: 0 };

  it('updates 20 devices in staged waves; each confirms the new version after its reboot', async () => {
    main = await fleet('ota-main', 20);
    const img = image(64 * 1024);
    await upload('1.1.0', img);
    const t0 = Date.now();
    const c = await ota().campaigns.start({
      version: '1.1.0',
      profile: PROFILE,
      wavePct: 25,
      maxFailuresPct: 5,
      actor: 'test',
    });
    // Waves: only the first 5 devices have a command at first.
    const first = await rows(c.id);
    assert.equal(first.filter((r) => r.state === 'sent').length, 5);
    assert.equal(first.filter((r) => r.state === 'pending').length, 15);
    const done = await finished(c.id, ['completed', 'paused'], 120_000);
    figures = { devices: 20, waves: done.wavesReleased, ms: Date.now() - t0, bytes: 0 };
    assert.equal(done.state, 'completed');
    assert.equal(done.wavesReleased, 4);
    const r = await rows(c.id);
    assert.deepEqual([...new Set(r.map((x) => x.state))], ['succeeded']);
    for (const d of main) assert.equal(d.firmware.version, '1.1.0');
    // What each device reports running after its reboot is what the server shows.
    await waitFor('every device reports 1.1.0 running', async () => {
      const fw = await inst.ctx.otaStores.reports.firmware(main.map((d) => d.id));
      return fw.length === 20 && fw.every((f) => f.version === '1.1.0');
    });
    figures.bytes = main.reduce((s, d) => s + d.firmware.stats.bytes, 0);
    assert.equal(figures.bytes, 20 * img.length);
    const actions = (await inst.ctx.store.queryAudit({ limit: 10_000 }))
      .filter((a) => a.object === c.id)
      .map((a) => a.action);
    assert.ok(actions.includes('ota.start') && actions.includes('ota.complete'));
    assert.equal(actions.filter((a) => a === 'ota.device_succeeded').length, 20);
    process.stdout.write(
      `# OTA figures: ${figures.devices} devices, ${figures.waves} waves, ${img.length} B image, ${figures.ms} ms to completion, ${figures.bytes} B downloaded\n`,
    );
  });

  it('refuses a downgrade below the security counter (anti-rollback)', async () => {
    await upload('1.0.5');
    const d = main[0] as SimDevice;
    const c = await ota().campaigns.start({
      version: '1.0.5',
      devices: [d.id],
      maxFailuresPct: 100,
      actor: 'test',
    });
    await waitFor('refused', async () => (await rows(c.id))[0]?.state === 'failed', 30_000);
    assert.equal((await rows(c.id))[0]?.error, 'rollback');
    assert.equal(d.firmware.version, '1.1.0');
  });

  it('a tampered stored image is refused by every device and the campaign pauses', async () => {
    const group = await fleet('ota-tamper', 4);
    const rec = await upload('1.2.0');
    const path = join(inst.ctx.paths.firmwareDir, `${rec.manifest.sha256}.bin`);
    const blob = readFileSync(path);
    blob[blob.length - 10] = (blob[blob.length - 10] ?? 0) ^ 0xff;
    writeFileSync(path, blob);
    const c = await ota().campaigns.start({
      version: '1.2.0',
      devices: group.map((d) => d.id),
      wavePct: 50,
      maxFailuresPct: 5,
      actor: 'test',
    });
    const paused = await finished(c.id, ['paused', 'completed']);
    assert.equal(paused.state, 'paused');
    assert.equal(paused.reason, 'failure threshold');
    // The first refusal already pauses it; the other device of the wave reports its own refusal
    // when its download is done (the command was sent before the pause).
    const r = await waitFor(
      'the released wave reported',
      async () => {
        const now = await rows(c.id);
        return now.filter((x) => x.wave === 0).every((x) => x.state === 'failed') ? now : undefined;
      },
      30_000,
    );
    // The released wave downloaded and refused it; the second wave was never sent anything.
    assert.deepEqual(
      r.map((x) => [x.state, x.error]),
      [
        ['failed', 'hash'],
        ['failed', 'hash'],
        ['pending', null],
        ['pending', null],
      ],
    );
    for (const d of group) assert.equal(d.firmware.version, '1.0.0');
    // Resumed, the next wave gets it too, refuses it too, and the campaign pauses again.
    await ota().campaigns.resume(c.id, 'test');
    await waitFor(
      'second wave refused',
      async () => (await rows(c.id)).every((x) => x.state === 'failed'),
      30_000,
    );
    assert.deepEqual([...new Set((await rows(c.id)).map((x) => x.error))], ['hash']);
    assert.equal((await finished(c.id, ['paused'])).reason, 'failure threshold');
    for (const d of group) assert.equal(d.firmware.version, '1.0.0');
    await ota().campaigns.abort(c.id, 'test');
  });

  it('resumes an interrupted download with a Range request', async () => {
    const [d] = await fleet('ota-resume', 1);
    const img = image(96 * 1024);
    await upload('1.3.0', img);
    (d as SimDevice).firmware.dropAfterBytes = 20_000;
    const c = await ota().campaigns.start({
      version: '1.3.0',
      devices: [(d as SimDevice).id],
      actor: 'test',
    });
    assert.equal((await finished(c.id, ['completed', 'paused'])).state, 'completed');
    const s = (d as SimDevice).firmware.stats;
    assert.ok(s.rangeRequests >= 1);
    assert.equal(s.bytes, img.length, 'nothing downloaded twice');
    assert.equal((d as SimDevice).firmware.version, '1.3.0');
  });

  it('rolls back an image that fails its self-test and reports it', async () => {
    const [d] = await fleet('ota-selftest', 1);
    await upload('1.4.0', image(8 * 1024, SELF_TEST_FAIL_MARKER));
    const c = await ota().campaigns.start({
      version: '1.4.0',
      devices: [(d as SimDevice).id],
      actor: 'test',
    });
    await waitFor('rolled back', async () => (await rows(c.id))[0]?.state === 'failed', 30_000);
    assert.equal((await rows(c.id))[0]?.error, 'self_test');
    assert.equal((d as SimDevice).firmware.version, '1.0.0');
    const [fw] = await inst.ctx.otaStores.reports.firmware([(d as SimDevice).id]);
    assert.equal(fw?.version, '1.0.0', 'the server shows the version it rolled back to');
    const ev = (await inst.ctx.store.queryAudit({ action: 'ota.device_failed' })).filter(
      (a) => a.object === c.id,
    );
    assert.equal(ev[0]?.detail.error, 'self_test');
  });

  it('serves images only to a device of the right profile presenting its client certificate', async () => {
    const get = (o: { cert?: string; key?: string }) =>
      new Promise<number>((resolve, reject) => {
        const req = request(
          `https://127.0.0.1:${inst.server.otaPort}/firmware/1.1.0`,
          {
            ca: (main[1] as SimDevice).certificatePem && readFileSync(`${inst.dataDir}/pki/ca.crt`, 'utf8'),
            ...o,
          },
          (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          },
        );
        req.on('error', reject);
        req.end();
      });
    await assert.rejects(get({}), 'no client certificate: the handshake fails');
    const other = await inst.addDevice('ota-truck-0001', 'vaccine-transport');
    assert.equal(await get({ cert: other.cert, key: other.key }), 403);
    const mine = await inst.addDevice('ota-probe-x001', PROFILE);
    assert.equal(await get({ cert: mine.cert, key: mine.key }), 200);
  });
});
