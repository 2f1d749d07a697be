import { VigilError } from '../errors.ts';

/** What a command may touch; injectable so tests run commands in-process. */
export interface CliIo {
  out: (line: string) => void;
  err: (line: string) => void;
  env: NodeJS.ProcessEnv;
  /** Resolves when the command should stop (Ctrl-C); long-running commands await it. */
  signal: AbortSignal;
  /** Present when Vigil runs in a terminal; absent in scripts, pipes and in-process tests. */
  terminal?: CliTerminal;
}

/** What a command may know of and do with the terminal it runs in. */
export interface CliTerminal {
  /** stdin is a terminal: a confirmation can be asked. */
  stdin: boolean;
  /** stdout is a terminal: a person reads it (the periodic status line of `vigil start`). */
  stdout: boolean;
  /** Asks one question on the terminal; resolves with the answer line. */
  ask(question: string): Promise<string>;
}

/** An expected failure: print the message, exit with `code`. Anything else is a bug. */
export class ExitError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode = 1) {
    super(message);
    this.exitCode = exitCode;
  }
}

/**
 * Asks before a change that cannot be undone: `--yes` skips the question; on a terminal the
 * answer must be y or yes; without a terminal (a script, a pipe) and without `--yes`, refuses.
 */
export async function confirm(io: CliIo, question: string, yes: boolean | undefined): Promise<void> {
  if (yes) return;
  if (!io.terminal?.stdin) {
    throw new VigilError('VIGIL_ERR_NOT_CONFIRMED', 'no terminal to ask on; add --yes to confirm');
  }
  const answer = (await io.terminal.ask(`${question} [y/N] `)).trim().toLowerCase();
  if (answer !== 'y' && answer !== 'yes') throw new ExitError('not confirmed; nothing was changed', 1);
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
