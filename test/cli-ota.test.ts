/**
 * `vigil firmware` and `vigil ota` as a user runs them: an offline key, a manifest signed from the
 * CLI, uploads verified against `ota.trustedKeys` (a mis-signed one refused and audited), a
 * campaign queued with staged waves, paused, resumed and aborted, all with `--json`.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runVigil } from './helpers/run-vigil.ts';

const root = mkdtempSync(join(tmpdir(), 'vigil-cli-ota-'));
const dataDir = join(root, 'data');
after(() => rmSync(root, { recursive: true, force: true }));
const vigil = (args: string[]) => runVigil(args, { dataDir });
const ndjson = (s: string) =>
  s
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l));

describe('vigil firmware and vigil ota', () => {
  const key = join(root, 'fw.key');
  const image = join(root, 'probe.bin');
  let campaign = '';

  before(async () => {
    assert.equal((await vigil(['init'])).code, 0);
    const k = await runVigil(['firmware', 'keygen', '--out', key, '--json']);
    assert.equal(k.code, 0, k.stderr);
    const pub = JSON.parse(k.stdout).publicKey as string;
    assert.match(pub, /^ed25519:[A-Za-z0-9_-]{43}$/);
    assert.equal(statSync(key).mode & 0o777, 0o600);
    writeFileSync(join(dataDir, 'config.json'), JSON.stringify({ ota: { trustedKeys: [pub] } }));
    for (const id of ['probe-0001', 'probe-0002', 'probe-0003', 'probe-0004']) {
      const r = await vigil(['device', 'add', id, '--profile', 'temperature-probe', '--out', join(root, id)]);
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(JSON.parse(readFileSync(join(root, id, 'device.json'), 'utf8')).firmware_keys, [pub]);
    }
    writeFileSync(image, Buffer.alloc(4096, 7));
  });

  it('keygen never overwrites a key', async () => {
    const r = await runVigil(['firmware', 'keygen', '--out', key]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /already exists/);
  });

  it('signs offline and uploads; a tampered manifest is refused and audited', async () => {
    const s = await runVigil([
      'firmware',
      'sign',
      image,
      '--key',
      key,
      '--version',
      '1.2.0',
      '--profile',
      'temperature-probe',
      '--json',
    ]);
    assert.equal(s.code, 0, s.stderr);
    const m = JSON.parse(s.stdout);
    assert.equal(m.securityCounter, 1_002_000);
    const bad = join(root, 'bad.json');
    writeFileSync(bad, JSON.stringify({ ...m, securityCounter: 0 }));
    const refused = await vigil(['firmware', 'add', image, '--manifest', bad]);
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /VIGIL_ERR_FIRMWARE_INVALID/);
    const audit = ndjson((await vigil(['audit', '--json', '--action', 'firmware.refused'])).stdout);
    assert.equal(audit[0]?.detail.reason, 'signature');
    const ok = await vigil(['firmware', 'add', image, '--manifest', `${image}.manifest.json`, '--json']);
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(JSON.parse(ok.stdout).version, '1.2.0');
    const again = await vigil(['firmware', 'add', image, '--manifest', `${image}.manifest.json`]);
    assert.match(again.stderr, /VIGIL_ERR_FIRMWARE_EXISTS/);
    assert.deepEqual(
      ndjson((await vigil(['firmware', 'list', '--json'])).stdout).map((f) => f.version),
      ['1.2.0'],
    );
  });

  it('starts a campaign in waves, then pauses, resumes and aborts it', async () => {
    const s = await vigil([
      'ota',
      'start',
      '--version',
      '1.2.0',
      '--profile',
      'temperature-probe',
      '--wave',
      '50%',
      '--max-failures',
      '0%',
      '--json',
    ]);
    assert.equal(s.code, 0, s.stderr);
    const c = JSON.parse(s.stdout);
    campaign = c.id;
    assert.equal(c.waves, 2);
    assert.deepEqual(c.counts, {
      pending: 2,
      sent: 2,
      downloading: 0,
      installing: 0,
      succeeded: 0,
      failed: 0,
      cancelled: 0,
    });
    const st = ndjson((await vigil(['ota', 'status', campaign, '--json'])).stdout);
    assert.equal(st.length, 5);
    assert.deepEqual(
      st.slice(1).map((d) => [d.deviceId, d.wave, d.state]),
      [
        ['probe-0001', 0, 'sent'],
        ['probe-0002', 0, 'sent'],
        ['probe-0003', 1, 'pending'],
        ['probe-0004', 1, 'pending'],
      ],
    );
    // Each device of the first wave has a durable ota command carrying the URL and the manifest.
    const cmds = ndjson((await vigil(['command', 'list', 'probe-0001', '--json'])).stdout);
    assert.equal(cmds[0]?.op, 'ota');
    assert.match(cmds[0]?.args.url, /^https:\/\/.+\/firmware\/1\.2\.0$/);
    assert.ok(cmds[0]?.args.manifest, 'the manifest travels with the command');
    const busy = await vigil(['ota', 'start', '--version', '1.2.0', '--devices', 'probe-0001']);
    assert.match(busy.stderr, /VIGIL_ERR_CAMPAIGN_STATE/);
    assert.equal(JSON.parse((await vigil(['ota', 'pause', campaign, '--json'])).stdout).state, 'paused');
    assert.match((await vigil(['ota', 'pause', campaign])).stderr, /VIGIL_ERR_CAMPAIGN_STATE/);
    assert.equal(JSON.parse((await vigil(['ota', 'resume', campaign, '--json'])).stdout).state, 'running');
    const aborted = JSON.parse((await vigil(['ota', 'abort', campaign, '--json'])).stdout);
    assert.equal(aborted.state, 'aborted');
    assert.equal(aborted.counts.cancelled, 4);
    const actions = ndjson((await vigil(['audit', '--json', '--limit', '100'])).stdout)
      .filter((a) => a.object === campaign)
      .map((a) => a.action);
    for (const a of ['ota.start', 'ota.pause', 'ota.resume', 'ota.abort']) assert.ok(actions.includes(a), a);
  });

  it('refuses a start without a target, with both, or with a bad percentage', async () => {
    for (const args of [
      ['--version', '1.2.0'],
      ['--version', '1.2.0', '--devices', 'probe-0001', '--profile', 'temperature-probe'],
      ['--version', '1.2.0', '--profile', 'temperature-probe', '--wave', '150%'],
    ]) {
      const r = await vigil(['ota', 'start', ...args]);
      assert.equal(r.code, 2, r.stderr);
    }
  });
});
