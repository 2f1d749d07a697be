import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Debian's nut-server binaries (the /usr/sbin wrappers refuse to run without /etc/nut/nut.conf). */
const UPSD = '/lib/nut/upsd';
const DUMMY = '/lib/nut/dummy-ups';

export const NUT_AVAILABLE = existsSync(UPSD) && existsSync(DUMMY);

/** A real upsd with the dummy-ups driver reading a file the test rewrites, in a temp dir. */
export interface NutServer {
  port: number;
  ups: string;
  username: string;
  password: string;
  /** Rewrites the driver's file: `ups.status`, `battery.charge`, `battery.runtime`. */
  setStatus(status: string, chargePct: number, runtimeS: number): void;
  /** Stops upsd only (the UPS becomes unreachable). */
  stopUpsd(): Promise<void>;
  stop(): Promise<void>;
}

function waitPort(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const tryOnce = () => {
      const s = connect({ host: '127.0.0.1', port });
      s.once('connect', () => {
        s.destroy();
        resolve();
      });
      s.once('error', () => {
        s.destroy();
        if (Date.now() > deadline) reject(new Error(`upsd not listening on ${port}`));
        else setTimeout(tryOnce, 100);
      });
    };
    tryOnce();
  });
}

function stopChild(c: ChildProcess): Promise<void> {
  if (c.exitCode !== null || c.signalCode !== null) return Promise.resolve();
  return new Promise((r) => {
    const t = setTimeout(() => c.kill('SIGKILL'), 3000);
    c.once('exit', () => {
      clearTimeout(t);
      r();
    });
    c.kill('SIGTERM');
  });
}

/**
 * Starts the dummy-ups driver and upsd in the foreground as non-services (`-F`, as root with
 * `-u root`), configured through NUT_CONFPATH / NUT_STATEPATH in a fresh temp dir.
 */
export async function startNutServer(port: number): Promise<NutServer> {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-nut-'));
  const devFile = join(dir, 'dummy.dev');
  const setStatus = (status: string, charge: number, runtime: number) =>
    writeFileSync(
      devFile,
      `ups.status: ${status}\nbattery.charge: ${charge}\nbattery.runtime: ${runtime}\nups.model: Test UPS\n`,
    );
  setStatus('OL', 100, 3600);
  writeFileSync(
    join(dir, 'ups.conf'),
    '[dummy]\n  driver = dummy-ups\n  port = dummy.dev\n  pollinterval = 1\n  desc = "Vigil test UPS"\n',
  );
  writeFileSync(join(dir, 'upsd.conf'), `LISTEN 127.0.0.1 ${port}\n`);
  writeFileSync(join(dir, 'upsd.users'), '[vigil]\n  password = t3st-secret\n  upsmon secondary\n', {
    mode: 0o600,
  });
  const env = { ...process.env, NUT_CONFPATH: dir, NUT_STATEPATH: dir, NUT_ALTPIDPATH: dir };
  const driver = spawn(DUMMY, ['-a', 'dummy', '-u', 'root', '-F'], { env, cwd: dir, stdio: 'ignore' });
  await new Promise((r) => setTimeout(r, 500));
  let upsd: ChildProcess = spawn(UPSD, ['-u', 'root', '-F'], { env, cwd: dir, stdio: 'ignore' });
  await waitPort(port, 10_000);
  return {
    port,
    ups: 'dummy',
    username: 'vigil',
    password: 't3st-secret',
    setStatus,
    stopUpsd: () => stopChild(upsd),
    stop: async () => {
      await stopChild(upsd);
      await stopChild(driver);
      rmSync(dir, { recursive: true, force: true });
      upsd = driver;
    },
  };
}
