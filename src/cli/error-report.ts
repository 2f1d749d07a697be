import { isVigilError, type VigilError } from '../errors.ts';
import { ExitError } from './io.ts';

/** How a command ended that did not return normally: what to print and the exit code. */
export interface ErrorReport {
  /** Lines for stderr (nothing for a quiet exit). */
  message: string;
  /** 1 failed, 2 usage, 70 internal error (a bug); 0 for output closed by its reader. */
  exitCode: number;
  /** A usage error: the command's usage lines follow the message. */
  usage: boolean;
}

/** System error codes that mean "the machine or the network", never a bug (errno(3), getaddrinfo). */
const ENVIRONMENT: Record<string, string> = {
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
  EROFS: 'read-only file system',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENOENT: 'no such file or directory',
  EISDIR: 'is a directory',
  ENOTDIR: 'not a directory',
  EEXIST: 'already exists',
  EMFILE: 'too many open files',
  ENFILE: 'too many open files in the system',
  EIO: 'input/output error',
  ENOMEM: 'out of memory',
  EADDRINUSE: 'address already in use',
  EADDRNOTAVAIL: 'address not available on this machine',
  ECONNREFUSED: 'connection refused (is the server running, on that port?)',
  ECONNRESET: 'connection reset by the other side',
  ETIMEDOUT: 'timed out',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ENOTFOUND: 'host name not found',
  EAI_AGAIN: 'host name lookup failed (temporary)',
  EPIPE: 'the other side closed the connection',
};

/** SQLite result codes (extended ones start with the primary) that are the disk's, not Vigil's. */
const SQLITE: [string, string][] = [
  ['SQLITE_FULL', 'the database is full: no space left on the device'],
  ['SQLITE_IOERR', 'the database could not be read or written (input/output error)'],
  ['SQLITE_READONLY', 'the database is read-only (file permissions, or a read-only file system)'],
  ['SQLITE_CANTOPEN', 'the database cannot be opened (permissions, or a missing directory)'],
  ['SQLITE_BUSY', 'the database stayed locked by another process'],
  ['SQLITE_CORRUPT', 'the database file is damaged; restore a backup'],
  ['SQLITE_NOTADB', 'the database file is not a Vigil database, or the master key is not its key'],
];

/** A system error as Node raises them (net errors carry address, port, hostname). */
type SystemError = NodeJS.ErrnoException & { address?: string; port?: number; hostname?: string };

/** `err` or the first of its causes (and of an AggregateError's errors) that matches. */
function findCause(err: unknown, match: (e: SystemError) => boolean): SystemError | null {
  const seen = new Set<unknown>();
  const queue = [err];
  while (queue.length > 0 && seen.size < 20) {
    const e = queue.shift();
    if (!e || typeof e !== 'object' || seen.has(e)) continue;
    seen.add(e);
    if (match(e as SystemError)) return e as SystemError;
    queue.push((e as { cause?: unknown }).cause, ...((e as { errors?: unknown[] }).errors ?? []));
  }
  return null;
}

/**
 * An error of the environment (disk full, permission, network, TLS peer) in plain words, or null
 * when `err` is not one.
 */
export function environmentError(err: unknown): string | null {
  const e = findCause(
    err,
    (x) =>
      typeof x.code === 'string' &&
      (x.code in ENVIRONMENT ||
        x.code.startsWith('SQLITE_') ||
        x.code.startsWith('ERR_TLS_') ||
        /CERT|^UNABLE_TO_|^SELF_SIGNED/.test(x.code)),
  );
  if (!e || typeof e.code !== 'string') return null;
  const code = e.code;
  if (code.startsWith('SQLITE_')) {
    const hit = SQLITE.find(([c]) => code.startsWith(c));
    return hit ? `${hit[1]} (${code})` : null;
  }
  if (!(code in ENVIRONMENT)) return `TLS: ${e.message} (${code})`;
  const where = [e.path, e.address && `${e.address}${e.port ? `:${e.port}` : ''}`, e.hostname]
    .filter(Boolean)
    .join(' ');
  return `${ENVIRONMENT[code]}${where ? `: ${where}` : ''} (${code})`;
}

/** The text of a VigilError for a person: "device x not found", the usage detail alone. */
function vigilText(err: VigilError): string {
  if (err.code === 'VIGIL_ERR_NOT_FOUND' && err.detail && !err.detail.includes(':'))
    return `${err.detail} not found [${err.code}]`;
  if (err.code === 'VIGIL_ERR_USAGE')
    return withoutUsageBlock(err.detail ?? '') || 'missing or unexpected arguments';
  return `${err.message} [${err.code}]`;
}

/** A message with any "usage: ..." block it carries cut off (the usage is printed once, after it). */
function withoutUsageBlock(text: string): string {
  const i = text.search(/(^|\n)usage:/);
  return (i < 0 ? text : text.slice(0, i)).trim();
}

/** What to tell the user about `err` thrown by a command, and the exit code. */
export function reportError(err: unknown): ErrorReport {
  if (err instanceof ExitError)
    return { message: err.message, exitCode: err.exitCode, usage: err.exitCode === 2 };
  if (isVigilError(err)) {
    // 400-class codes are bad input from the user (exit 2); the rest are failures (exit 1).
    const usage = err.status === 400;
    return { message: vigilText(err), exitCode: usage ? 2 : 1, usage: err.code === 'VIGIL_ERR_USAGE' };
  }
  const env = environmentError(err);
  if (env) return { message: env, exitCode: 1, usage: false };
  return {
    message: `internal error (a bug): ${(err as Error)?.stack ?? String(err)}`,
    exitCode: 70,
    usage: false,
  };
}
