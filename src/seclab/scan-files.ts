import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const CHILD = fileURLToPath(new URL('./scan-files-child.ts', import.meta.url));

/** What to look for where (see {@link scanFiles}). */
export interface ScanJob {
  dir: string;
  /** Absolute paths not to read. */
  exclude: string[];
  /** Name -> secret text; each is searched as text, base64 and base64url (findSecret). */
  secrets: Record<string, string>;
  /** Stop reading further files past this many bytes. */
  limitBytes: number;
}

export interface ScanResult {
  files: number;
  bytes: number;
  hits: { file: string; secret: string; count: number }[];
}

/**
 * Searches every file under `dir` for secrets, in a child process. Never in seclab's own process:
 * seclab holds the target's SQLite database open, and closing any other descriptor of that file
 * in the same process drops every POSIX lock the process holds on it (sqlite.org/howtocorrupt.html
 * §2.2), after which the server may reset the WAL under seclab's connection and the database
 * reads as corrupt.
 */
export function scanFiles(job: ScanJob, timeoutMs = 120_000): Promise<ScanResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CHILD], { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let err = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => {
      err = (err + d.toString('utf8')).slice(-2000);
    });
    child.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      if (code !== 0) {
        reject(new Error(`file scan failed (${signal ?? `exit ${code}`}): ${err.trim().slice(-500)}`));
        return;
      }
      try {
        resolve(JSON.parse(Buffer.concat(out).toString('utf8')) as ScanResult);
      } catch (e) {
        reject(e);
      }
    });
    child.stdin.end(JSON.stringify(job));
  });
}
