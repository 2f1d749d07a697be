import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { MASTER_KEY_HEX } from './instance.ts';

const BIN = fileURLToPath(new URL('../../bin/vigil', import.meta.url));

/** What a `vigil` run printed and how it ended. */
export interface VigilRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs `bin/vigil ARGS` in a child process, as an operator would, with the tests' master key and
 * warnings-only logs. With `dataDir`, `--data-dir` is appended; `VIGIL_DATA_DIR` of the test
 * runner's environment is never passed on. Killed after `timeoutMs`.
 */
export function runVigil(
  args: string[],
  o: { dataDir?: string; timeoutMs?: number; masterKeyHex?: string } = {},
): Promise<VigilRun> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    VIGIL_MASTER_KEY: o.masterKeyHex ?? MASTER_KEY_HEX,
    VIGIL_LOG_LEVEL: 'warn',
  };
  delete env.VIGIL_DATA_DIR;
  const argv = o.dataDir === undefined ? args : [...args, '--data-dir', o.dataDir];
  const child = spawn(process.execPath, [BIN, ...argv], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => {
    stdout += d;
  });
  child.stderr.on('data', (d) => {
    stderr += d;
  });
  return new Promise((resolve) => {
    const t = setTimeout(() => child.kill('SIGKILL'), o.timeoutMs ?? 60_000);
    child.on('exit', (code) => {
      clearTimeout(t);
      resolve({ code, stdout, stderr });
    });
  });
}
