/**
 * A run of readings showing a condition before its alarm is raised: the alarm condition delay of
 * a patient monitor (IEC 60601-1-8 defines it as the time from the triggering event to the alarm
 * system determining that the alarm condition exists).
 *
 * A run must hold for a share of its time: the time between two readings counts half for each
 * end that shows the condition, so one reading alone (a motion artefact) counts for nothing on
 * its own, and one reading back in range (noise at a limit) does not restart the delay. A run
 * whose share falls below the required one is over. Pure and immutable, like the rule states
 * that carry it.
 */

export interface HoldRun {
  /** First reading of the run. */
  readonly since: number;
  /** Latest reading folded in. */
  readonly lastTs: number;
  /** Time counted as showing the condition, ms. */
  readonly heldMs: number;
  /** Whether the latest reading showed the condition. */
  readonly lastOn: boolean;
}

/** A run that starts at a reading showing the condition. */
export function startRun(ts: number): HoldRun {
  return { since: ts, lastTs: ts, heldMs: 0, lastOn: true };
}

/**
 * The run after a reading at `ts` that shows the condition (`on`) or not; undefined when the
 * share of time showing it has fallen below `share` (0 < share <= 1; 1: every reading).
 */
export function extendRun(run: HoldRun, ts: number, on: boolean, share: number): HoldRun | undefined {
  const dt = ts - run.lastTs;
  const heldMs = run.heldMs + (dt * (Number(run.lastOn) + Number(on))) / 2;
  if (heldMs < share * (ts - run.since)) return undefined;
  return { since: run.since, lastTs: ts, heldMs, lastOn: on };
}

/** The run, or a fresh one at `ts` when it is over (or absent) and the reading shows the condition. */
export function continueRun(
  run: HoldRun | undefined,
  ts: number,
  on: boolean,
  share: number,
): HoldRun | undefined {
  const next = run ? extendRun(run, ts, on, share) : undefined;
  return next ?? (on ? startRun(ts) : undefined);
}
