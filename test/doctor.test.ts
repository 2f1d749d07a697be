/**
 * `vigil doctor`: each check against a setup broken on purpose (and the same check passing on a
 * sound one), the TLS check against a real weak TLS server and against a real running Vigil, and
 * the command's exit status and --json lines.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createServer, type Server } from 'node:tls';
import { backupFileName } from '../src/backup/backup-files.ts';
import { updateBackupState } from '../src/backup/backup-state.ts';
import { openContext, type VigilContext } from '../src/data-dir/context.ts';
import { accountsCheck } from '../src/doctor/checks/accounts.ts';
import { backupCheck } from '../src/doctor/checks/backup.ts';
import { certificatesCheck } from '../src/doctor/checks/certificates.ts';
import { clockCheck } from '../src/doctor/checks/clock.ts';
import { diskCheck } from '../src/doctor/checks/disk.ts';
import { fileModesCheck } from '../src/doctor/checks/file-modes.ts';
import { masterKeyCheck } from '../src/doctor/checks/master-key.ts';
import { powerCheck } from '../src/doctor/checks/power.ts';
import { settingsCheck } from '../src/doctor/checks/settings.ts';
import { sinksCheck } from '../src/doctor/checks/sinks.ts';
import { tlsCheck } from '../src/doctor/checks/tls.ts';
import {
  type DoctorCheck,
  type DoctorContext,
  type Exec,
  type Finding,
  SEVERITY_ORDER,
} from '../src/doctor/finding.ts';
import { doctorContext, runningTlsTargets } from '../src/doctor/run-doctor.ts';
import { MASTER_KEY_CREDENTIAL } from '../src/keys/master-key-source.ts';
import { makeTestPki } from '../src/pki/test-pki.fixture.ts';
import { sinkAlarmRule } from '../src/sinks/sink-alarms.ts';
import { MASTER_KEY_HEX, startInstance } from './helpers/instance.ts';
import { runVigil } from './helpers/run-vigil.ts';

const root = mkdtempSync(join(tmpdir(), 'vigil-doctor-'));
const dataDir = join(root, 'data');
let ctx: VigilContext;
const noExec: Exec = async () => null;

before(async () => {
  ctx = await openContext({ dataDir, env: {}, logLevel: 'silent', create: true, createAdmin: true });
});
after(async () => {
  await ctx?.close();
  rmSync(root, { recursive: true, force: true });
});

/** The doctor's context over the test data directory, with parts replaced. */
function dctx(over: Partial<DoctorContext> = {}): DoctorContext {
  return { ...doctorContext(ctx, { env: {}, exec: noExec, tlsTargets: [] }), ...over };
}

async function check(c: DoctorCheck, over: Partial<DoctorContext> = {}): Promise<Finding[]> {
  return c.run(dctx(over));
}

const worst = (fs: Finding[]) =>
  fs.map((f) => f.severity).sort((a, b) => SEVERITY_ORDER.indexOf(a) - SEVERITY_ORDER.indexOf(b))[0];
const highs = (fs: Finding[]) => fs.filter((f) => f.severity === 'high');

describe('vigil doctor checks', () => {
  it('file-modes: a master key and data directory others can read are high', async () => {
    assert.equal(worst(await check(fileModesCheck)), 'ok');
    chmodSync(ctx.paths.masterKey, 0o644);
    chmodSync(dataDir, 0o755);
    try {
      const found = highs(await check(fileModesCheck));
      assert.ok(
        found.some(
          (f) => f.message.includes('master.key') && /0644/.test(f.message) && /chmod 600/.test(f.fix ?? ''),
        ),
      );
      assert.ok(found.some((f) => f.message.includes('data directory') && /chmod 700/.test(f.fix ?? '')));
    } finally {
      chmodSync(ctx.paths.masterKey, 0o600);
      chmodSync(dataDir, 0o700);
    }
  });

  it('master-key: names the source; the file is medium, the environment low, the credential ok', async () => {
    assert.equal((await check(masterKeyCheck))[0]?.severity, 'medium');
    assert.equal(
      (await check(masterKeyCheck, { env: { VIGIL_MASTER_KEY: MASTER_KEY_HEX } }))[0]?.severity,
      'low',
    );
    const creds = join(root, 'creds');
    mkdirSync(creds, { recursive: true });
    writeFileSync(join(creds, MASTER_KEY_CREDENTIAL), MASTER_KEY_HEX);
    const [f] = await check(masterKeyCheck, { env: { CREDENTIALS_DIRECTORY: creds } });
    assert.equal(f?.severity, 'ok');
    assert.match(f?.message ?? '', /systemd credential/);
  });

  describe('tls', () => {
    let weak: Server;
    let port = 0;
    before(async () => {
      const pki = await makeTestPki();
      // A listener as careless as they come: TLS 1.0 to 1.2, a CBC suite, no TLS 1.3.
      weak = createServer({
        cert: pki.server.certPem,
        key: pki.server.keyPkcs8Pem,
        minVersion: 'TLSv1',
        maxVersion: 'TLSv1.2',
        ciphers: 'ECDHE-ECDSA-AES128-SHA:@SECLEVEL=0',
      });
      weak.on('secureConnection', (s) => s.end());
      await new Promise<void>((r) => weak.listen(0, '127.0.0.1', r));
      port = (weak.address() as { port: number }).port;
    });
    after(() => new Promise<void>((r) => weak.close(() => r())));

    it('finds old protocols, a weak TLS 1.2 suite and no TLS 1.3 on a weak listener', async () => {
      const found = await check(tlsCheck, { tlsTargets: [{ name: 'https', host: '127.0.0.1', port }] });
      assert.ok(
        found.some((f) => f.severity === 'high' && /accepts TLSv1(\.1)?$/.test(f.message)),
        JSON.stringify(found),
      );
      assert.ok(found.some((f) => f.severity === 'high' && /ECDHE-ECDSA-AES128-SHA/.test(f.message)));
      assert.ok(found.some((f) => f.severity === 'medium' && /not TLS 1\.3/.test(f.message)));
    });

    it('passes a real running Vigil on all three listeners', async () => {
      const vigil = await startInstance();
      try {
        const ports: Record<string, number> = {
          https: vigil.server.httpPort,
          mqtts: vigil.server.mqttPort,
          firmware: vigil.server.otaPort ?? 0,
        };
        const targets = runningTlsTargets(vigil.ctx).map((t) => ({ ...t, port: ports[t.name] ?? 0 }));
        assert.deepEqual(
          targets.map((t) => t.name),
          ['https', 'mqtts', 'firmware'],
          'the lock names a live vigil start',
        );
        const found = await tlsCheck.run({ ...dctx(), caPem: vigil.ctx.ca.certPem, tlsTargets: targets });
        assert.deepEqual(
          found.map((f) => f.severity),
          ['ok', 'ok', 'ok'],
          JSON.stringify(found),
        );
      } finally {
        await vigil.destroy();
      }
    });
  });

  it('certificates: a server certificate expiring soon, an expired CRL, a stale CRL', async () => {
    assert.equal(worst(await check(certificatesCheck)), 'ok');
    const in380Days = Date.now() + 380 * 86_400_000;
    const found = await check(certificatesCheck, { clock: () => in380Days });
    assert.ok(
      found.some((f) => f.severity === 'medium' && /server certificate expires in \d+ days/.test(f.message)),
    );
    assert.ok(found.some((f) => f.severity === 'high' && /CRL expired/.test(f.message)));
    const stale = await check(certificatesCheck, { clock: () => Date.now() + 13 * 3_600_000 });
    assert.ok(stale.some((f) => f.severity === 'medium' && /CRL last signed 13 h ago/.test(f.message)));
  });

  it('backup: not configured, too old, a failed drill are high; never drilled is medium', async () => {
    assert.match(highs(await check(backupCheck))[0]?.message ?? '', /not configured/);
    const configured = {
      config: {
        ...ctx.config,
        backup: { ...ctx.config.backup, recipients: [`age1${'q'.repeat(58)}`], intervalMinutes: 60 },
      },
    };
    const dir = join(dataDir, 'backups');
    mkdirSync(dir, { recursive: true });
    const old = join(dir, backupFileName(Date.now() - 5 * 3_600_000));
    writeFileSync(old, 'x');
    let found = await check(backupCheck, configured);
    assert.ok(found.some((f) => f.severity === 'high' && /newest backup is 5 h old/.test(f.message)));
    assert.ok(found.some((f) => f.severity === 'medium' && /no restore drill/.test(f.message)));
    writeFileSync(join(dir, backupFileName(Date.now())), 'x');
    const drill = (ok: boolean) => ({
      lastDrill: { at: new Date().toISOString(), file: old, ok, rpoMs: null, rtoMs: null },
    });
    updateBackupState(ctx.paths.backupState, drill(false));
    found = await check(backupCheck, configured);
    assert.deepEqual(
      found.map((f) => [f.severity, /drill .* failed/.test(f.message)]),
      [['high', true]],
    );
    updateBackupState(ctx.paths.backupState, drill(true));
    assert.equal(worst(await check(backupCheck, configured)), 'ok');
    rmSync(ctx.paths.backupState);
  });

  it('power: no UPS is low, power.nut set is ok', async () => {
    assert.equal(worst(await check(powerCheck)), 'low');
    const nut = { host: '127.0.0.1', port: 3493, ups: 'ups' };
    const config = { ...ctx.config, power: { ...ctx.config.power, nut } };
    assert.equal(worst(await check(powerCheck, { config })), 'ok');
  });

  it('disk: fewer days left than storage.minFreeDays is high', async () => {
    assert.equal(worst(await check(diskCheck)), 'ok');
    // More days than any volume lasts (beyond the schema's limit: the check itself is tested).
    const config = { ...ctx.config, storage: { ...ctx.config.storage, minFreeDays: 1e12 } };
    const found = await check(diskCheck, { config });
    assert.equal(found[0]?.severity, 'high');
    assert.match(found[0]?.message ?? '', /GB free, .* full in \d+ days/);
  });

  it('clock: not synchronised (timedatectl) or far off (chrony) is high; unknown is low', async () => {
    const answers =
      (map: Record<string, string>): Exec =>
      async (cmd) =>
        map[cmd] ?? null;
    assert.equal(worst(await check(clockCheck)), 'low');
    assert.equal(worst(await check(clockCheck, { exec: answers({ timedatectl: 'no\n' }) })), 'high');
    assert.equal(worst(await check(clockCheck, { exec: answers({ timedatectl: 'yes\n' }) })), 'ok');
    const chrony = (s: string) =>
      `Reference ID    : C0A80001\nSystem time     : ${s} seconds fast of NTP time\nLeap status     : Normal\n`;
    const off = await check(clockCheck, { exec: answers({ chronyc: chrony('120.500') }) });
    assert.equal(off[0]?.severity, 'high');
    assert.match(off[0]?.message ?? '', /120\.5 s/);
    assert.equal(worst(await check(clockCheck, { exec: answers({ chronyc: chrony('0.000123') }) })), 'ok');
  });

  it('accounts: an admin without TOTP and an API token without expiry are high', async () => {
    const found = highs(await check(accountsCheck));
    assert.ok(found.some((f) => /admin admin has no second factor/.test(f.message)));
    await ctx.accountStore.addApiToken({
      id: randomBytes(8).toString('hex'),
      secretHash: 'x'.repeat(64),
      label: 'forever',
      role: 'viewer',
      createdBy: 'test',
      owner: 'admin',
      createdAt: Date.now(),
      expiresAt: Date.now() + 50 * 365 * 86_400_000,
      revokedAt: null,
      lastUsedAt: null,
    });
    assert.ok(
      highs(await check(accountsCheck)).some((f) =>
        /forever, viewer\) has no expiry within its role's maximum lifetime/.test(f.message),
      ),
    );
  });

  it('sinks: an open sink-failing alarm is high', async () => {
    assert.equal(worst(await check(sinksCheck)), 'info');
    const outbox = ctx.sinkOutbox;
    assert.ok(outbox, 'a SQLite data directory has the sink outbox');
    await outbox.setTargets([{ name: 'influxdb', capacity: 1000, devices: null }]);
    assert.equal(worst(await check(sinksCheck)), 'ok');
    await ctx.alarmStore.open(
      {
        rule: sinkAlarmRule('influxdb'),
        subject: 'vigil',
        startedAt: Date.now() - 3_600_000,
        raisedAt: Date.now(),
        severity: 'warning',
        message: 'sink influxdb failing for 60 min',
      },
      Date.now(),
    );
    const found = await check(sinksCheck);
    assert.ok(found.some((f) => f.severity === 'high' && /sink influxdb failing/.test(f.message)));
    await outbox.setTargets([]);
  });

  it('settings: debug logging is medium, storage.allowInsecure high', async () => {
    assert.equal(worst(await check(settingsCheck)), 'ok');
    const debug = { ...ctx.config, log: { ...ctx.config.log, level: 'debug' as const } };
    assert.equal(worst(await check(settingsCheck, { config: debug })), 'medium');
    const allowInsecure = { ...ctx.config, storage: { ...ctx.config.storage, allowInsecure: true } };
    const insecure = await check(settingsCheck, { config: allowInsecure });
    assert.match(highs(insecure)[0]?.message ?? '', /allowInsecure/);
  });
});

describe('vigil doctor (command)', () => {
  it('prints one JSON object per finding with --json and exits 1 on a high finding', async () => {
    const dir = join(root, 'cli-data');
    await (
      await openContext({
        dataDir: dir,
        env: { VIGIL_MASTER_KEY: MASTER_KEY_HEX },
        logLevel: 'silent',
        create: true,
        createAdmin: true,
      })
    ).close();
    const r = await runVigil(['doctor', '--json'], { dataDir: dir });
    assert.equal(r.code, 1, r.stderr);
    const lines = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Finding);
    assert.ok(lines.length >= 11);
    for (const f of lines) assert.deepEqual(Object.keys(f), ['check', 'severity', 'message', 'fix']);
    assert.ok(lines.some((f) => f.check === 'accounts' && f.severity === 'high'));
    const text = await runVigil(['doctor'], { dataDir: dir });
    assert.match(text.stdout, /^HIGH {4}accounts {6}admin admin has no second factor/m);
    assert.match(text.stdout, /fix: /);
  });

  it('refuses a missing data directory without creating it', async () => {
    const r = await runVigil(['doctor'], { dataDir: join(root, 'nope') });
    assert.equal(r.code, 1);
    assert.match(r.stdout, /no data directory/);
  });
});
