/** `vigil start` as a child process on loopback, for suites that kill it or measure it from outside. */
import { type ChildProcess, spawn } from 'node:child_process';
import { BIN } from './run-vigil.ts';

export { freePort } from './run-vigil.ts';

export interface VigilProcess {
  child: ChildProcess;
  /** Everything it wrote to stderr (its JSON log), for failure messages. */
  output(): string;
}

/** Starts `vigil start` on the data dir (MQTT on `port`, HTTPS and firmware on free ports); resolves once it listens. */
export function startVigil(dataDir: string, port: number, env: NodeJS.ProcessEnv): Promise<VigilProcess> {
  const child = spawn(
    process.execPath,
    [BIN, 'start', '--data-dir', dataDir, '--mqtt-port', String(port), '--http-port', '0', '--ota-port', '0'],
    { env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  let err = '';
  const keep = (s: string) => (s.length > 200_000 ? s.slice(-100_000) : s);
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`vigil did not start: ${out}${err}`));
    }, 30_000);
    child.stdout?.on('data', (d) => {
      out = keep(out + d);
      if (out.includes('press Ctrl-C')) {
        clearTimeout(t);
        resolve({ child, output: () => err });
      }
    });
    child.stderr?.on('data', (d) => {
      err = keep(err + d);
    });
    child.on('exit', (code) => {
      clearTimeout(t);
      reject(new Error(`vigil exited ${code}: ${out}${err}`));
    });
  });
}

/** SIGTERM, then waits for the exit (SIGKILL after `ms`). */
export async function stopVigil(p: VigilProcess, ms = 15_000): Promise<number | null> {
  if (p.child.exitCode !== null || p.child.signalCode !== null) return p.child.exitCode;
  const exited = new Promise<number | null>((r) => p.child.once('exit', (code) => r(code)));
  p.child.kill('SIGTERM');
  const t = setTimeout(() => p.child.kill('SIGKILL'), ms);
  try {
    return await exited;
  } finally {
    clearTimeout(t);
  }
}
