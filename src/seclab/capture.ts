import { type ChildProcess, spawn } from 'node:child_process';
import { accessSync, constants, readFileSync, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';

/**
 * True when `cmd` is an executable file on PATH. Looked up, not run: `testssl --version` alone
 * takes tens of seconds on a busy host (it probes its OpenSSL first).
 */
export function hasTool(cmd: string): boolean {
  return (process.env.PATH ?? '')
    .split(delimiter)
    .filter(Boolean)
    .some((dir) => {
      try {
        const p = join(dir, cmd);
        accessSync(p, constants.X_OK);
        return statSync(p).isFile();
      } catch {
        return false;
      }
    });
}

/** A running tshark capture on the loopback interface. */
export interface Capture {
  file: string;
  /** The capture file as written so far (tshark writes it with a delay of up to about a second). */
  sofar(): Buffer;
  /** Stops tshark (SIGINT, so it flushes) and returns the capture file's bytes. */
  stop(): Promise<Buffer>;
}

/**
 * Starts `tshark -i lo -f "<filter>" -w <file>` and resolves once it reports capturing; rejects
 * with tshark's own words when it cannot (no permission to capture, no loopback interface).
 */
export function startCapture(dir: string, ports: number[]): Promise<Capture> {
  const file = join(dir, `seclab-${Date.now()}.pcapng`);
  const filter = ports.map((p) => `tcp port ${p}`).join(' or ');
  const child: ChildProcess = spawn('tshark', ['-i', 'lo', '-f', filter, '-w', file, '-q'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  let started = false;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`tshark did not start capturing within 20 s: ${err.trim().slice(0, 300)}`));
    }, 20_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`tshark exited (${code}): ${err.trim().slice(0, 300)}`));
    });
    child.stderr?.on('data', (d: Buffer) => {
      err += d.toString('utf8');
      if (started || !/Capturing on/.test(err)) return;
      started = true;
      clearTimeout(timer);
      child.removeAllListeners('exit');
      resolve({
        file,
        sofar: () => {
          try {
            return readFileSync(file);
          } catch {
            return Buffer.alloc(0);
          }
        },
        stop: () =>
          new Promise<Buffer>((res) => {
            const kill = setTimeout(() => child.kill('SIGKILL'), 10_000);
            child.once('exit', () => {
              clearTimeout(kill);
              res(readFileSync(file));
            });
            // Let the last packets reach the file before asking tshark to finish.
            setTimeout(() => child.kill('SIGINT'), 500);
          }),
      });
    });
  });
}

/** Occurrences of `needle` in `hay`. */
export function countMatches(hay: Buffer, needle: string | Buffer): number {
  const n = typeof needle === 'string' ? Buffer.from(needle, 'utf8') : needle;
  if (n.length === 0) return 0;
  let count = 0;
  for (let i = hay.indexOf(n); i !== -1; i = hay.indexOf(n, i + 1)) count++;
  return count;
}

/**
 * The forms a secret could take on the wire or on disk: as text, and as the base64 and base64url
 * text of its bytes at each of the three alignments (so it is found inside a longer base64 run).
 */
export function encodings(secret: string): Buffer[] {
  const raw = Buffer.from(secret, 'utf8');
  const out = new Set<string>([raw.toString('latin1')]);
  for (let shift = 0; shift < 3; shift++) {
    const padded = Buffer.concat([Buffer.alloc(shift), raw]);
    // Drop the characters that depend on the unknown neighbours at either end.
    const skip = Math.ceil((shift * 4) / 3);
    for (const enc of ['base64', 'base64url'] as const) {
      const text = padded.toString(enc).replace(/=+$/, '');
      const core = text.slice(skip, text.length - 2);
      if (core.length >= 8) out.add(core);
    }
  }
  return [...out].map((t) => Buffer.from(t, 'latin1'));
}

/** Matches of any encoding of `secret` in `hay`. */
export function findSecret(hay: Buffer, secret: string): number {
  return encodings(secret).reduce((n, e) => n + countMatches(hay, e), 0);
}
