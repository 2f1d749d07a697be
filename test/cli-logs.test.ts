/**
 * Logs for people (`vigil start`): HTTP requests are logged at debug, not info; the periodic
 * status line goes to stdout only when a person watches a terminal; the first admin's one-time
 * password is one block of its own, never mixed with the JSON log lines.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { freePort, spawnVigil } from './helpers/run-vigil.ts';

const root = mkdtempSync(join(tmpdir(), 'vigil-cli-logs-'));
after(() => rmSync(root, { recursive: true, force: true }));

/** A fresh data directory for a loopback-only start with a fast status line. */
function dataDir(name: string): string {
  const dir = join(root, name);
  mkdirSync(dir, { mode: 0o700 });
  writeFileSync(
    join(dir, 'config.json'),
    JSON.stringify({
      mqtt: { host: '127.0.0.1' },
      http: { host: '127.0.0.1' },
      log: { statusIntervalMs: 200 },
    }),
  );
  return dir;
}

async function ports(): Promise<string[]> {
  return ['--mqtt-port', String(await freePort()), '--http-port', String(await freePort())];
}

function get(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { rejectUnauthorized: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end();
  });
}

const STATUS_LINE = /^\[\d{4}-\d\d-\d\dT[\d:.]+Z\] clients \d+ \| accepted \d+/m;

/** The JSON log lines of a run. */
const logLines = (text: string) =>
  text
    .split(/\r?\n/)
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as { level: number; msg: string; req?: { url: string } });

describe('logs for people', () => {
  it('logs HTTP requests at debug: none at info, each one at debug', async () => {
    for (const level of ['info', 'debug']) {
      const args = await ports();
      const v = spawnVigil(['start', ...args], {
        dataDir: dataDir(`http-${level}`),
        env: { VIGIL_LOG_LEVEL: level },
      });
      await v.waitFor(/press Ctrl-C to stop/);
      for (let i = 0; i < 3; i++) assert.equal(await get(`https://127.0.0.1:${args[3]}/healthz`), 200);
      const r = await v.stop();
      assert.equal(r.code, 0, r.stderr);
      const lines = logLines(r.stderr);
      assert.ok(
        lines.some((l) => /listening/.test(l.msg)),
        'the server logs at info',
      );
      const requests = lines.filter((l) => l.msg === 'incoming request' || l.msg === 'request completed');
      if (level === 'info') assert.deepEqual(requests, []);
      else {
        assert.equal(requests.filter((l) => l.req?.url === '/healthz').length, 3);
        assert.ok(
          requests.every((l) => l.level === 20),
          'at debug (20)',
        );
      }
    }
  });

  it('prints the status line only when stdout is a terminal', async () => {
    const piped = spawnVigil(['start', ...(await ports())], { dataDir: dataDir('piped') });
    await piped.waitFor(/press Ctrl-C to stop/);
    // Ten status intervals: a status line would have been printed by now.
    await new Promise((r) => setTimeout(r, 2000));
    const p = await piped.stop();
    assert.equal(p.code, 0, p.stderr);
    assert.doesNotMatch(p.stdout, STATUS_LINE);

    const tty = spawnVigil(['start', ...(await ports())], {
      dataDir: dataDir('tty'),
      terminal: true,
      env: { VIGIL_LOG_LEVEL: 'info' },
    });
    const started = await tty.waitFor(/vigil started \(pid \d+\)/);
    await tty.waitFor(STATUS_LINE, 30_000);
    // `script` runs vigil in a session of its own: Ctrl-C is sent to vigil itself.
    process.kill(Number(/\d+/.exec(started)?.[0]), 'SIGINT');
    const t = await tty.stop();
    assert.equal(t.code, 0, t.stdout);

    // The one-time password: one block, blank lines around it, no JSON log line inside, on the
    // terminal where the JSON logs are shown too.
    const lines = t.stdout.split(/\r?\n/);
    const first = lines.findIndex((l) => /^={72}$/.test(l));
    assert.ok(first > 0, t.stdout);
    assert.equal(lines[first - 1], '');
    assert.match(lines[first + 1] ?? '', /^ {2}first sign-in: user admin, one-time password [0-9a-z-]{23}$/);
    assert.match(lines[first + 2] ?? '', /^ {2}shown once/);
    assert.match(
      lines[first + 3] ?? '',
      /^ {2}and TOTP enrolled .* Lost it\? vigil user reset-password admin$/,
    );
    assert.match(lines[first + 4] ?? '', /^={72}$/);
    assert.equal(lines[first + 5], '');
    assert.ok(logLines(t.stdout).length > 0, 'JSON logs were on the same terminal');
  });
});
