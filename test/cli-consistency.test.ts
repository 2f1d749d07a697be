/**
 * One CLI: every command and subcommand has its --help, errors are in Vigil's words (the flag
 * that was meant, the thing not found, the valid values, "usage:" once), the environment is never
 * a bug, output closed by its reader ends quietly, every --json speaks one style, and
 * `--follow` tails what a running server commits. Real `bin/vigil` processes against a running
 * server; the help matrix in-process through the same `main`.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { MqttClient } from 'mqtt';
import { subcommandsOf } from '../src/cli/command-help.ts';
import { COMMANDS } from '../src/cli/command-registry.ts';
import { main } from '../src/cli/main.ts';
import { sampleReading } from '../src/storage/store-records.fixture.ts';
import {
  closeClient,
  connectDevice,
  type Instance,
  makeEnvelope,
  send,
  startInstance,
  truckSample,
} from './helpers/instance.ts';
import { checkJsonStyle } from './helpers/json-style.ts';
import { BIN, collect, freePort, runVigil, spawnVigil, vigilEnv } from './helpers/run-vigil.ts';

let inst: Instance;
let client: MqttClient | undefined;
const vigil = (args: string[], timeoutMs?: number) =>
  runVigil(args, { dataDir: inst.dataDir, ...(timeoutMs ? { timeoutMs } : {}) });

/** `vigil ARGS` in this process (same code as bin/vigil, no child). */
async function inProcess(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(args, {
    out: (l) => out.push(l),
    err: (l) => err.push(l),
    env: vigilEnv(),
    signal: new AbortController().signal,
  });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

const usageCount = (text: string) => text.match(/usage:/g)?.length ?? 0;

/** Parses `--json` output: NDJSON for lists (`list`), exactly one line for single items. */
function json(stdout: string, kind: 'list' | 'single'): Record<string, unknown>[] {
  const lines = stdout.split('\n').filter((l) => l !== '');
  if (kind === 'single') assert.equal(lines.length, 1, `one object on one line:\n${stdout}`);
  const objects = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  for (const o of objects)
    assert.ok(o && typeof o === 'object' && !Array.isArray(o), 'objects, no header rows');
  return objects;
}

describe('vigil CLI consistency', () => {
  before(async () => {
    inst = await startInstance({}, undefined, { alarmService: { tickMs: 0, anomaly: false } });
    const b = await inst.addDevice('truck-cons-01');
    client = await connectDevice(inst.url, b);
    for (let seq = 1; seq <= 2; seq++) {
      await send(client, b.info.id, makeEnvelope(b, 'telemetry', { samples: [truckSample()] }, { seq }));
    }
  });
  after(async () => {
    if (client) await closeClient(client);
    await inst.destroy();
  });

  it('prints the usage of every command and subcommand for -h, --help and vigil help', async () => {
    for (const [name, entry] of Object.entries(COMMANDS)) {
      const { help } = await entry.load();
      const subs = subcommandsOf(help);
      for (const sub of ['', ...subs]) {
        if (sub === '' && subs.length > 0 && !help.forms['']) continue;
        const words = sub ? [name, sub] : [name];
        for (const args of [
          [...words, '-h'],
          [...words, '--help'],
          ['help', ...words],
        ]) {
          const r = await inProcess(args);
          assert.equal(r.code, 0, args.join(' '));
          // A command with several forms (`vigil audit`, `vigil audit verify`) shows them all.
          const head =
            sub === '' && subs.length > 0 ? `usage:\n  vigil ${name}` : `usage: vigil ${words.join(' ')}`;
          assert.ok(r.out.startsWith(head), `${args.join(' ')}:\n${r.out}`);
          assert.equal(usageCount(r.out), 1);
          assert.match(r.out, /--data-dir DIR/);
        }
      }
      // The command alone lists all its forms.
      const all = await inProcess([name, '--help']);
      assert.equal(all.code, 0);
      for (const form of Object.values(help.forms))
        assert.ok(all.out.includes(`vigil ${form.synopsis}`), name);
    }
    // Every flag a form takes is in its help.
    const flags: [string[], string[]][] = [
      [
        ['audit', 'verify'],
        ['--checkpoint FILE', '--json'],
      ],
      [
        ['audit', 'checkpoint'],
        ['--out FILE', '--json'],
      ],
      [['start'], ['--accept-exposed-master-key', '--mqtt-port N', '--http-port N', '--demo']],
      [['report', 'verify'], ['--key PEM']],
      [
        ['shipment', 'create'],
        [
          '--warning-above SPEC',
          '--warning-below SPEC',
          '--critical-above SPEC',
          '--critical-below SPEC',
          '--hysteresis C',
          '--merge-gap-minutes N',
        ],
      ],
    ];
    for (const [words, want] of flags) {
      const r = await inProcess([...words, '--help']);
      for (const f of want) assert.match(r.out, new RegExp(`^  ${f}`, 'm'), `${words.join(' ')}: ${f}`);
    }
    const real = await runVigil(['device', 'revoke', '-h']);
    assert.equal(real.code, 0);
    assert.match(
      real.stdout,
      /^usage: vigil device revoke ID \[--reason R\] \[--yes\]\n\nPuts the device certificate/,
    );
  });

  it('says parser errors in its own words, with the flag or command probably meant, and "usage:" once', async () => {
    const cases: [string[], number, RegExp][] = [
      [
        ['alarms', '--stat', 'open'],
        2,
        /^vigil alarms: unknown option --stat \(did you mean --state\?\)\nusage: vigil alarms /,
      ],
      [['readings', 'truck-cons-01', '--jsno'], 2, /unknown option --jsno \(did you mean --json\?\)/],
      [['readings', 'truck-cons-01', 'extra'], 2, /^vigil readings: unexpected argument "extra"\n/],
      [['device', 'show', 'truck-cons-01', 'extra'], 2, /^vigil device show: unexpected argument "extra"\n/],
      [['readings', 'truck-cons-01', '--limit'], 2, /--limit needs a value/],
      [['device', 'list', '--json=yes'], 2, /--json takes no value/],
      [['alarms', '--state', 'opn'], 2, /--state must be one of open, acknowledged, active, resolved, all/],
      [
        ['device', 'add', 'truck-x-01', '--profile', 'truck'],
        2,
        /--profile must be one of vaccine-transport, patient-vitals, temperature-probe/,
      ],
      [['devise', 'list'], 2, /^vigil: unknown command "devise" \(did you mean device\?\)/],
      [
        ['device', 'lst'],
        2,
        /^vigil device: unknown subcommand "lst" \(did you mean list\?\); one of add, list/,
      ],
      [
        ['shipment', 'show'],
        2,
        /^vigil shipment show: missing or unexpected arguments\nusage: vigil shipment show ID/,
      ],
      [
        ['shipment', 'show', 'shp-nope'],
        1,
        /^vigil shipment show: shipment shp-nope not found \[VIGIL_ERR_NOT_FOUND\]\n$/,
      ],
      [
        ['readings', 'nope-0001'],
        1,
        /^vigil readings: device nope-0001 not found \[VIGIL_ERR_NOT_FOUND\]\n$/,
      ],
      [['user', 'disable', 'nobody'], 1, /^vigil user disable: user nobody not found/],
    ];
    for (const [args, code, want] of cases) {
      const r = await vigil(args);
      assert.equal(r.code, code, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, want, args.join(' '));
      assert.ok(usageCount(r.stderr) <= 1, `"usage:" at most once:\n${r.stderr}`);
      assert.doesNotMatch(r.stderr, /internal error|ERR_PARSE_ARGS|TypeError/);
      assert.equal(r.stdout, '');
    }
  });

  it('every --json speaks one style: camelCase, ISO 8601 UTC times, NDJSON lists, one-line objects', async () => {
    await inst.server.alarms.open(
      {
        rule: 'heat',
        subject: 'truck-cons-01',
        startedAt: Date.now() - 60_000,
        raisedAt: Date.now(),
        severity: 'warning',
        message: 'above 8 °C',
      },
      Date.now(),
    );
    const out = join(inst.dataDir, 'bundles', 'truck-cons-02');
    const single: string[][] = [
      ['device', 'add', 'truck-cons-02', '--profile', 'vaccine-transport', '--out', out, '--json'],
      ['device', 'show', 'truck-cons-01', '--json'],
      ['user', 'add', 'olga-ops', '--role', 'operator', '--json'],
      [
        'shipment',
        'create',
        '--device',
        'truck-cons-01',
        '--profile',
        'refrigerated',
        '--batch',
        'LOT-1',
        '--warning-above',
        '8:10m',
        '--merge-gap-minutes',
        '5',
        '--json',
      ],
      ['audit', 'checkpoint', '--json'],
      // after the checkpoint: its check is in the output
      ['audit', 'verify', '--json'],
      ['backup', 'init', '--identity-out', join(inst.dataDir, 'backup-id.txt'), '--json'],
      ['backup', 'create', '--json'],
    ];
    for (const args of single) {
      const r = await vigil(args);
      assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
      for (const o of json(r.stdout, 'single')) checkJsonStyle(o, args.join(' '));
    }
    const shipment = json((await vigil(['shipment', 'list', '--json'])).stdout, 'list')[0];
    const lists: [string[], number][] = [
      [['device', 'list', '--json'], 2],
      [['readings', 'truck-cons-01', '--json'], 2],
      [['alarms', '--json'], 1],
      [['audit', '--json'], 3],
      [['user', 'list', '--json'], 2],
      [['shipment', 'list', '--json'], 1],
      [['backup', 'list', '--json'], 1],
    ];
    for (const [args, atLeast] of lists) {
      const r = await vigil(args);
      assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
      const objects = json(r.stdout, 'list');
      assert.ok(objects.length >= atLeast, `${args.join(' ')}: ${objects.length}`);
      for (const o of objects) checkJsonStyle(o, args.join(' '));
    }
    const show = await vigil(['shipment', 'show', String(shipment?.id), '--json']);
    assert.equal(show.code, 0, show.stderr);
    for (const o of json(show.stdout, 'single')) {
      checkJsonStyle(o, 'shipment show');
      // `profile` is free-form inside a shipment (as given); the detail's resolved policy is not.
      const policy = (o.profile as { policy?: { overrides?: string[] } } | undefined)?.policy;
      assert.ok(policy?.overrides?.includes('tiers.warning.above.durationMs'), JSON.stringify(policy));
      checkJsonStyle(policy, 'shipment show profile.policy');
    }
    const verify = json((await vigil(['audit', 'verify', '--json'])).stdout, 'single')[0];
    assert.ok(Array.isArray(verify?.checkpoints) && verify.checkpoints.length > 0, JSON.stringify(verify));
    // A reading keeps its protocol field names inside `data`.
    const reading = json(
      (await vigil(['readings', 'truck-cons-01', '--json', '--limit', '1'])).stdout,
      'list',
    )[0];
    assert.deepEqual(Object.keys(reading ?? {}).sort(), [
      'backfill',
      'data',
      'deviceId',
      'idx',
      'receivedAt',
      'seq',
      'ts',
    ]);
    assert.equal(typeof (reading?.data as Record<string, unknown> | undefined)?.temp_c, 'number');
  });

  it('doctor --json speaks the same style: one finding per line, {check, severity, message, fix}', async () => {
    // doctor exits 1 on a high finding (a test instance has some, such as an admin without TOTP).
    const doctor = await vigil(['doctor', '--json']);
    assert.ok(doctor.code === 0 || doctor.code === 1, `doctor --json: ${doctor.stderr}`);
    const findings = json(doctor.stdout, 'list');
    assert.ok(findings.length > 0, 'doctor --json prints its findings');
    for (const o of findings) {
      checkJsonStyle(o, 'doctor --json');
      assert.deepEqual(Object.keys(o).sort(), ['check', 'fix', 'message', 'severity']);
    }
  });

  // Its own test: each command is a process, and the machine may be busy.
  it('the lifecycle commands speak the same --json style', { timeout: 300_000 }, async () => {
    const single: string[][] = [
      ['command', 'send', 'truck-cons-01', 'identify', '--reason', 'style', '--json'],
      ['device', 'rotate-key', 'truck-cons-01', '--json'],
      ['pki', 'status', '--json'],
      [
        'claim-cert',
        'create',
        '--batch',
        'cons-batch',
        '--uses',
        '2',
        '--out',
        join(inst.dataDir, 'claim'),
        '--json',
      ],
    ];
    for (const args of single) {
      const r = await vigil(args);
      assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
      for (const o of json(r.stdout, 'single')) checkJsonStyle(o, args.join(' '));
    }
    const lists: [string[], number][] = [
      [['command', 'list', 'truck-cons-01', '--json'], 2],
      [['claims', 'list', '--json'], 0],
      [['claims', 'batches', '--json'], 1],
      [['claims', 'quarantine', '--json'], 0],
    ];
    for (const [args, atLeast] of lists) {
      const r = await vigil(args);
      assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
      const objects = json(r.stdout, 'list');
      assert.ok(objects.length >= atLeast, `${args.join(' ')}: ${objects.length}`);
      for (const o of objects) checkJsonStyle(o, args.join(' '));
    }
  });

  it('readings --follow prints each reading the running server commits, late (backfilled) ones too, until Ctrl-C', async () => {
    const b = await inst.addDevice('truck-follow-01');
    const c = await connectDevice(inst.url, b);
    try {
      const t0 = Date.now();
      await send(
        c,
        b.info.id,
        makeEnvelope(b, 'telemetry', { samples: [truckSample(t0 - 1000, 4.1)] }, { seq: 1 }),
      );
      const f = spawnVigil(['readings', 'truck-follow-01', '--follow', '--json', '--limit', '1'], {
        dataDir: inst.dataDir,
      });
      await f.waitFor(/following truck-follow-01/, 30_000, 'stderr');
      await send(c, b.info.id, makeEnvelope(b, 'telemetry', { samples: [truckSample(t0, 4.2)] }, { seq: 2 }));
      // Buffered by the logger for an hour: stored as backfill, printed when it arrives.
      const late = t0 - 3_600_000;
      await send(
        c,
        b.info.id,
        makeEnvelope(b, 'telemetry', { samples: [truckSample(late, 9.5)] }, { seq: 3 }),
      );
      await f.waitFor(/"seq":3/, 15_000);
      const r = await f.stop();
      assert.equal(r.code, 0, r.stderr);
      const rows = json(r.stdout, 'list');
      assert.deepEqual(
        rows.map((x) => [x.seq, x.backfill, (x.data as { temp_c: number }).temp_c]),
        [
          [1, false, 4.1],
          [2, false, 4.2],
          [3, true, 9.5],
        ],
      );
      assert.equal(rows[2]?.ts, new Date(late).toISOString());
    } finally {
      await closeClient(c);
    }
  });

  it('alarms --follow prints each alarm change (raised, acknowledged) as it happens', async () => {
    const f = spawnVigil(['alarms', '--follow', '--json', '--subject', 'probe-follow-01'], {
      dataDir: inst.dataDir,
    });
    await f.waitFor(/following alarm changes/, 30_000, 'stderr');
    const now = Date.now();
    const { alarm } = await inst.server.alarms.open(
      {
        rule: 'freeze',
        subject: 'probe-follow-01',
        startedAt: now - 60_000,
        raisedAt: now,
        severity: 'critical',
        message: 'at or below -0.5 °C',
      },
      now,
    );
    await f.waitFor(/"state":"open"/, 15_000);
    await inst.server.alarms.acknowledge(alarm.id, {
      by: 'user:quinn',
      at: Date.now() + 5,
      reason: 'moved to the backup freezer',
      meaning: 'reviewed',
    });
    await f.waitFor(/"state":"acknowledged"/, 15_000);
    const r = await f.stop();
    assert.equal(r.code, 0, r.stderr);
    const rows = json(r.stdout, 'list');
    assert.deepEqual(
      rows.map((a) => [a.id, a.state]),
      [
        [alarm.id, 'open'],
        [alarm.id, 'acknowledged'],
      ],
    );
    for (const a of rows) checkJsonStyle(a, 'alarms --follow');
  });

  it('output closed by its reader (vigil readings ... | head) ends quietly with exit 0', async () => {
    await inst.addDevice('probe-pipe-01', 'temperature-probe');
    await inst.ctx.store.writeBatch({
      readings: Array.from({ length: 3000 }, (_, i) => sampleReading('probe-pipe-01', i + 1)),
      messages: [],
      replayStates: [],
      lastSeen: [],
    });
    const child = spawn(
      process.execPath,
      [BIN, 'readings', 'probe-pipe-01', '--json', '--limit', '3000', '--data-dir', inst.dataDir],
      {
        env: vigilEnv(),
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    // Like `head -1`: read the first chunk, then close the pipe.
    child.stdout.once('data', () => child.stdout.destroy());
    const r = await collect(child);
    assert.equal(r.code, 0);
    assert.equal(r.stderr, '', 'no EPIPE stack trace');
  });

  it('output that cannot be written (a full disk) is a plain error, exit 1', {
    skip: !existsSync('/dev/full'),
  }, async () => {
    const child = spawn(process.execPath, [BIN, 'audit', '--json', '--data-dir', inst.dataDir], {
      env: vigilEnv(),
      stdio: ['ignore', openSync('/dev/full', 'w'), 'pipe'],
    });
    const r = await collect(child);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^vigil: cannot write the output: no space left on the device \(ENOSPC\)\n$/);
  });

  it('an unreachable broker is an error of the environment, exit 1, never "internal error (a bug)"', async () => {
    const port = await freePort();
    mkdirSync(join(inst.dataDir, 'sim'), { recursive: true });
    const r = await vigil(
      [
        'sim',
        '--devices',
        '1',
        '--profile',
        'temperature-probe',
        '--duration',
        '1s',
        '--broker',
        `mqtts://127.0.0.1:${port}`,
      ],
      60_000,
    );
    assert.equal(r.code, 1, r.stderr);
    assert.match(
      r.stderr,
      new RegExp(
        `no connection to mqtts://127\\.0\\.0\\.1:${port} within 15 s \\(connect ECONNREFUSED 127\\.0\\.0\\.1:${port}\\) \\[VIGIL_ERR_UNAVAILABLE\\]`,
      ),
    );
    assert.doesNotMatch(r.stderr, /internal error|\n\s+at /);
  });
});
