import { VigilError } from '../errors.ts';

/** What a command may touch; injectable so tests run commands in-process. */
export interface CliIo {
  out: (line: string) => void;
  err: (line: string) => void;
  env: NodeJS.ProcessEnv;
  /** Resolves when the command should stop (Ctrl-C); long-running commands await it. */
  signal: AbortSignal;
}

/** An expected failure: print the message, exit with `code`. Anything else is a bug. */
export class ExitError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode = 1) {
    super(message);
    this.exitCode = exitCode;
  }
}

export function usage(text: string): never {
  throw new VigilError('VIGIL_ERR_USAGE', text);
}

/** Parses an ISO 8601 date-time (or epoch ms) flag value. */
export function parseTime(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const ms = /^\d+$/.test(value) ? Number(value) : Date.parse(value);
  if (!Number.isFinite(ms)) usage(`${flag} must be an ISO 8601 date-time, e.g. 2026-11-21T10:00:00Z`);
  return ms;
}

export function parsePositiveInt(
  flag: string,
  value: string | undefined,
  max = Number.MAX_SAFE_INTEGER,
): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || Number(value) < 1 || Number(value) > max)
    usage(`${flag} must be a whole number from 1 to ${max}`);
  return Number(value);
}

/** Durations like 30s, 5m, 2h, 1d or plain seconds. */
export function parseDuration(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/.exec(value);
  if (!m) usage(`${flag} must be a duration such as 90s, 10m, 2h`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[
    (m[2] ?? 's') as 'ms' | 's' | 'm' | 'h' | 'd'
  ];
  return Number(m[1]) * unit;
}
