/**
 * A real Eclipse Mosquitto 2.x for the tests, started from a directory written by
 * `vigil mosquitto-config` (its own loopback port, its own persistence directory). It can be
 * stopped cleanly (SIGTERM: Mosquitto saves its store), killed (-9) and started again on the same
 * port and store.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { after } from 'node:test';
import { mosquittoConfigCommand } from '../../src/cli/commands/mosquitto-config.ts';
import { type PgServer, postgresOrSkip } from '../../src/storage/adapters/postgres-server.fixture.ts';
import { MASTER_KEY_HEX } from './instance.ts';

export const MOSQUITTO = '/usr/sbin/mosquitto';

export function mosquittoInstalled(): boolean {
  return existsSync(MOSQUITTO);
}

/** A free TCP port on 127.0.0.1 (closed again before it is returned). */
/**
 * PostgreSQL for a suite of Vigil workers behind Mosquitto, stopped after the file; or, as `skip`,
 * why the suite cannot run here (no Mosquitto, or no PostgreSQL outside CI).
 */
export async function postgresBehindMosquitto(): Promise<{ pg: PgServer | undefined; skip: string | false }> {
  const pgs = mosquittoInstalled() ? await postgresOrSkip() : 'skipped: mosquitto not installed';
  if (typeof pgs === 'string') return { pg: undefined, skip: pgs };
  after(() => pgs.stop());
  return { pg: pgs, skip: false };
}

export function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

export interface MosquittoProcess {
  readonly dir: string;
  log(): string;
  start(): Promise<void>;
  /** SIGTERM and wait: Mosquitto writes its store on a clean stop. */
  stop(): Promise<void>;
  /** SIGKILL: nothing written since the last autosave survives. */
  kill9(): Promise<void>;
  running(): boolean;
}

/** A Mosquitto on the configuration in `dir` (mosquitto.conf written by `vigil mosquitto-config`). */
export function mosquittoProcess(dir: string): MosquittoProcess {
  let child: ChildProcess | undefined;
  let log = '';
  const exited = () =>
    new Promise<void>((r) => {
      if (!child || child.exitCode !== null || child.signalCode !== null) r();
      else child.once('exit', () => r());
    });
  const p: MosquittoProcess = {
    dir,
    log: () => log,
    running: () => child !== undefined && child.exitCode === null && child.signalCode === null,
    async start() {
      const mark = log.length;
      child = spawn(MOSQUITTO, ['-c', join(dir, 'mosquitto.conf')], { stdio: ['ignore', 'pipe', 'pipe'] });
      const onData = (d: Buffer) => {
        log += d.toString();
      };
      child.stdout?.on('data', onData);
      child.stderr?.on('data', onData);
      const deadline = Date.now() + 10_000;
      while (!/ running/.test(log.slice(mark))) {
        if (child.exitCode !== null) throw new Error(`mosquitto exited:\n${log.slice(mark)}`);
        if (Date.now() > deadline) throw new Error(`mosquitto did not start:\n${log.slice(mark)}`);
        await new Promise((r) => setTimeout(r, 25));
      }
    },
    async stop() {
      if (!p.running()) return;
      const done = exited();
      child?.kill('SIGTERM');
      const t = setTimeout(() => child?.kill('SIGKILL'), 10_000);
      await done;
      clearTimeout(t);
    },
    async kill9() {
      if (!p.running()) return;
      const done = exited();
      child?.kill('SIGKILL');
      await done;
    },
  };
  return p;
}

/**
 * Runs `vigil mosquitto-config` in-process: the broker's files for the data directory `dataDir`
 * into `outDir`, listening on 127.0.0.1:`port`. Started as root, Mosquitto would switch to the
 * `mosquitto` user, which cannot read a root-owned temporary directory; tests keep it as root.
 * Throws with the command's output when it fails.
 */
export async function writeMosquittoConfig(dataDir: string, outDir: string, port: number): Promise<void> {
  const out: string[] = [];
  const argv = ['--data-dir', dataDir, '--out', outDir, '--port', String(port), '--host', '127.0.0.1'];
  if (process.getuid?.() === 0) argv.push('--user', 'root');
  const io = {
    out: (l: string) => out.push(l),
    err: (l: string) => out.push(l),
    env: { VIGIL_MASTER_KEY: MASTER_KEY_HEX },
    signal: new AbortController().signal,
  };
  if ((await mosquittoConfigCommand(argv, io)) !== 0) throw new Error(`mosquitto-config: ${out.join('\n')}`);
}
