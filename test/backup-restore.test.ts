/**
 * Backups end to end, through the CLI as an operator runs it: a node with devices, readings, a
 * user with TOTP, an alarm acknowledged with an electronic signature, a shipment in transit (its
 * delivery token kept only as a keyed hash), an uploaded firmware image and the audit chain is
 * backed up while 12 simulated
 * devices publish, then restored with the backup identity alone onto a new master key. The
 * restored node serves the same data: the sorted readings export is byte-identical, the user signs
 * in with the same password and TOTP, the delivery token still matches, `vigil audit verify`
 * passes, and a device reconnects with its existing certificate.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { publicKeyText } from '../src/ota/firmware-manifest.ts';
import { otaOf } from '../src/server/ota-wiring.ts';
import type { SimFleet } from '../src/sim/runner.ts';
import { startSimFleet } from '../src/sim/runner.ts';
import { startApiInstance } from './helpers/api-instance.ts';
import { awayFromStepEdge, Browser, type EnrolledUser, enrolledUser, totp } from './helpers/browser.ts';
import {
  closeClient,
  connectDevice,
  type Instance,
  makeEnvelope,
  send,
  startInstance,
  truckSample,
  waitFor,
} from './helpers/instance.ts';
import { exportReadingsSorted } from './helpers/readings-export.ts';
import { runVigil } from './helpers/run-vigil.ts';
import { uploadSigned } from './helpers/signed-firmware.ts';

const MIN = 60_000;
const HOUR = 60 * MIN;
const NEW_KEY = 'b'.repeat(64);
const TOKEN = 'tok-backup-roundtrip-7Q2x';
const signer = generateKeyPairSync('ed25519');
const IMAGE = randomBytes(20_000);

let inst: Instance;
let restored: Instance | undefined;
let quality: EnrolledUser;
let work: string;
let identity: string;
let shipmentId: string;
let alarmId: string;
let duringPublishing: string;
let quiescent: string;
let before0: { lines: string[]; sha256: string };

const vigil = (args: string[], o: { masterKeyHex?: string; dataDir?: string } = {}) =>
  runVigil(args, {
    dataDir: o.dataDir ?? inst.dataDir,
    timeoutMs: 120_000,
    ...(o.masterKeyHex ? { env: { VIGIL_MASTER_KEY: o.masterKeyHex } } : {}),
  });

before(async () => {
  work = mkdtempSync(join(tmpdir(), 'vigil-backup-e2e-'));
  identity = join(work, 'backup-identity.txt');
  ({ inst } = await startApiInstance({ ota: { trustedKeys: [publicKeyText(signer.publicKey)] } }));
  quality = await enrolledUser(inst, 'quill', 'quality');
});

after(async () => {
  await restored?.destroy();
  await inst?.destroy();
  rmSync(work, { recursive: true, force: true });
});

describe('backup and restore', () => {
  it('backup init writes the identity 0600, warns in plain words, and keeps only the recipient in config', async () => {
    const r = await vigil(['backup', 'init', '--identity-out', identity]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /MOVE THIS FILE OFFLINE/);
    assert.match(r.stdout, /no backup of this installation can ever be restored/);
    assert.equal(statSync(identity).mode & 0o777, 0o600);
    const config = JSON.parse(readFileSync(join(inst.dataDir, 'config.json'), 'utf8'));
    assert.equal(config.backup.recipients.length, 1);
    assert.match(config.backup.recipients[0], /^age1/);
    assert.ok(!JSON.stringify(config).includes('AGE-SECRET-KEY'), 'the identity never reaches the config');
  });

  it('takes a backup while 12 simulated devices publish, with alarms, signatures and a shipment in it', async () => {
    // An alarm acknowledged with an electronic signature.
    const t0 = Math.floor(Date.now() / MIN) * MIN - 12 * HOUR;
    const truck = await inst.addDevice('truck-0700');
    const c = await connectDevice(inst.url, truck);
    const samples = Array.from({ length: 72 }, (_, i) => truckSample(t0 + i * 10 * MIN, 9.1));
    await send(c, 'truck-0700', makeEnvelope(truck, 'telemetry', { samples }, { seq: 1 }));
    const heat = await waitFor('heat alarm', async () => {
      await inst.server.alarmService.idle();
      return (await inst.server.alarms.list({ subject: 'truck-0700', rule: 'heat' }))[0];
    });
    alarmId = heat.id;
    await awayFromStepEdge();
    const ack = await quality.browser.post(`/api/v1/alarms/${encodeURIComponent(alarmId)}/ack`, {
      reason: 'Load quarantined pending stability review.',
      meaning: 'impact assessed',
      password: quality.password,
      totp: totp(quality.secret, 0),
    });
    assert.equal(ack.status, 200, ack.text);
    // A shipment in transit: the token exists only as a keyed hash under the master key's hash root.
    const ship = await inst.addDevice('truck-0701');
    const created = await vigil([
      'shipment',
      'create',
      '--device',
      'truck-0701',
      '--profile',
      'refrigerated',
      '--json',
    ]);
    assert.equal(created.code, 0, created.stderr);
    shipmentId = JSON.parse(created.stdout).id;
    const sc = await connectDevice(inst.url, ship);
    await send(
      sc,
      'truck-0701',
      makeEnvelope(
        ship,
        'events',
        { type: 'dispatch', ts: Date.now() - MIN, batch: 'LOT-BK-1', token: TOKEN, shipment: shipmentId },
        { seq: 1 },
      ),
      'events',
    );
    await waitFor(
      'in transit',
      async () => (await inst.ctx.shipmentStore.get(shipmentId))?.state === 'in_transit',
    );
    await closeClient(sc);
    await closeClient(c);
    // An uploaded firmware image (docs/ota.md): its record is in the database, the image beside it.
    await uploadSigned(inst, signer.privateKey, IMAGE, '3.1.4');

    const fleet: SimFleet = await startSimFleet(inst.ctx, {
      profile: 'temperature-probe',
      devices: 12,
      rate: 4,
      brokerUrl: inst.url,
      seed: 'backup-e2e',
    });
    try {
      await waitFor(
        'fleet publishing',
        async () => (await inst.ctx.store.countReadings()) > 72 + 12 * 8,
        30_000,
      );
      const before1 = await inst.ctx.store.countReadings();
      // --out: outside the backup directory, so retention (newest per hour) leaves it alone.
      const r = await vigil(['backup', 'create', '--out', join(work, 'elsewhere'), '--json']);
      assert.equal(r.code, 0, r.stderr);
      const out = JSON.parse(r.stdout);
      duringPublishing = out.file;
      assert.equal(out.file.startsWith(join(work, 'elsewhere')), true);
      assert.match(out.file, /vigil-backup-\d{8}T\d{6}\.\d{3}Z\.age$/);
      await waitFor(
        'more readings after the backup',
        async () => (await inst.ctx.store.countReadings()) > out.rowCounts.readings + 24,
        30_000,
      );
      assert.ok(out.rowCounts.readings >= before1, 'the snapshot holds what was stored before it started');
    } finally {
      await fleet.stop({ drainMs: 20_000 });
    }
    assert.equal(fleet.totals().buffered, 0, 'every simulated reading acknowledged');
    // A signed checkpoint of the audit chain goes into the backup too.
    const cp = await vigil(['audit', 'checkpoint']);
    assert.equal(cp.code, 0, cp.stderr);
    const q = await vigil(['backup', 'create', '--json']);
    assert.equal(q.code, 0, q.stderr);
    quiescent = JSON.parse(q.stdout).file;
    before0 = await exportReadingsSorted(inst.ctx.store);
    const list = await vigil(['backup', 'list', '--json']);
    assert.deepEqual(
      list.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l).path),
      [quiescent],
    );
    // Nothing in clear next to the backups: no staging directory, no partial file, no plaintext.
    assert.deepEqual(
      readdirSync(join(inst.dataDir, 'backups')).filter((n) => !n.endsWith('.age')),
      [],
    );
    assert.ok(!readFileSync(quiescent).includes(Buffer.from('SQLite format 3')));
  });

  it('verify checks signature, hashes, integrity and audit chain and prints the counts', async () => {
    const r = await vigil(['backup', 'verify', quiescent, '--identity', identity, '--json']);
    assert.equal(r.code, 0, r.stderr);
    const v = JSON.parse(r.stdout);
    assert.equal(v.ok, true);
    assert.equal(v.signingKeyTrusted, true);
    assert.equal(v.rowCounts.readings, before0.lines.length);
    assert.equal(v.rowCounts.users, 2);
    assert.equal(v.rowCounts.shipments, 1);
    assert.ok(v.auditEntries > 10);
    const key = await vigil(['report', 'key']);
    assert.ok(key.stdout.includes(v.signingKey), 'vigil report key prints the key that signs backups');
  });

  it('restores the backup taken while publishing: consistent, and every restored reading is an original one', async () => {
    const dir = join(work, 'restored-during');
    const r = await vigil(['backup', 'restore', duringPublishing, '--identity', identity, '--json'], {
      dataDir: dir,
      masterKeyHex: NEW_KEY,
    });
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.equal(out.auditOk, true);
    const node = await startInstance({}, dir, { webRoot: '/nonexistent-vigil-web' }, NEW_KEY);
    try {
      const got = await exportReadingsSorted(node.ctx.store);
      assert.equal(got.lines.length, out.rowCounts.readings);
      const original = new Set(before0.lines);
      assert.ok(
        got.lines.every((l) => original.has(l)),
        'a restored reading differs from the original',
      );
      // Per device the restored seqs are exactly the original's up to the snapshot: no holes.
      const seqs = new Map<string, number[]>();
      for (const l of got.lines) {
        const x = JSON.parse(l) as { deviceId: string; seq: number };
        seqs.set(x.deviceId, [...(seqs.get(x.deviceId) ?? []), x.seq]);
      }
      for (const [dev, s] of seqs) {
        const all = before0.lines
          .map((l) => JSON.parse(l) as { deviceId: string; seq: number })
          .filter((x) => x.deviceId === dev)
          .map((x) => x.seq);
        assert.deepEqual(
          [...new Set(s)],
          [...new Set(all)].slice(0, new Set(s).size),
          `${dev}: restored seqs are a prefix`,
        );
      }
    } finally {
      await node.destroy();
    }
  });

  it('restores onto a new master key: same readings byte for byte, same users, alarms, shipments, audit chain', async () => {
    await inst.stop();
    const dir = join(work, 'restored');
    const r = await vigil(['backup', 'restore', quiescent, '--identity', identity], {
      dataDir: dir,
      masterKeyHex: NEW_KEY,
    });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /database re-encrypted, \d+ sealed values re-sealed/);
    // The restored node verifies the original HMAC chain (its key derives from the kept hash
    // root) and the checkpoint the original installation signed.
    const audit = await vigil(['audit', 'verify', '--json'], { dataDir: dir, masterKeyHex: NEW_KEY });
    assert.equal(audit.code, 0, audit.stdout + audit.stderr);
    const verified = JSON.parse(audit.stdout);
    assert.equal(verified.ok, true);
    assert.ok(verified.checkpoints.length >= 1, audit.stdout);
    assert.ok(
      verified.checkpoints.every((c: { ok: boolean }) => c.ok),
      audit.stdout,
    );
    // The old master key opens nothing of the restored node.
    const old = await vigil(['device', 'list'], { dataDir: dir });
    assert.notEqual(old.code, 0);

    restored = await startInstance({}, dir, { webRoot: '/nonexistent-vigil-web' }, NEW_KEY);
    const after0 = await exportReadingsSorted(restored.ctx.store);
    assert.equal(after0.sha256, before0.sha256, 'sorted readings export differs');
    assert.equal(after0.lines.length, before0.lines.length);

    // The firmware image came along: campaigns can still serve it.
    const fw = await otaOf(restored.server).firmware.image('3.1.4');
    assert.ok(fw, 'firmware 3.1.4 restored');
    const bytes: Buffer[] = [];
    for await (const b of fw.read(0, fw.size - 1)) bytes.push(b);
    assert.ok(Buffer.concat(bytes).equals(IMAGE));
    const path = join(restored.ctx.paths.firmwareDir, `${fw.record.manifest.sha256}.bin`);
    assert.equal(statSync(path).mode & 0o777, 0o600);

    const alarm = await restored.server.alarms.get(alarmId);
    assert.equal(alarm?.state, 'acknowledged');
    assert.deepEqual(
      [alarm?.ack?.name, alarm?.ack?.role, alarm?.ack?.meaning],
      ['quill', 'quality', 'impact assessed'],
    );
  });

  it('the user signs in on the restored node with the same password and TOTP', async () => {
    const node = restored as Instance;
    const b = new Browser(node);
    const login = await b.post('/api/v1/auth/login', { username: 'quill', password: quality.password });
    assert.equal(login.status, 200, login.text);
    assert.equal((login.json as { state: string }).state, 'mfa_required');
    await awayFromStepEdge();
    const mfa = await b.post('/api/v1/auth/mfa', { code: totp(quality.secret, 1) });
    assert.equal(mfa.status, 200, mfa.text);
    const me = await b.call('/api/v1/auth/me');
    assert.equal((me.json as { mfa: boolean }).mfa, true);
  });

  it('the delivery token still matches (the hash root travelled) and devices reconnect with their certificates', async () => {
    const node = restored as Instance;
    const d = await vigil(['shipment', 'deliver', shipmentId, '--token', TOKEN], {
      dataDir: node.dataDir,
      masterKeyHex: NEW_KEY,
    });
    assert.equal(d.code, 0, d.stdout + d.stderr);
    const bundle = JSON.parse(
      readFileSync(join(inst.dataDir, 'bundles', 'truck-0700', 'device.json'), 'utf8'),
    );
    assert.equal(bundle.id, 'truck-0700');
    const { readDeviceBundle } = await import('../src/sim/device-bundle.ts');
    const b = readDeviceBundle(join(inst.dataDir, 'bundles', 'truck-0700'));
    const c = await connectDevice(node.url, b);
    await send(
      c,
      'truck-0700',
      makeEnvelope(b, 'telemetry', { samples: [truckSample(Date.now(), 5)] }, { seq: 2 }),
    );
    await closeClient(c);
    assert.equal(await node.ctx.store.countReadings('truck-0700'), 73);
    assert.ok(existsSync(join(node.dataDir, 'hash-root.sealed')));
  });
});
