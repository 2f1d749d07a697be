/**
 * `vigil audit ...` as an operator runs it: real `bin/vigil` processes on one data directory.
 * The audit log holds strings an attacker chose (a user name typed at a failed sign-in, a device
 * id in a refused certificate), so what the CLI prints must never reach the terminal as control
 * sequences.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3-multiple-ciphers';
import { openContext } from '../src/data-dir/context.ts';
import { MasterKey } from '../src/keys/master-key.ts';
import { GENESIS_HASH, legacyAuditHash } from '../src/storage/audit-chain.ts';
import { MASTER_KEY_HEX } from './helpers/instance.ts';
import { runVigil } from './helpers/run-vigil.ts';

const root = mkdtempSync(join(tmpdir(), 'vigil-cli-audit-'));
const dataDir = join(root, 'data');
after(() => rmSync(root, { recursive: true, force: true }));

const vigil = (args: string[]) => runVigil(args, { dataDir });
const env = { ...process.env, VIGIL_MASTER_KEY: MASTER_KEY_HEX };
/** Any raw control or bidi formatting character a terminal could act on (line feeds aside). */
const RAW_CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

describe('vigil audit', () => {
  before(async () => {
    const ctx = await openContext({ dataDir, env, logLevel: 'silent', create: true });
    try {
      await ctx.store.appendAudit({
        ts: Date.UTC(2026, 10, 21, 10, 0, 0),
        actor: 'system',
        action: 'auth.sign_in_failed',
        object: 'evil\u001b]0;pwned\u0007\u001b[2J',
        detail: { user: 'x\u009b31m\u202egnp.exe', address: '127.0.0.1', note: 'line1\nFAKE LINE' },
      });
    } finally {
      await ctx.close();
    }
  });

  it('prints attacker-chosen strings with their control characters escaped', async () => {
    const r = await vigil(['audit', '--action', 'auth.sign_in_failed']);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(!RAW_CONTROL.test(r.stdout), JSON.stringify(r.stdout));
    assert.match(r.stdout, /evil\\u001b\]0;pwned\\u0007\\u001b\[2J/);
    assert.match(r.stdout, /x\\u009b31m\\u202egnp\.exe/);
    // one entry, one line: the embedded line feed cannot fake a second entry
    assert.equal(r.stdout.trimEnd().split('\n').length, 1);
  });

  it('keeps --json lines valid JSON with the same values, and free of raw control characters', async () => {
    const r = await vigil(['audit', '--action', 'auth.sign_in_failed', '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(!RAW_CONTROL.test(r.stdout), JSON.stringify(r.stdout));
    const entry = JSON.parse(r.stdout.trim()) as { object: string; detail: { user: string } };
    assert.equal(entry.object, 'evil\u001b]0;pwned\u0007\u001b[2J');
    assert.equal(entry.detail.user, 'x\u009b31m\u202egnp.exe');
  });
});

/** The database as someone holding the database key (not the audit key) can write it. */
function openRaw(dir: string): Database.Database {
  const key = new MasterKey(Buffer.from(MASTER_KEY_HEX, 'hex')).databaseKey();
  const db = new Database(join(dir, 'vigil.db'));
  db.pragma(`cipher='sqlcipher'`);
  db.pragma('legacy=4');
  db.pragma(`key="x'${key.toString('hex')}'"`);
  return db;
}

async function freshLog(name: string, entries: number): Promise<string> {
  const dir = join(root, name);
  const ctx = await openContext({ dataDir: dir, env, logLevel: 'silent', create: true });
  try {
    for (let i = 0; i < entries; i++) {
      await ctx.store.appendAudit({
        ts: Date.now(),
        actor: 'cli',
        action: 'test.entry',
        object: `e${i}`,
        detail: { i },
      });
    }
  } finally {
    await ctx.close();
  }
  return dir;
}

describe('vigil audit checkpoint and verify', () => {
  it('detects entries deleted at the tail against the exported checkpoint and the data-dir copy', async () => {
    const dir = await freshLog('tail', 6);
    const out = join(root, 'tail-checkpoint.json');
    const cp = await runVigil(['audit', 'checkpoint', '--out', out], { dataDir: dir });
    assert.equal(cp.code, 0, cp.stderr);
    const exported = JSON.parse(readFileSync(out, 'utf8')) as { type: string; seq: number; entries: number };
    assert.equal(exported.type, 'vigil-audit-checkpoint');
    assert.equal(exported.seq, 1);
    assert.ok(exported.entries >= 7);
    assert.equal((await runVigil(['audit', 'verify', '--checkpoint', out], { dataDir: dir })).code, 0);

    // Someone with the database key removes the last two entries and the stored checkpoints.
    const raw = openRaw(dir);
    raw.exec('DROP TRIGGER audit_no_delete; DROP TRIGGER audit_checkpoints_no_delete;');
    raw.prepare('DELETE FROM audit WHERE id > ?').run(exported.entries - 2);
    raw.exec('DELETE FROM audit_checkpoints');
    raw.close();

    const plain = await runVigil(['audit', 'verify'], { dataDir: dir });
    assert.equal(plain.code, 1, plain.stdout);
    assert.match(plain.stdout, /audit chain intact/, 'the chain alone cannot see it');
    assert.match(
      plain.stdout,
      /TRUNCATED: checkpoint #1 .* covers \d+ entries, the log has \d+ \(2 missing at the tail\)/,
    );
    const withFile = await runVigil(['audit', 'verify', '--checkpoint', out, '--json'], { dataDir: dir });
    assert.equal(withFile.code, 1);
    const report = JSON.parse(withFile.stdout) as {
      ok: boolean;
      truncated: boolean;
      checkpoints: { source: string; ok: boolean }[];
    };
    assert.deepEqual([report.ok, report.truncated], [false, true]);
    assert.deepEqual(
      report.checkpoints.map((c) => c.ok),
      [false, false],
    );
    // The counter goes on from the newest checkpoint seen anywhere, not from the emptied table.
    const next = await runVigil(['audit', 'checkpoint', '--json'], { dataDir: dir });
    assert.equal((JSON.parse(next.stdout) as { seq: number }).seq, 2);
  });

  it('fails a full rewrite of the chain by someone without the master key', async () => {
    const dir = await freshLog('rewrite', 3);
    const raw = openRaw(dir);
    raw.exec('DROP TRIGGER audit_no_update;');
    // Recompute every link as a plain hash, with one entry changed: consistent, but not keyed.
    const rows = raw.prepare('SELECT * FROM audit ORDER BY id').all() as {
      id: number;
      ts: number;
      actor: string;
      action: string;
      object: string | null;
      detail: string;
    }[];
    let prev = GENESIS_HASH;
    for (const r of rows) {
      const detail = r.object === 'e1' ? { i: 99 } : (JSON.parse(r.detail) as Record<string, unknown>);
      const hash = legacyAuditHash(prev, { ...r, detail });
      raw
        .prepare('UPDATE audit SET detail = ?, prev_hash = ?, hash = ? WHERE id = ?')
        .run(JSON.stringify(detail), prev, hash, r.id);
      prev = hash;
    }
    raw.close();
    const r = await runVigil(['audit', 'verify'], { dataDir: dir });
    assert.equal(r.code, 1);
    assert.match(r.stdout, /audit chain BROKEN at entry 1 /);
  });

  it('refuses a checkpoint whose signature does not match', async () => {
    const dir = await freshLog('forged', 2);
    const out = join(root, 'forged-checkpoint.json');
    assert.equal((await runVigil(['audit', 'checkpoint', '--out', out], { dataDir: dir })).code, 0);
    const cp = JSON.parse(readFileSync(out, 'utf8')) as { entries: number; headId: number };
    writeFileSync(out, JSON.stringify({ ...cp, entries: cp.entries - 1, headId: cp.headId - 1 }));
    const r = await runVigil(['audit', 'verify', '--checkpoint', out], { dataDir: dir });
    assert.equal(r.code, 1);
    assert.match(r.stdout, /signature invalid/);
  });
});
