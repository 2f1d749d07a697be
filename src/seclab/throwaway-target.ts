import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openContext, type VigilContext } from '../data-dir/context.ts';
import { VigilError } from '../errors.ts';
import type { Target } from './target.ts';

const BIN = fileURLToPath(new URL('../../bin/vigil', import.meta.url));
const START_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 20_000;

interface Running {
  child: ChildProcess;
  exited: Promise<number | null>;
  stderrTail: () => string;
}

/** Every child still running, killed if seclab itself exits without cleaning up. */
const children = new Set<ChildProcess>();
let exitHooked = false;

function spawnVigil(dataDir: string, env: NodeJS.ProcessEnv, ports: [number, number]): Running {
  if (!exitHooked) {
    exitHooked = true;
    process.once('exit', () => {
      for (const c of children) c.kill('SIGKILL');
    });
  }
  const child = spawn(
    process.execPath,
    // The firmware download port is not attacked: any free one, so a Vigil on this host keeps its own.
    [
      BIN,
      'start',
      '--data-dir',
      dataDir,
      '--mqtt-port',
      String(ports[0]),
      '--http-port',
      String(ports[1]),
      '--ota-port',
      '0',
    ],
    { env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  children.add(child);
  let tail = '';
  child.stderr?.on('data', (d: Buffer) => {
    tail = (tail + d.toString('utf8')).slice(-4000);
  });
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code) => {
      children.delete(child);
      resolve(code);
    });
  });
  return { child, exited, stderrTail: () => tail };
}

/** Waits for the `vigil start` banner and reads the ports it prints. */
function readPorts(r: Running): Promise<[number, number]> {
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => fail(new Error('no start banner within 60 s')), START_TIMEOUT_MS);
    const fail = (err: Error) => {
      clearTimeout(timer);
      reject(
        new VigilError(
          'VIGIL_ERR_INTERNAL',
          `throwaway vigil did not start: ${err.message}\n${r.stderrTail().slice(-1500)}`,
        ),
      );
    };
    r.exited.then((code) => fail(new Error(`exited with ${code}`)));
    r.child.stdout?.on('data', (d: Buffer) => {
      out += d.toString('utf8');
      const mqtt = /mqtts:\/\/localhost:(\d+)/.exec(out);
      const https = /https:\/\/localhost:(\d+)\//.exec(out);
      if (mqtt && https && /press Ctrl-C to stop/.test(out)) {
        clearTimeout(timer);
        resolve([Number(mqtt[1]), Number(https[1])]);
      }
    });
  });
}

/** A `vigil start` child process and the ports it listens on. */
export interface VigilProcess {
  mqttPort: number;
  httpPort: number;
  pid: number | null;
  stop(): Promise<void>;
}

/**
 * `vigil start --data-dir DIR` in a child process on the given ports (0: the system picks), once
 * its banner says it listens. The environment must carry the data directory's master key.
 */
export async function startVigilProcess(
  dataDir: string,
  env: NodeJS.ProcessEnv,
  ports: [number, number] = [0, 0],
): Promise<VigilProcess> {
  const r = spawnVigil(dataDir, env, ports);
  try {
    const [mqttPort, httpPort] = await readPorts(r);
    return { mqttPort, httpPort, pid: r.child.pid ?? null, stop: () => stopChild(r) };
  } catch (err) {
    await stopChild(r);
    throw err;
  }
}

async function stopChild(r: Running): Promise<void> {
  if (r.child.exitCode !== null || r.child.signalCode !== null) return;
  r.child.kill('SIGTERM');
  const t = setTimeout(() => r.child.kill('SIGKILL'), STOP_TIMEOUT_MS);
  await r.exited;
  clearTimeout(t);
}

/**
 * Seclab's own Vigil: `vigil start` in a child process on a fresh temporary data directory with a
 * random master key, listening on 127.0.0.1 on ports the system picks, logging to a file, every
 * other setting at its default (the defaults are what is attacked). Removed by `close()`.
 */
export async function startThrowawayTarget(): Promise<Target> {
  const dataDir = mkdtempSync(join(tmpdir(), 'vigil-seclab-'));
  const masterKey = randomBytes(32).toString('hex');
  const env: NodeJS.ProcessEnv = { ...process.env, VIGIL_MASTER_KEY: masterKey, VIGIL_LOG_LEVEL: 'info' };
  delete env.VIGIL_DATA_DIR;
  writeFileSync(
    join(dataDir, 'config.json'),
    `${JSON.stringify(
      {
        mqtt: { host: '127.0.0.1' },
        http: { host: '127.0.0.1' },
        log: { file: 'vigil.log' },
        // Revocations by seclab's own process are picked up quickly (the default polls every 1 s).
        pki: { crlPollMs: 250 },
      },
      null,
      2,
    )}\n`,
    { mode: 0o600 },
  );
  let proc: VigilProcess | undefined;
  let ctx: VigilContext | undefined;
  try {
    proc = await startVigilProcess(dataDir, env);
    const { mqttPort, httpPort } = proc;
    ctx = await openContext({ dataDir, env, logLevel: 'silent', createAdmin: false });
    const c = ctx;
    let cur = proc;
    const target: Target = {
      kind: 'throwaway',
      ctx: c,
      mqttPort,
      httpPort,
      mqttUrl: `mqtts://127.0.0.1:${mqttPort}`,
      httpUrl: `https://127.0.0.1:${httpPort}`,
      caPem: c.ca.certPem,
      pid: () => cur.pid,
      logFile: join(dataDir, 'vigil.log'),
      canRestart: true,
      restart: async () => {
        await cur.stop();
        cur = await startVigilProcess(dataDir, env, [mqttPort, httpPort]);
      },
      close: async () => {
        await cur.stop();
        await c.close().catch(() => {});
        rmSync(dataDir, { recursive: true, force: true });
      },
    };
    return target;
  } catch (err) {
    await proc?.stop();
    await ctx?.close().catch(() => {});
    rmSync(dataDir, { recursive: true, force: true });
    throw err;
  }
}
