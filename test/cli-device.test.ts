/**
 * `vigil device revoke` and `vigil device delete` ask before they act (on a terminal), refuse to
 * act unasked (in a script without --yes), and say what they did. Real `bin/vigil` processes, a
 * pseudo-terminal where a person would type.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openContext } from '../src/data-dir/context.ts';
import { sampleReading } from '../src/storage/store-records.fixture.ts';
import { MASTER_KEY_HEX } from './helpers/instance.ts';
import { runVigil, runVigilInTerminal } from './helpers/run-vigil.ts';

const root = mkdtempSync(join(tmpdir(), 'vigil-cli-device-'));
const dataDir = join(root, 'data');
after(() => rmSync(root, { recursive: true, force: true }));

const vigil = (args: string[], input?: string) => runVigil(args, { dataDir, ...(input ? { input } : {}) });
const status = async (id: string) =>
  JSON.parse((await vigil(['device', 'show', id, '--json'])).stdout).status;
const audit = async (action: string) =>
  (await vigil(['audit', '--json', '--action', action])).stdout
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l));

describe('device revoke and delete ask first', () => {
  before(async () => {
    assert.equal((await vigil(['init'])).code, 0);
    for (const id of ['truck-0001', 'truck-0002', 'probe-0003', 'probe-0004']) {
      const r = await vigil(['device', 'add', id, '--profile', 'vaccine-transport', '--out', join(root, id)]);
      assert.equal(r.code, 0, r.stderr);
    }
  });

  it('without a terminal and without --yes, revoke refuses clearly and changes nothing', async () => {
    const r = await vigil(['device', 'revoke', 'truck-0001'], 'y\n');
    assert.equal(r.code, 2);
    assert.equal(
      r.stderr.trim(),
      'vigil device revoke: not confirmed: no terminal to ask on; add --yes to confirm [VIGIL_ERR_NOT_CONFIRMED]',
    );
    assert.equal(await status('truck-0001'), 'enabled');
  });

  it('on a terminal, revoke asks; "n" changes nothing, "y" revokes and says what it did', async () => {
    const no = await runVigilInTerminal(['device', 'revoke', 'truck-0001'], { dataDir, input: 'n\r' });
    assert.equal(no.code, 1, no.stdout);
    assert.match(no.stdout, /Revoke device truck-0001\? Its certificate goes on the CRL .* \[y\/N\]/);
    assert.match(no.stdout, /not confirmed; nothing was changed/);
    assert.equal(await status('truck-0001'), 'enabled');

    const yes = await runVigilInTerminal(['device', 'revoke', 'truck-0001'], { dataDir, input: 'y\r' });
    assert.equal(yes.code, 0, yes.stdout);
    assert.match(yes.stdout, /device truck-0001 revoked; certificate\(s\) [0-9a-f]+ on the CRL .*crl\.pem/);
    assert.equal(await status('truck-0001'), 'revoked');
    assert.equal((await audit('device.revoke')).length, 1);
  });

  it('--yes skips the question, in a script too', async () => {
    const r = await vigil(['device', 'revoke', 'truck-0002', '--yes']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /device truck-0002 revoked/);
    assert.equal(await status('truck-0002'), 'revoked');
  });

  it('delete removes a device that never connected, revokes its certificate and audits it', async () => {
    const serial = JSON.parse((await vigil(['device', 'show', 'probe-0003', '--json'])).stdout).certSerial;
    const unasked = await vigil(['device', 'delete', 'probe-0003']);
    assert.equal(unasked.code, 2);
    assert.match(unasked.stderr, /\[VIGIL_ERR_NOT_CONFIRMED\]/);

    const r = await runVigilInTerminal(['device', 'delete', 'probe-0003'], { dataDir, input: 'yes\r' });
    assert.equal(r.code, 0, r.stdout);
    assert.match(r.stdout, /Delete device probe-0003\? .* \[y\/N\]/);
    assert.match(
      r.stdout,
      new RegExp(`device probe-0003 deleted; certificate\\(s\\) ${serial} revoked on the CRL`),
    );
    const gone = await vigil(['device', 'show', 'probe-0003']);
    assert.equal(gone.code, 1);
    assert.match(gone.stderr, /device probe-0003 not found/);
    const entries = await audit('device.delete');
    assert.equal(entries.length, 1);
    assert.equal(entries[0].object, 'probe-0003');
    assert.deepEqual(entries[0].detail.serials, [serial]);
    // The id is free again; the old bundle's certificate stays revoked.
    const again = await vigil([
      'device',
      'add',
      'probe-0003',
      '--profile',
      'temperature-probe',
      '--out',
      join(root, 'p3'),
    ]);
    assert.equal(again.code, 0, again.stderr);
  });

  it('delete refuses a device with readings and says to revoke it instead', async () => {
    const ctx = await openContext({ dataDir, env: { VIGIL_MASTER_KEY: MASTER_KEY_HEX }, logLevel: 'silent' });
    try {
      await ctx.store.writeBatch({
        readings: [sampleReading('probe-0004', 1)],
        messages: [],
        replayStates: [],
        lastSeen: [],
      });
    } finally {
      await ctx.close();
    }
    const r = await vigil(['device', 'delete', 'probe-0004', '--yes']);
    assert.equal(r.code, 1);
    assert.equal(
      r.stderr.trim(),
      'vigil device delete: device probe-0004 cannot be deleted: it has readings; its record stays: use "vigil device revoke probe-0004" instead',
    );
    assert.equal(await status('probe-0004'), 'enabled');
  });
});
