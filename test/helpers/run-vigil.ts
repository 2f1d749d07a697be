import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { MASTER_KEY_HEX } from './instance.ts';

export const BIN = fileURLToPath(new URL('../../bin/vigil', import.meta.url));

/** What a `vigil` run printed and how it ended. */
export interface VigilRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  dataDir?: string;
  timeoutMs?: number;
  /** Written to stdin (then closed); by default stdin is empty. */
  input?: string;
  /** Extra environment (VIGIL_DATA_DIR of the test runner is never passed on). */
  env?: NodeJS.ProcessEnv;
  /** The Node that runs bin/vigil; default the test runner's. */
  node?: string;
  /** The key comes from <data-dir>/master.key, as on an installation without VIGIL_MASTER_KEY. */
  masterKeyFile?: boolean;
}

/**
 * The environment of a `vigil` child: the tests' master key (none with `masterKeyFile`),
 * warnings-only logs.
 */
export function vigilEnv(extra: NodeJS.ProcessEnv = {}, masterKeyFile = false): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    VIGIL_MASTER_KEY: MASTER_KEY_HEX,
    VIGIL_LOG_LEVEL: 'warn',
    ...extra,
  };
  if (!('VIGIL_DATA_DIR' in extra)) delete env.VIGIL_DATA_DIR;
  if (masterKeyFile) delete env.VIGIL_MASTER_KEY;
  return env;
}

/** Collects a child's output and resolves when it exits; SIGKILL after `timeoutMs`. */
export function collect(child: ChildProcess, timeoutMs = 60_000): Promise<VigilRun> {
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d) => {
    stdout += d;
  });
  child.stderr?.on('data', (d) => {
    stderr += d;
  });
  return new Promise((resolve) => {
    const t = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code) => {
      clearTimeout(t);
      resolve({ code, stdout, stderr });
    });
  });
}

/**
 * Runs `bin/vigil ARGS` in a child process, as an operator would, with the tests' master key and
 * warnings-only logs; stdin, stdout and stderr are pipes (no terminal). With `dataDir`,
 * `--data-dir` is appended. Killed after `timeoutMs`.
 */
/** The arguments as run: `--data-dir`, and a free firmware download port for `start`. */
function argvOf(args: string[], o: RunOptions): string[] {
  // Concurrent test servers must not share the default firmware download port (ota.port).
  const a = args[0] === 'start' && !args.includes('--ota-port') ? [...args, '--ota-port', '0'] : args;
  return o.dataDir === undefined ? a : [...a, '--data-dir', o.dataDir];
}

export function runVigil(args: string[], o: RunOptions = {}): Promise<VigilRun> {
  const argv = argvOf(args, o);
  const child = spawn(o.node ?? process.execPath, [BIN, ...argv], {
    env: vigilEnv(o.env, o.masterKeyFile),
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  child.stdin.end(o.input ?? '');
  return collect(child, o.timeoutMs);
}

const shellQuote = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`;

/**
 * Runs `bin/vigil ARGS` on a pseudo-terminal (util-linux `script`), as typed in a shell: stdin and
 * stdout are a terminal, and `input` is typed once the prompt (`waitFor`) appears. `stdout` holds
 * everything the terminal showed (stderr and the echo of what was typed included).
 */
export function runVigilInTerminal(
  args: string[],
  o: RunOptions & { waitFor?: RegExp } = {},
): Promise<VigilRun> {
  const argv = argvOf(args, o);
  const command = [process.execPath, BIN, ...argv].map(shellQuote).join(' ');
  const child = spawn('script', ['-qfec', command, '/dev/null'], {
    env: { ...vigilEnv(o.env, o.masterKeyFile), SHELL: '/bin/sh' },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let typed = false;
  let seen = '';
  child.stdout.on('data', (d) => {
    // `collect` gathers the text too; type the answer once the question is on screen.
    seen += d;
    if (!typed && o.input !== undefined && (o.waitFor ?? /\[y\/N\]/).test(seen)) {
      typed = true;
      child.stdin.write(o.input);
    }
  });
  const run = collect(child, o.timeoutMs);
  // stdin stays open until the end: `script` passes its end on to the terminal as ^D.
  void run.then(() => child.stdin.destroy());
  return run;
}

/** A port free on 127.0.0.1 right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/** A running `vigil start` (or other long-running command) in a child process. */
export interface RunningVigil {
  child: ChildProcess;
  /** Everything printed so far. */
  output(): { stdout: string; stderr: string };
  /** Resolves once stdout (or stderr) matches (rejects when the process ends first or after `timeoutMs`). */
  waitFor(re: RegExp, timeoutMs?: number, stream?: 'stdout' | 'stderr'): Promise<string>;
  /** SIGINT (Ctrl-C), then the run; SIGKILL if it does not end in time. */
  stop(signal?: NodeJS.Signals): Promise<VigilRun>;
  /** Resolves when it ends by itself. */
  done: Promise<VigilRun>;
}

/**
 * Starts `bin/vigil ARGS` and returns at once: stdin a pipe and no terminal, or with `terminal`
 * on a pseudo-terminal (util-linux `script`; stdout then holds everything the terminal showed).
 */
export function spawnVigil(args: string[], o: RunOptions & { terminal?: boolean } = {}): RunningVigil {
  const argv = argvOf(args, o);
  const command = [o.node ?? process.execPath, BIN, ...argv];
  const child = o.terminal
    ? spawn('script', ['-qfec', command.map(shellQuote).join(' '), '/dev/null'], {
        env: { ...vigilEnv(o.env, o.masterKeyFile), SHELL: '/bin/sh' },
        stdio: ['pipe', 'pipe', 'pipe'],
      })
    : spawn(command[0] as string, command.slice(1), {
        env: vigilEnv(o.env, o.masterKeyFile),
        stdio: ['pipe', 'pipe', 'pipe'],
      });
  const done = collect(child, o.timeoutMs ?? 120_000);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => {
    stdout += d;
  });
  child.stderr.on('data', (d) => {
    stderr += d;
  });
  let ended = false;
  void done.then(() => {
    ended = true;
  });
  return {
    child,
    done,
    output: () => ({ stdout, stderr }),
    waitFor: async (re, timeoutMs = 30_000, stream = 'stdout') => {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const m = re.exec(stream === 'stdout' ? stdout : stderr);
        if (m) return m[0];
        if (ended) throw new Error(`vigil ended before printing ${re}:\n${stdout}\n${stderr}`);
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${re}:\n${stdout}\n${stderr}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    stop: async (signal = 'SIGINT') => {
      if (!ended) child.kill(signal);
      // A graceful stop drains and closes the stores: on a loaded machine it can take many
      // seconds. Only a real hang reaches the SIGKILL (and fails the caller's exit-code check).
      const t = setTimeout(() => child.kill('SIGKILL'), 60_000);
      const r = await done;
      clearTimeout(t);
      return r;
    },
  };
}
