import { type DestinationStream, type Logger, pino } from 'pino';
import { LogSummarizer } from './log-summarizer.ts';
import { RotatingFile } from './rotating-file.ts';

/** The `log` section of the configuration (src/config/schema.ts). */
export interface LogSettings {
  level: string;
  file?: string | undefined;
  maxFileBytes: number;
  maxFiles: number;
  summaryIntervalMs: number;
  summaryBurst: number;
  summaryMaxKeys: number;
  maxLineBytes: number;
}

/** Where lines go; default stderr, or `file` (rotated) when set. Tests pass a collector. */
export interface LoggerTarget {
  write(line: string): unknown;
}

const flushers = new WeakMap<Logger, () => void>();

/** Fields that name where an event came from, most specific first. */
function sourceOf(obj: Record<string, unknown> | undefined): string {
  if (!obj) return '-';
  for (const k of ['address', 'remoteAddress', 'clientId', 'cn', 'device', 'deviceId', 'identity']) {
    const v = obj[k];
    if (typeof v === 'string' && v !== '') return v.slice(0, 80);
  }
  const req = obj.req as { ip?: unknown } | undefined;
  const res = obj.res as { request?: { ip?: unknown } } | undefined;
  const ip = req?.ip ?? res?.request?.ip;
  return typeof ip === 'string' ? ip : '-';
}

/** Cuts a line longer than `max` bytes down to its level, time and event. */
function bounded(target: LoggerTarget, max: number): DestinationStream {
  return {
    write(line: string) {
      if (Buffer.byteLength(line) <= max) return target.write(line);
      let head: { level?: unknown; time?: unknown; msg?: unknown } = {};
      try {
        head = JSON.parse(line);
      } catch {
        /* not JSON: keep nothing of it */
      }
      const cut = {
        level: head.level,
        time: head.time,
        msg: typeof head.msg === 'string' ? head.msg.slice(0, 200) : undefined,
        truncatedBytes: Buffer.byteLength(line),
      };
      return target.write(`${JSON.stringify(cut)}\n`);
    },
  };
}

/**
 * The one structured logger of the process (pino, JSON lines), bounded against floods: every
 * line passes a {@link LogSummarizer} keyed by (event, source), so an attacker who makes Vigil
 * log (failed handshakes, refused envelopes, requests) can add at most
 * `(summaryMaxKeys × summaryBurst + summaryMaxKeys + 1) × maxLineBytes` bytes per
 * `summaryIntervalMs`. Secrets are redacted by key as a second line of defence; the first is
 * never to log them.
 */
export function createLogger(s: LogSettings, target?: LoggerTarget): Logger {
  const out: LoggerTarget =
    target ??
    (s.file
      ? new RotatingFile({ path: s.file, maxBytes: s.maxFileBytes, maxFiles: s.maxFiles })
      : pino.destination(2));
  const summarizer = new LogSummarizer({ burst: s.summaryBurst, maxKeys: s.summaryMaxKeys });
  let bypass = false;
  const logger = pino(
    {
      level: s.level,
      base: { svc: 'vigil' },
      redact: ['secret', 'token', 'key', 'password', '*.secret', '*.token', '*.password'],
      hooks: {
        logMethod(args, method) {
          if (bypass) return method.apply(this, args);
          const [a0, a1] = args as unknown[];
          const obj = typeof a0 === 'object' && a0 !== null ? (a0 as Record<string, unknown>) : undefined;
          const msg = obj ? (typeof a1 === 'string' ? a1 : '') : String(a0);
          if (summarizer.admit(msg.slice(0, 120), sourceOf(obj))) method.apply(this, args);
        },
      },
    },
    bounded(out, s.maxLineBytes),
  );
  const flush = () => {
    const { summaries, overflow } = summarizer.close();
    bypass = true;
    try {
      for (const x of summaries) {
        logger.warn({ ...x, intervalMs: s.summaryIntervalMs }, 'repeated log lines summarised');
      }
      if (overflow > 0) {
        logger.warn(
          { suppressed: overflow, maxKeys: s.summaryMaxKeys, intervalMs: s.summaryIntervalMs },
          'log lines of too many distinct events summarised',
        );
      }
    } finally {
      bypass = false;
    }
  };
  setInterval(flush, s.summaryIntervalMs).unref();
  flushers.set(logger, flush);
  return logger;
}

/** Writes the summaries of the interval in progress (at exit, so no count is lost). */
export function flushLogSummaries(logger: Logger): void {
  flushers.get(logger)?.();
}
