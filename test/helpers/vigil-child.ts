/**
 * `bin/vigil start` in a child process, as an operator runs it, so that a test can kill it (-9)
 * mid-stream and start it again on the same data directory.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { MASTER_KEY_HEX } from './instance.ts';

const BIN = fileURLToPath(new URL('../../bin/vigil', import.meta.url));

export interface VigilChild {
  output(): string;
  /** Resolves once it printed `vigil started`; rejects if it exits first or after `timeoutMs`. */
  started(timeoutMs?: number): Promise<void>;
  kill9(): Promise<void>;
  /** Sends a signal (SIGSTOP / SIGCONT: stall the process as an overloaded machine would). */
  signal(sig: NodeJS.Signals): void;
  /** SIGTERM and wait for the exit code. */
  stop(): Promise<number | null>;
}

export function startVigilChild(args: string[], env: NodeJS.ProcessEnv = {}): VigilChild {
  // Concurrent test servers must not share the default firmware download port (ota.port).
  const argv = args.includes('--ota-port') ? args : [...args, '--ota-port', '0'];
  const child: ChildProcess = spawn(process.execPath, [BIN, 'start', ...argv], {
    env: { ...process.env, VIGIL_MASTER_KEY: MASTER_KEY_HEX, VIGIL_LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => {
    out += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    out += d.toString();
  });
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return {
    output: () => out,
    async started(timeoutMs = 60_000) {
      const deadline = Date.now() + timeoutMs;
      while (!out.includes('vigil started')) {
        if (child.exitCode !== null)
          throw new Error(`vigil exited (${child.exitCode}):\n${out.slice(-3000)}`);
        if (Date.now() > deadline) throw new Error(`vigil did not start:\n${out.slice(-3000)}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    async kill9() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
    signal(sig) {
      if (child.exitCode === null && child.signalCode === null) child.kill(sig);
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 30_000);
      const code = await exited;
      clearTimeout(t);
      return code;
    },
  };
}
