import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** RLIMIT_NOFILE as the process sees it. */
export interface NoFileLimit {
  soft: number;
  /** `Infinity` for "unlimited". */
  hard: number;
}

/** What {@link raiseNoFileLimit} did. */
export interface RaiseResult {
  before: NoFileLimit | null;
  after: NoFileLimit | null;
  /**
   * `already`: the soft limit was at the hard limit (Node raises it at start-up on POSIX);
   * `prlimit`: raised here with util-linux prlimit(1); `failed`: still below (see `error`);
   * `unknown`: the limits cannot be read on this platform (no /proc).
   */
  how: 'already' | 'prlimit' | 'failed' | 'unknown';
  error?: string;
}

/** Parses the "Max open files" line of /proc/<pid>/limits (proc(5)). */
export function parseProcLimits(text: string): NoFileLimit | null {
  const m = /^Max open files\s+(\d+|unlimited)\s+(\d+|unlimited)/m.exec(text);
  if (!m) return null;
  const n = (v: string | undefined) => (v === 'unlimited' ? Number.POSITIVE_INFINITY : Number(v));
  return { soft: n(m[1]), hard: n(m[2]) };
}

/** The current RLIMIT_NOFILE of this process, or null where /proc is not available. */
export function readNoFileLimit(): NoFileLimit | null {
  try {
    return parseProcLimits(readFileSync('/proc/self/limits', 'utf8'));
  } catch {
    return null;
  }
}

/**
 * Raises the soft RLIMIT_NOFILE to the hard limit. Node has no setrlimit binding, but its own
 * start-up (src/node.cc, PlatformInit) already raises the soft limit as far as the hard limit
 * allows, so on Linux this normally only confirms it. When something lowered it again (a
 * wrapper, an embedder), util-linux prlimit(1) sets it for this pid through prlimit(2): no
 * native module to build, and the figure is re-read from /proc afterwards, so what is logged is
 * what is in force.
 */
export function raiseNoFileLimit(
  o: { read?: () => NoFileLimit | null; prlimitPath?: string; pid?: number } = {},
): RaiseResult {
  const read = o.read ?? readNoFileLimit;
  const before = read();
  if (!before) return { before, after: null, how: 'unknown' };
  if (before.soft >= before.hard) return { before, after: before, how: 'already' };
  const hard = Number.isFinite(before.hard) ? String(before.hard) : 'unlimited';
  try {
    execFileSync(o.prlimitPath ?? 'prlimit', [`--pid=${o.pid ?? process.pid}`, `--nofile=${hard}:${hard}`], {
      stdio: ['ignore', 'ignore', 'pipe'],
      timeout: 5000,
    });
  } catch (err) {
    return {
      before,
      after: read(),
      how: 'failed',
      error: (err as Error).message.split('\n')[0] ?? 'prlimit failed',
    };
  }
  const after = read();
  return after && after.soft >= before.hard
    ? { before, after, how: 'prlimit' }
    : { before, after, how: 'failed', error: 'prlimit did not change the limit' };
}
