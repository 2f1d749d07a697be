/**
 * `vigil audit ...` as an operator runs it: real `bin/vigil` processes on one data directory.
 * The audit log holds strings an attacker chose (a user name typed at a failed sign-in, a device
 * id in a refused certificate), so what the CLI prints must never reach the terminal as control
 * sequences.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openContext } from '../src/data-dir/context.ts';
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
    const ctx = await openContext({ dataDir, env, logLevel: 'silent', createAdmin: false });
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
