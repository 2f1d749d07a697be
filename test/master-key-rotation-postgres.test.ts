/**
 * `vigil keys rotate-master` on PostgreSQL (storage.url), against a real PostgreSQL 15: the column
 * data key and every sealed value in the database (device secrets and TOTP seeds under their
 * column encryption, notification credentials) are re-sealed in one transaction. The process is
 * killed with SIGKILL at each named point of the rotation, one of them inside that transaction;
 * after every kill the database is wholly on the old key or wholly on the new one, and the next
 * command finishes the rotation with nothing lost. A rotation while another session is connected
 * (a running Vigil holds the old key) is refused before anything is written.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openContext, serverTlsMaterial, type VigilContext } from '../src/data-dir/context.ts';
import { MASTER_ROTATION_POINTS } from '../src/data-dir/master-rotation.ts';
import { addDevice } from '../src/devices/device-service.ts';
import {
  deviceSecretIdentity,
  MasterKey,
  parseMasterKey,
  totpSecretIdentity,
} from '../src/keys/master-key.ts';
import type { VapidKeys } from '../src/notifications/channels/push-channel.ts';
import { NotificationConfig } from '../src/notifications/notification-config.ts';
import { readDeviceBundle } from '../src/sim/device-bundle.ts';
import { ColumnCipher } from '../src/storage/adapters/postgres-cipher.ts';
import { PostgresDatabase } from '../src/storage/adapters/postgres-database.ts';
import { DATA_KEY_IDENTITY } from '../src/storage/adapters/postgres-migrations.ts';
import { postgresOrSkip } from '../src/storage/adapters/postgres-server.fixture.ts';
import { SEALED_COLUMNS } from '../src/storage/sealed-columns.ts';
import { runVigil } from './helpers/run-vigil.ts';

const pgs = await postgresOrSkip();
const server = typeof pgs === 'string' ? undefined : pgs;
if (server) after(() => server.stop());

const root = mkdtempSync(join(tmpdir(), 'vigil-mkpg-'));
after(() => rmSync(root, { recursive: true, force: true }));
const template = join(root, 'template');
const TEMPLATE_DB = 'vigil_mk_template';
const DEVICE = 'mkpg-probe-0001';
const TOTP_SEED = randomBytes(20);
let vapid: VapidKeys | undefined;
let tokenHash = '';
let n = 0;

/** The environment of an installation whose master key is in master.key. */
const fileKeyEnv = (): NodeJS.ProcessEnv => {
  const env = { ...process.env };
  delete env.VIGIL_MASTER_KEY;
  delete env.VIGIL_DATA_DIR;
  return env;
};

const writeConfig = (dir: string, db: string) => {
  assert.ok(server);
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ storage: { url: server.url(db) } }));
};

const notifyConfig = (ctx: VigilContext) =>
  new NotificationConfig({
    store: ctx.notificationStore,
    master: ctx.master,
    audit: ctx.store,
    clock: ctx.clock,
  });

/** A copy of the template: its data directory, and its database under a new name. */
async function copyOfTemplate(): Promise<{ dir: string; db: string }> {
  assert.ok(server);
  const db = `vigil_mk_${++n}`;
  await server.query(`CREATE DATABASE ${db} TEMPLATE ${TEMPLATE_DB}`);
  const dir = join(root, db);
  mkdirSync(dir, { mode: 0o700 });
  cpSync(template, dir, { recursive: true });
  writeConfig(dir, db);
  return { dir, db };
}

const vigil = (args: string[], dir: string, crashAt?: string) =>
  runVigil(args, {
    dataDir: dir,
    masterKeyFile: true,
    ...(crashAt ? { env: { VIGIL_FAULT_CRASH_AT: crashAt } } : {}),
  });

const rawKey = (dir: string, f = 'master.key') => parseMasterKey(readFileSync(join(dir, f), 'utf8'));

/** The stored data key and a device secret, straight from the tables. */
async function storedSeals(db: string): Promise<{ dataKey: Buffer; secret: Buffer; totp: Buffer }> {
  assert.ok(server);
  const [k] = await server.query<{ sealed: Buffer }>(`SELECT sealed FROM vigil_keys WHERE name = 'data'`, db);
  const [d] = await server.query<{ secret_enc: Buffer }>(
    `SELECT secret_enc FROM device_keys WHERE device_id = '${DEVICE}' AND kid = 1`,
    db,
  );
  const [u] = await server.query<{ totp_secret_enc: Buffer }>(
    `SELECT totp_secret_enc FROM users WHERE name = 'mk-totp'`,
    db,
  );
  assert.ok(k && d && u);
  return { dataKey: k.sealed, secret: d.secret_enc, totp: u.totp_secret_enc };
}

/**
 * Which of the keys the database is on: the data key and the sealed values inside their column
 * encryption must all open under the same one (never some under each, never under neither).
 */
async function dbOn(db: string, keys: Buffer[]): Promise<number[]> {
  const s = await storedSeals(db);
  const on: number[] = [];
  for (const [i, raw] of keys.entries()) {
    const m = new MasterKey(raw);
    let dataKey: Buffer;
    try {
      dataKey = m.open('data-key', s.dataKey, DATA_KEY_IDENTITY);
    } catch {
      continue;
    }
    const cipher = new ColumnCipher(dataKey);
    const secret = cipher.decrypt('device_keys.secret_enc', `${DEVICE}|1`, s.secret);
    const totp = cipher.decrypt('users.totp_secret_enc', 'mk-totp', s.totp);
    // Throws (fails the test) when the data key moved but a sealed value did not.
    m.open('device-secret', secret, deviceSecretIdentity(DEVICE, 1));
    m.open('totp-secret', totp, totpSecretIdentity('mk-totp'));
    on.push(i);
  }
  return on;
}

/** Everything sealed still opens and means the same after the rotation finished. */
async function checkIntact(dir: string, db: string, oldRaw: Buffer): Promise<void> {
  const r = await vigil(['device', 'show', DEVICE, '--json'], dir);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.ok(!existsSync(join(dir, 'master.key.next')), 'the rotation finished');
  const newRaw = rawKey(dir);
  assert.ok(!newRaw.equals(oldRaw), 'master.key is the new key');
  assert.deepEqual(await dbOn(db, [oldRaw, newRaw]), [1], 'the database is on the new key only');
  const ctx = await openContext({ dataDir: dir, env: fileKeyEnv(), logLevel: 'silent', createAdmin: false });
  try {
    const bundle = readDeviceBundle(join(dir, 'bundles', DEVICE));
    const key = await ctx.store.getDeviceKey(DEVICE, 1);
    assert.equal(
      ctx.master
        .open('device-secret', key?.secretEnc as Buffer, deviceSecretIdentity(DEVICE, 1))
        .toString('base64url'),
      bundle.info.secret,
    );
    const user = await ctx.accountStore.getUser('mk-totp');
    assert.deepEqual(
      ctx.master.open('totp-secret', user?.totpSecretEnc as Buffer, totpSecretIdentity('mk-totp')),
      TOTP_SEED,
    );
    assert.deepEqual(await notifyConfig(ctx).vapid(), vapid, 'the sealed VAPID private key still opens');
    assert.match(serverTlsMaterial(ctx).key, /BEGIN PRIVATE KEY/);
    assert.equal(ctx.master.keyedHash('delivery-token', 'K7P2QX9M'), tokenHash, 'keyed hashes still match');
    assert.equal((await ctx.store.verifyAudit()).ok, true);
  } finally {
    await ctx.close();
  }
}

describe('master key rotation on PostgreSQL', { skip: typeof pgs === 'string' ? pgs : false }, () => {
  before(async () => {
    assert.ok(server);
    await server.query(`CREATE DATABASE ${TEMPLATE_DB}`);
    mkdirSync(template, { mode: 0o700 });
    writeConfig(template, TEMPLATE_DB);
    const ctx = await openContext({ dataDir: template, env: fileKeyEnv(), logLevel: 'silent', create: true });
    try {
      await addDevice(ctx, {
        id: DEVICE,
        profile: 'temperature-probe',
        outDir: join(template, 'bundles', DEVICE),
        actor: 'test',
      });
      const at = ctx.clock();
      await ctx.accountStore.addUser({
        name: 'mk-totp',
        role: 'operator',
        status: 'active',
        passwordHash: '$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHQ$bm90LWEtcmVhbC1oYXNo',
        mustChangePassword: false,
        mustEnrolMfa: false,
        totpSecretEnc: ctx.master.seal('totp-secret', TOTP_SEED, totpSecretIdentity('mk-totp')),
        totpPendingEnc: null,
        totpPendingAt: null,
        lastTotpStep: null,
        createdAt: at,
        updatedAt: at,
        passwordChangedAt: at,
        lastLoginAt: null,
      });
      vapid = await notifyConfig(ctx).vapid();
      tokenHash = ctx.master.keyedHash('delivery-token', 'K7P2QX9M');
    } finally {
      await ctx.close();
    }
  });

  it('knows every sealed column of the PostgreSQL schema (else a rotation would leave one on the old key)', async () => {
    assert.ok(server);
    const cols = await server.query<{ t: string; c: string }>(
      `SELECT table_name AS t, column_name AS c FROM information_schema.columns
        WHERE table_schema = 'public' AND (column_name LIKE '%\\_enc' OR column_name = 'sealed')`,
      TEMPLATE_DB,
    );
    assert.ok(cols.length >= 4, JSON.stringify(cols));
    for (const { t, c } of cols) {
      if (t === 'vigil_keys') continue; // the data key itself, re-sealed first
      assert.ok(
        SEALED_COLUMNS.some((s) => s.table === t && s.column === c),
        `${t}.${c} is not re-sealed by a rotation`,
      );
    }
  });

  it('rotates: new key, the data key and every sealed value re-sealed in the database, audited', async () => {
    const { dir, db } = await copyOfTemplate();
    const oldRaw = rawKey(dir);
    const before = await storedSeals(db);
    const r = await vigil(['keys', 'rotate-master', '--json'], dir);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.equal(JSON.parse(r.stdout).rotated, true);
    const now = await storedSeals(db);
    assert.ok(!now.dataKey.equals(before.dataKey) && !now.secret.equals(before.secret));
    await checkIntact(dir, db, oldRaw);
    // A second rotation carries everything over again.
    const second = rawKey(dir);
    const again = await vigil(['keys', 'rotate-master'], dir);
    assert.equal(again.code, 0, again.stdout + again.stderr);
    await checkIntact(dir, db, second);
    const audit = await vigil(['audit', '--action', 'keys.master_rotated', '--json'], dir);
    assert.equal(audit.stdout.trim().split('\n').length, 2);
  });

  for (const point of MASTER_ROTATION_POINTS) {
    it(`kill -9 ${point}: the database is on one key, the next command finishes`, async () => {
      const { dir, db } = await copyOfTemplate();
      const oldRaw = rawKey(dir);
      const r = await vigil(['keys', 'rotate-master'], dir, point);
      assert.equal(r.code, null, `killed at ${point}: ${r.stdout}${r.stderr}`);
      const nextRaw = rawKey(dir, 'master.key.next');
      const on = await dbOn(db, [oldRaw, nextRaw]);
      assert.equal(on.length, 1, `on ${JSON.stringify(on)}`);
      if (point === 'mid-db-reseal') assert.deepEqual(on, [0], 'the cut transaction changed nothing');
      await checkIntact(dir, db, oldRaw);
    });
  }

  it('refuses while another session is connected to the database, and writes nothing', async () => {
    assert.ok(server);
    const { dir, db } = await copyOfTemplate();
    const oldRaw = rawKey(dir);
    const before = await storedSeals(db);
    // Another Vigil process holds pooled connections (and the old key) for as long as it runs.
    const other = PostgresDatabase.open({
      url: server.url(db),
      master: new MasterKey(oldRaw),
      retryForMs: 0,
    });
    try {
      await other.q('SELECT 1');
      const r = await vigil(['keys', 'rotate-master'], dir);
      assert.equal(r.code, 1, r.stdout + r.stderr);
      assert.match(r.stderr, /stop them all first/);
      assert.ok(!existsSync(join(dir, 'master.key.next')), 'no rotation left pending');
      assert.ok(rawKey(dir).equals(oldRaw));
      assert.deepEqual(await storedSeals(db), before);
    } finally {
      await other.close();
    }
    // Once it is gone, the rotation goes through.
    const ok = await vigil(['keys', 'rotate-master'], dir);
    assert.equal(ok.code, 0, ok.stdout + ok.stderr);
    await checkIntact(dir, db, oldRaw);
  });
});
