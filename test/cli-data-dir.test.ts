/**
 * The CLI never surprises with the data directory: only `vigil start` and `vigil init` create
 * one, nothing changes the mode of a directory Vigil did not create, and `vigil start` checks
 * what can fail (ports included) before it writes anything. Real `bin/vigil` processes.
 */
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { freePort, runVigil, spawnVigil } from './helpers/run-vigil.ts';

const root = mkdtempSync(join(tmpdir(), 'vigil-cli-dir-'));
after(() => rmSync(root, { recursive: true, force: true }));

const mode = (p: string) => statSync(p).mode & 0o777;
const listing = (p: string) => readdirSync(p, { recursive: true }).map(String).sort();

/** A directory of someone else's (like /etc): files that are not Vigil's, mode 0755. */
function foreignDir(name: string): string {
  const dir = join(root, name);
  mkdirSync(dir);
  chmodSync(dir, 0o755);
  writeFileSync(join(dir, 'hosts'), '127.0.0.1 localhost\n');
  return dir;
}

/** A data directory made ready for a first start on loopback only. */
function loopbackDir(name: string): string {
  const dir = join(root, name);
  mkdirSync(dir, { mode: 0o700 });
  writeFileSync(
    join(dir, 'config.json'),
    JSON.stringify({ mqtt: { host: '127.0.0.1' }, http: { host: '127.0.0.1' } }),
  );
  return dir;
}

const READ_COMMANDS = [
  ['device', 'list'],
  ['device', 'show', 'truck-0001'],
  ['device', 'revoke', 'truck-0001', '--yes'],
  ['readings', 'truck-0001'],
  ['alarms'],
  ['audit'],
  ['audit', 'verify'],
  ['user', 'list'],
  ['shipment', 'list'],
  ['report', 'key'],
];

describe('data directory safety', () => {
  it('a command other than start and init on a foreign directory says so (exit 1) and writes or chmods nothing', async () => {
    const dir = foreignDir('etc');
    const before = listing(dir);
    for (const args of READ_COMMANDS) {
      const r = await runVigil(args, { dataDir: dir });
      assert.equal(r.code, 1, `${args.join(' ')}: ${r.stderr}`);
      assert.match(
        r.stderr,
        /not a Vigil data directory: .* has no Vigil database.*\[VIGIL_ERR_NO_DATA_DIR\]/,
      );
      assert.equal(r.stdout, '');
    }
    assert.deepEqual(listing(dir), before, 'no master key, database or pki/ written');
    assert.equal(mode(dir), 0o755, 'mode unchanged');
  });

  it('a missing path is not created, and the message says how to create one', async () => {
    const dir = join(root, 'missing', 'vigil-data');
    const r = await runVigil(['device', 'list'], { dataDir: dir });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /does not exist; create one with "vigil init --data-dir .*missing\/vigil-data"/);
    assert.deepEqual(readdirSync(root).includes('missing'), false);
  });

  it('suggests the data directory the user probably meant', async () => {
    const parent = join(root, 'srv');
    mkdirSync(parent, { mode: 0o700 });
    const init = await runVigil(['init', '--json'], { dataDir: join(parent, 'vigil') });
    assert.equal(init.code, 0, init.stderr);
    for (const wrong of [parent, join(parent, 'vigil', 'pki')]) {
      const r = await runVigil(['device', 'list'], { dataDir: wrong });
      assert.equal(r.code, 1);
      assert.ok(r.stderr.includes(`did you mean --data-dir ${join(parent, 'vigil')}?`), r.stderr);
    }
  });

  it('init creates a private data directory once, with the admin password in a block of its own', async () => {
    const dir = join(root, 'fresh', 'data');
    const r = await runVigil(['init'], { dataDir: dir, env: { VIGIL_MASTER_KEY: '' } });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(mode(dir), 0o700);
    assert.equal(mode(join(dir, 'master.key')), 0o600);
    assert.equal(mode(join(dir, 'pki')), 0o700);
    assert.match(
      r.stdout,
      /created master key .*\n(?:.*\n)*\n={72}\n {2}first sign-in: user admin, one-time password [0-9a-z-]{23}\n/,
    );
    assert.match(r.stdout, /\n={72}\n\nnext: vigil start --data-dir /);
    assert.equal(r.stderr, '');
    const again = await runVigil(['init'], { dataDir: dir, env: { VIGIL_MASTER_KEY: '' } });
    assert.equal(again.code, 0);
    assert.match(again.stdout, /already a Vigil data directory; nothing to create/);
    assert.doesNotMatch(again.stdout, /one-time password/);
    const list = await runVigil(['user', 'list', '--json'], { dataDir: dir, env: { VIGIL_MASTER_KEY: '' } });
    assert.equal(list.code, 0, list.stderr);
    assert.equal(JSON.parse(list.stdout).name, 'admin');
  });

  it('init and start refuse a directory holding other files, and one open to other users, changing nothing', async () => {
    const foreign = foreignDir('home');
    const before = listing(foreign);
    for (const args of [['init'], ['start']]) {
      const r = await runVigil(args, { dataDir: foreign });
      assert.equal(r.code, 1, r.stderr);
      assert.match(
        r.stderr,
        /holds files that are not Vigil's \(hosts\); a data directory needs a directory of its own/,
      );
    }
    assert.deepEqual(listing(foreign), before);
    assert.equal(mode(foreign), 0o755);

    const open = join(root, 'open');
    mkdirSync(open);
    chmodSync(open, 0o755);
    const r = await runVigil(['init'], { dataDir: open });
    assert.equal(r.code, 1);
    assert.match(
      r.stderr,
      /is open to other users \(mode 0755\).*; fix: chmod 700 .*open \[VIGIL_ERR_DATA_DIR\]/,
    );
    assert.deepEqual(readdirSync(open), []);
    assert.equal(mode(open), 0o755, 'Vigil never changes the mode of a directory it did not create');
  });

  it('a malformed VIGIL_MASTER_KEY stops init before anything is written', async () => {
    const dir = join(root, 'badkey');
    const r = await runVigil(['init'], { dataDir: dir, env: { VIGIL_MASTER_KEY: 'short' } });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /VIGIL_MASTER_KEY must be 32 bytes.*\[VIGIL_ERR_MASTER_KEY\]/);
    assert.equal(readdirSync(root).includes('badkey'), false);
  });
});

describe('vigil start checks before it creates', () => {
  let taken: Server | undefined;
  after(() => taken?.close());

  it('a taken port is a plain error naming the port and its key (exit 1); nothing is created; the next start prints the admin password', async () => {
    const dir = loopbackDir('start');
    const [mqttPort, httpPort] = [await freePort(), await freePort()];
    taken = createServer();
    await new Promise<void>((r) => taken?.listen(httpPort, '127.0.0.1', () => r()));
    const failed = await runVigil(
      ['start', '--mqtt-port', String(mqttPort), '--http-port', String(httpPort)],
      {
        dataDir: dir,
      },
    );
    assert.equal(failed.code, 1, failed.stderr);
    assert.equal(
      failed.stderr.trim(),
      `vigil start: port already in use: port ${httpPort} (http.port) is already in use on 127.0.0.1:${httpPort}; stop the program using it, or choose another with --http-port N or http.port in config.json [VIGIL_ERR_PORT_IN_USE]`,
    );
    assert.doesNotMatch(failed.stderr, /internal error|\bat .*\.ts:\d+/);
    assert.deepEqual(readdirSync(dir), ['config.json'], 'nothing created');
    await new Promise<void>((r) => taken?.close(() => r()));
    taken = undefined;

    const first = spawnVigil(['start', '--mqtt-port', String(mqttPort), '--http-port', String(httpPort)], {
      dataDir: dir,
    });
    await first.waitFor(/press Ctrl-C to stop/);
    const r = await first.stop();
    assert.equal(r.code, 0, r.stderr);
    const block =
      /\n\n={72}\n {2}first sign-in: user admin, one-time password ([0-9a-z-]{23})\n.*\n.*\n={72}\n\n/.exec(
        r.stdout,
      );
    assert.ok(block, r.stdout);
    assert.doesNotMatch(r.stderr, new RegExp(block[1] ?? 'x'), 'the password never reaches the logs');

    // The admin never signed in: every start says how to get a new password.
    const second = spawnVigil(['start', '--mqtt-port', String(mqttPort), '--http-port', String(httpPort)], {
      dataDir: dir,
    });
    await second.waitFor(/press Ctrl-C to stop/);
    const r2 = await second.stop();
    assert.equal(r2.code, 0, r2.stderr);
    assert.doesNotMatch(r2.stdout, /one-time password [0-9a-z]{5}-/);
    assert.match(r2.stdout, /user admin has not signed in yet.*lost it\? vigil user reset-password admin/);
  });

  it('refuses mqtt.port equal to http.port before creating anything', async () => {
    const dir = loopbackDir('same-port');
    const port = await freePort();
    const r = await runVigil(['start', '--mqtt-port', String(port), '--http-port', String(port)], {
      dataDir: dir,
    });
    assert.equal(r.code, 1);
    assert.match(
      r.stderr,
      /mqtt.port and http.port are both \d+; give them different ports \[VIGIL_ERR_CONFIG\]/,
    );
    assert.deepEqual(readdirSync(dir), ['config.json']);
  });
});
