import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { ProcessFigures } from './seclab-types.ts';
import { logBytes } from './target.ts';

let clockTicks: number | undefined;

/** `getconf CLK_TCK`: the unit of utime and stime in /proc/<pid>/stat (proc(5)); 100 on Linux. */
function ticksPerSecond(): number {
  if (clockTicks === undefined) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

/** CPU seconds (user + system, every thread) of `pid`, or NaN. proc(5): fields 14 and 15. */
export function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may contain spaces; the fields after it start past its ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond();
  } catch {
    return Number.NaN;
  }
}

/** Resident set size of `pid` in bytes (VmRSS), or NaN. */
export function rssBytes(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

/**
 * Watches the target process over one interval: CPU share, largest RSS (sampled every 250 ms) and
 * the bytes its log files grew by. Figures are NaN where the process or its log is not visible.
 */
export class ProcessMeter {
  readonly #pid: number | null;
  readonly #logFile: string | null;
  #cpu0 = Number.NaN;
  #t0 = 0;
  #log0 = 0;
  #rssMax = Number.NaN;
  #timer: NodeJS.Timeout | undefined;

  constructor(pid: number | null, logFile: string | null) {
    this.#pid = pid;
    this.#logFile = logFile;
  }

  start(): void {
    this.#t0 = performance.now();
    this.#cpu0 = this.#pid ? cpuSeconds(this.#pid) : Number.NaN;
    this.#log0 = this.#logFile ? logBytes(this.#logFile) : Number.NaN;
    this.#rssMax = this.#pid ? rssBytes(this.#pid) : Number.NaN;
    this.#timer = setInterval(() => {
      if (!this.#pid) return;
      const r = rssBytes(this.#pid);
      if (Number.isFinite(r)) this.#rssMax = Number.isFinite(this.#rssMax) ? Math.max(this.#rssMax, r) : r;
    }, 250);
    this.#timer.unref();
  }

  stop(): ProcessFigures {
    if (this.#timer) clearInterval(this.#timer);
    const wall = (performance.now() - this.#t0) / 1000;
    const cpu = this.#pid ? (cpuSeconds(this.#pid) - this.#cpu0) / wall : Number.NaN;
    return {
      cpu,
      rssMaxBytes: this.#rssMax,
      logBytes: this.#logFile ? logBytes(this.#logFile) - this.#log0 : Number.NaN,
    };
  }
}
