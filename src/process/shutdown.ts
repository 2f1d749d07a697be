import type { Logger } from 'pino';

/** One named step of a shutdown. */
export interface ShutdownStep {
  name: string;
  run(): Promise<void> | void;
}

/** What to stop, in order. */
export interface ShutdownPlan {
  /**
   * Steps that may be cut short at the deadline, in order: stop the broker first (no new
   * PUBACK is promised), then stop accepting HTTPS and close idle connections, then drain ingest.
   */
  drain: ShutdownStep[];
  /** Called once when the drain missed its deadline: destroy every connection still open. */
  force(): Record<string, number>;
  /** Steps that run after the drain (or the force), in order, within what is left of the time. */
  finish: ShutdownStep[];
}

/** How a shutdown went. */
export interface ShutdownOutcome {
  /** True when every step finished before its deadline; false when connections were destroyed. */
  clean: boolean;
  elapsedMs: number;
  /** The steps still running when their deadline passed. */
  cutShort: string[];
  /** What `force()` destroyed, by kind. */
  destroyed: Record<string, number>;
}

/** Options of {@link runShutdown}. */
export interface ShutdownOptions {
  /** The whole shutdown's deadline (`shutdownTimeoutMs`). */
  timeoutMs: number;
  logger: Logger;
  /** Part of the deadline kept for the `finish` steps. Default min(2 s, a quarter of timeoutMs). */
  finishReserveMs?: number;
}

type Timed = { done: true } | { done: false };

/** Runs `p` until `deadline`; never rejects (a failed step is logged and counts as done). */
async function until(step: ShutdownStep, deadline: number, log: Logger): Promise<Timed> {
  let timer: NodeJS.Timeout | undefined;
  const left = Math.max(0, deadline - Date.now());
  const run = Promise.resolve()
    .then(() => step.run())
    .then(
      (): Timed => ({ done: true }),
      (err: unknown): Timed => {
        log.error({ err, step: step.name }, 'shutdown step failed');
        return { done: true };
      },
    );
  const late = new Promise<Timed>((resolve) => {
    timer = setTimeout(() => resolve({ done: false }), left);
  });
  try {
    return await Promise.race([run, late]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * A shutdown with a deadline. The drain steps run in order until `timeoutMs` minus a reserve;
 * if one is still running then, `force()` destroys every open connection and the drain is
 * abandoned (what was acknowledged is already committed: a PUBACK follows the commit). The
 * finish steps then run within what is left. The outcome says whether the drain was clean, and
 * the log says the same in one line.
 */
export async function runShutdown(plan: ShutdownPlan, o: ShutdownOptions): Promise<ShutdownOutcome> {
  const t0 = Date.now();
  const reserve = o.finishReserveMs ?? Math.min(2000, Math.floor(o.timeoutMs / 4));
  const drainDeadline = t0 + o.timeoutMs - reserve;
  const deadline = t0 + o.timeoutMs;
  const cutShort: string[] = [];
  let destroyed: Record<string, number> = {};
  o.logger.info({ timeoutMs: o.timeoutMs }, 'shutting down');
  for (const step of plan.drain) {
    const r = await until(step, drainDeadline, o.logger);
    if (r.done) continue;
    cutShort.push(step.name);
    try {
      destroyed = plan.force();
    } catch (err) {
      o.logger.error({ err }, 'forced close failed');
    }
    break;
  }
  for (const step of plan.finish) {
    const r = await until(step, deadline, o.logger);
    if (!r.done) cutShort.push(step.name);
  }
  const outcome: ShutdownOutcome = {
    clean: cutShort.length === 0,
    elapsedMs: Date.now() - t0,
    cutShort,
    destroyed,
  };
  if (outcome.clean) o.logger.info({ elapsedMs: outcome.elapsedMs }, 'shutdown complete: clean drain');
  else o.logger.warn(outcome, 'shutdown forced at the deadline: open connections destroyed');
  return outcome;
}
