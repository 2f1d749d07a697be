/**
 * `bin/vigil` works from a shell whose Node is older than the pinned Node 24 (CI machines have
 * Node 20): it runs the command on the pinned Node, with the same terminal, exit status and
 * signals. And `npm ci` prepares everything `bin/vigil start` serves (the dashboard build).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { after, describe, it } from 'node:test';
import { BIN, collect, freePort, runVigil, spawnVigil, vigilEnv } from './helpers/run-vigil.ts';

const ROOT = new URL('..', import.meta.url).pathname;
const PINNED = join(ROOT, 'node_modules', 'node', 'bin', 'node');

/** A Node older than 24 on this machine (the system's), or undefined. */
function olderNode(): string | undefined {
  const dirs = [
    ...(process.env.PATH ?? '').split(delimiter).filter((d) => !d.includes('node_modules')),
    '/usr/bin',
    '/usr/local/bin',
  ];
  for (const d of dirs) {
    const p = join(d, 'node');
    if (!existsSync(p)) continue;
    try {
      const v = execFileSync(p, ['-p', 'process.versions.node'], { encoding: 'utf8' }).trim();
      if (Number(v.split('.')[0]) < 24) return p;
    } catch {
      // not runnable
    }
  }
  return undefined;
}

const OLD = olderNode();
const root = mkdtempSync(join(tmpdir(), 'vigil-launcher-'));
after(() => rmSync(root, { recursive: true, force: true }));

describe('bin/vigil on an older Node', {
  skip: OLD ? false : 'no Node older than 24 on this machine',
}, () => {
  const old = OLD as string;

  it('runs the command on the pinned Node 24, also through its #! line', async () => {
    assert.ok(existsSync(PINNED), 'npm ci installed the pinned Node');
    const direct = await runVigil(['--version'], { node: old });
    assert.equal(direct.code, 0, direct.stderr);
    assert.match(direct.stdout, /^vigil \S+ \(Node v24\.\d+\.\d+\)\n$/);

    // As typed in a shell whose `node` is the old one: #!/usr/bin/env node finds it first.
    const { spawn } = await import('node:child_process');
    const child = spawn(BIN, ['--version'], {
      env: vigilEnv({ PATH: [dirname(old), '/usr/bin', '/bin'].join(delimiter) }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const shell = await collect(child);
    assert.equal(shell.code, 0, shell.stderr);
    assert.match(shell.stdout, /\(Node v24\./);
  });

  it('passes the exit status and the error message through', async () => {
    const r = await runVigil(['frobnicate'], { node: old });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /unknown command "frobnicate"/);
  });

  it('a SIGTERM to the launcher, or a Ctrl-C reaching both processes, stops vigil start gracefully once', async () => {
    const dir = join(root, 'data');
    mkdirSync(dir, { mode: 0o700 });
    writeFileSync(
      join(dir, 'config.json'),
      JSON.stringify({ mqtt: { host: '127.0.0.1' }, http: { host: '127.0.0.1' } }),
    );
    const ports = ['--mqtt-port', String(await freePort()), '--http-port', String(await freePort())];

    const a = spawnVigil(['start', ...ports], { dataDir: dir, node: old });
    await a.waitFor(/press Ctrl-C to stop/, 60_000);
    const ra = await a.stop('SIGTERM');
    assert.equal(ra.code, 0, ra.stderr);
    assert.match(ra.stdout, /stopping\.\.\.\nstopped\n$/);

    const b = spawnVigil(['start', ...ports], { dataDir: dir, node: old });
    const pid = Number(
      /vigil started \(pid (\d+)\)/.exec(await b.waitFor(/vigil started \(pid \d+\)/, 60_000))?.[1],
    );
    await b.waitFor(/press Ctrl-C to stop/);
    assert.notEqual(pid, b.child.pid, 'vigil runs in the child on the pinned Node');
    // What a terminal does on Ctrl-C: SIGINT to every process of the foreground group.
    process.kill(pid, 'SIGINT');
    const rb = await b.stop('SIGINT');
    assert.equal(rb.code, 0, rb.stderr);
    assert.equal(rb.stdout.match(/stopping\.\.\./g)?.length, 1);
    assert.match(rb.stdout, /stopped\n$/);
  });
});

describe('npm ci prepares what bin/vigil start serves', () => {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));

  it('builds the dashboard on install (prepare), so bin/vigil start serves it without npm start', () => {
    assert.equal(pkg.scripts.prepare, 'npm run build:web');
    assert.match(pkg.scripts['build:web'], /^vite build web\b/);
  });

  it('declares the Node that installing really needs: npm ci runs on Node 20, Vigil on the pinned 24', () => {
    assert.equal(pkg.engines.node, '>=20');
    // A production dependency, so that an installed package (npm install vigil-x.tgz) brings it too.
    assert.match(pkg.dependencies.node, /^\^24\./);
    assert.equal(pkg.devDependencies.node, undefined);
    const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8'));
    assert.deepEqual(lock.packages[''].engines, pkg.engines);
  });
});
