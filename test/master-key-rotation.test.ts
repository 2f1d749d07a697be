/**
 * `vigil keys rotate-master`: every sealed key re-sealed and the database re-keyed, crash-safe.
 * The process is killed with SIGKILL at each named point of the rotation (fault injection) and at
 * arbitrary moments from outside; after every kill the database opens with the old or the new
 * key (never neither), and the next command finishes the rotation with nothing lost.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { openContext, serverTlsMaterial, type VigilContext } from '../src/data-dir/context.ts';
import { MASTER_ROTATION_POINTS } from '../src/data-dir/master-rotation.ts';
import { deviceSecretIdentity, MasterKey, parseMasterKey } from '../src/keys/master-key.ts';
import type { VapidKeys } from '../src/notifications/channels/push-channel.ts';
import { NotificationConfig } from '../src/notifications/notification-config.ts';
import { readDeviceBundle } from '../src/sim/device-bundle.ts';
import { SqliteDatabase } from '../src/storage/adapters/sqlite-database.ts';

const BIN = fileURLToPath(new URL('../bin/vigil', import.meta.url));
const root = mkdtempSync(join(tmpdir(), 'vigil-mk-'));
const template = join(root, 'template');
let tokenHash = '';
let vapid: VapidKeys | undefined;

/** A copy of the template data directory, private like one Vigil creates (mode 0700). */
function copyOfTemplate(name: string): string {
  const dir = join(root, name);
  mkdirSync(dir, { mode: 0o700 });
  cpSync(template, dir, { recursive: true });
  return dir;
}

const notifyConfig = (ctx: VigilContext) =>
  new NotificationConfig({
    store: ctx.notificationStore,
    master: ctx.master,
    audit: ctx.store,
    clock: ctx.clock,
  });

/** `vigil ARGS` with the master key in master.key (no VIGIL_MASTER_KEY), killed after `killAfterMs`. */
function vigil(args: string[], dataDir: string, o: { crashAt?: string; killAfterStartMs?: number } = {}) {
  const env: NodeJS.ProcessEnv = { ...process.env, VIGIL_LOG_LEVEL: 'warn' };
  delete env.VIGIL_MASTER_KEY;
  delete env.VIGIL_DATA_DIR;
  if (o.crashAt) env.VIGIL_FAULT_CRASH_AT = o.crashAt;
  const child = spawn(process.execPath, [BIN, ...args, '--data-dir', dataDir], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d) => {
    out += d;
  });
  child.stderr.on('data', (d) => {
    out += d;
  });
  // Kill `killAfterStartMs` after the rotation began (master.key.next appeared).
  let killer: NodeJS.Timeout | undefined;
  if (o.killAfterStartMs !== undefined) {
    const delay = o.killAfterStartMs;
    const poll = setInterval(() => {
      if (!existsSync(join(dataDir, 'master.key.next'))) return;
      clearInterval(poll);
      killer = setTimeout(() => child.kill('SIGKILL'), delay);
    }, 1);
    child.on('close', () => clearInterval(poll));
  }
  const hard = setTimeout(() => child.kill('SIGKILL'), 60_000);
  return new Promise<{ code: number | null; signal: NodeJS.Signals | null; out: string }>((resolve) => {
    child.on('close', (code, signal) => {
      clearTimeout(hard);
      if (killer) clearTimeout(killer);
      resolve({ code, signal, out });
    });
  });
}

const rawKey = (dir: string, f = 'master.key') => parseMasterKey(readFileSync(join(dir, f), 'utf8'));

/** Which of the keys opens the database file (exactly one must). */
function dbOpensWith(dir: string, keys: Buffer[]): number[] {
  const ok: number[] = [];
  for (const [i, raw] of keys.entries()) {
    try {
      SqliteDatabase.open({
        path: join(dir, 'vigil.db'),
        key: new MasterKey(raw).databaseKey(),
        auditKey: new MasterKey(raw).auditKey(),
        readonly: true,
      }).close();
      ok.push(i);
    } catch {
      /* not this key */
    }
  }
  return ok;
}

/** Everything sealed still opens and means the same after the rotation finished. */
async function checkIntact(dir: string, oldRaw: Buffer): Promise<void> {
  const r = await vigil(['device', 'show', 'mk-probe-0001', '--json'], dir);
  assert.equal(r.code, 0, r.out);
  assert.ok(!existsSync(join(dir, 'master.key.next')), 'the rotation finished');
  assert.ok(!rawKey(dir).equals(oldRaw), 'master.key is the new key');
  const env = { ...process.env };
  delete env.VIGIL_MASTER_KEY;
  const ctx = await openContext({ dataDir: dir, env, logLevel: 'silent', createAdmin: false });
  try {
    const bundle = readDeviceBundle(join(dir, 'devices', 'mk-probe-0001'));
    const key = await ctx.store.getDeviceKey('mk-probe-0001', 1);
    assert.equal(
      ctx.master
        .open('device-secret', key?.secretEnc as Buffer, deviceSecretIdentity('mk-probe-0001', 1))
        .toString('base64url'),
      bundle.info.secret,
    );
    assert.match(serverTlsMaterial(ctx).key, /BEGIN PRIVATE KEY/);
    assert.equal(ctx.master.keyedHash('delivery-token', 'K7P2QX9M'), tokenHash, 'keyed hashes still match');
    assert.equal((await ctx.store.verifyAudit()).ok, true);
    assert.deepEqual(await notifyConfig(ctx).vapid(), vapid, 'the sealed VAPID private key still opens');
  } finally {
    await ctx.close();
  }
  // The audit HMAC chain and the signed checkpoint taken before the rotation still verify.
  const verify = await vigil(['audit', 'verify', '--json'], dir);
  assert.equal(verify.code, 0, verify.out);
  assert.equal(JSON.parse(verify.out).ok, true);
}

before(async () => {
  assert.equal((await vigil(['init'], template)).code, 0);
  const r = await vigil(['device', 'add', 'mk-probe-0001', '--profile', 'temperature-probe'], template);
  assert.equal(r.code, 0, r.out);
  await vigil(['user', 'add', 'mk-operator', '--role', 'operator'], template);
  // A notification credential: a sealed row of its own identity, re-sealed by the rotation too.
  const env = { ...process.env };
  delete env.VIGIL_MASTER_KEY;
  const ctx = await openContext({ dataDir: template, env, logLevel: 'silent' });
  try {
    vapid = await notifyConfig(ctx).vapid();
  } finally {
    await ctx.close();
  }
  assert.equal((await vigil(['audit', 'checkpoint'], template)).code, 0);
  tokenHash = new MasterKey(rawKey(template)).keyedHash('delivery-token', 'K7P2QX9M');
});
after(() => rmSync(root, { recursive: true, force: true }));

describe('master key rotation', () => {
  it('rotates: new key, everything re-sealed, the database re-keyed, audited', async () => {
    const dir = copyOfTemplate('plain');
    const oldRaw = rawKey(dir);
    const r = await vigil(['keys', 'rotate-master', '--json'], dir);
    assert.equal(r.code, 0, r.out);
    assert.deepEqual(dbOpensWith(dir, [oldRaw, rawKey(dir)]), [1]);
    await checkIntact(dir, oldRaw);
    // A second rotation carries the keyed-hash root again.
    const second = rawKey(dir);
    assert.equal((await vigil(['keys', 'rotate-master'], dir)).code, 0);
    await checkIntact(dir, second);
    const audit = await vigil(['audit', '--action', 'keys.master_rotated', '--json'], dir);
    assert.equal(audit.out.trim().split('\n').length, 2);
  });

  it('a backup taken after the rotation restores onto another new key with the audit chain and keyed hashes intact', async () => {
    const dir = copyOfTemplate('backup');
    const oldRaw = rawKey(dir);
    assert.equal((await vigil(['keys', 'rotate-master'], dir)).code, 0);
    const identity = join(root, 'backup-identity.txt');
    assert.equal((await vigil(['backup', 'init', '--identity-out', identity], dir)).code, 0);
    const created = await vigil(['backup', 'create', '--json'], dir);
    assert.equal(created.code, 0, created.out);
    const file = (JSON.parse(created.out) as { file: string }).file;
    const restored = join(root, 'restored');
    const r = await vigil(['backup', 'restore', file, '--identity', identity, '--json'], restored);
    assert.equal(r.code, 0, r.out);
    assert.ok(!rawKey(restored).equals(oldRaw) && !rawKey(restored).equals(rawKey(dir)), 'a third key');
    // The hash root went from the first key through the rotation into the restored node.
    const verify = await vigil(['audit', 'verify', '--json'], restored);
    assert.equal(verify.code, 0, verify.out);
    const env = { ...process.env };
    delete env.VIGIL_MASTER_KEY;
    const ctx = await openContext({ dataDir: restored, env, logLevel: 'silent' });
    try {
      assert.equal(ctx.master.keyedHash('delivery-token', 'K7P2QX9M'), tokenHash);
      assert.deepEqual(await notifyConfig(ctx).vapid(), vapid);
    } finally {
      await ctx.close();
    }
  });

  for (const point of MASTER_ROTATION_POINTS) {
    it(`kill -9 ${point}: the database opens with one key, the next command finishes`, async () => {
      const dir = copyOfTemplate(`crash-${point}`);
      const oldRaw = rawKey(dir);
      const r = await vigil(['keys', 'rotate-master'], dir, { crashAt: point });
      assert.equal(r.signal, 'SIGKILL', r.out);
      const nextRaw = rawKey(dir, 'master.key.next');
      const opens = dbOpensWith(dir, [oldRaw, nextRaw]);
      assert.equal(opens.length, 1, `opens with ${JSON.stringify(opens)}`);
      await checkIntact(dir, oldRaw);
    });
  }

  it('kill -9 from outside at arbitrary moments never leaves a database that opens with neither key', async () => {
    for (const ms of [0, 8, 30]) {
      const dir = copyOfTemplate(`kill-${ms}`);
      const oldRaw = rawKey(dir);
      await vigil(['keys', 'rotate-master'], dir, { killAfterStartMs: ms });
      const newRaw = existsSync(join(dir, 'master.key.next')) ? rawKey(dir, 'master.key.next') : rawKey(dir);
      const keys = newRaw.equals(oldRaw) ? [oldRaw] : [oldRaw, newRaw];
      assert.equal(dbOpensWith(dir, keys).length, 1, `killed ${ms} ms into the rotation`);
      const r = await vigil(['device', 'list'], dir);
      assert.equal(r.code, 0, r.out);
      assert.ok(!existsSync(join(dir, 'master.key.next')));
    }
  });

  it('refuses while vigil start runs, and with VIGIL_MASTER_KEY', async () => {
    const dir = copyOfTemplate('locked');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(join(dir, 'vigil.pid'), `${process.pid}\n`);
    const r = await vigil(['keys', 'rotate-master'], dir);
    assert.equal(r.code, 1);
    assert.match(r.out, /stop it first/);
    assert.ok(!existsSync(join(dir, 'master.key.next')));
  });
});
