/**
 * The shape most rules share: a condition judged at each reading that must hold for some time
 * before the alarm is raised, and that ends at the first reading where it no longer holds.
 *
 * Timing, on the readings' own timestamps:
 * - the episode starts at the first reading showing the condition;
 * - at every later reading still showing it, elapsed = reading.ts - start; the alarm is raised at
 *   the first reading where elapsed >= the duration (`reached`: "for 10 h", so a reading exactly
 *   10 h after the first excursion reading raises it and the one before does not) or
 *   elapsed > the duration (`exceeded`: "longer than 5 min");
 * - it ends at the first reading that no longer shows the condition (that reading's ts);
 * - a state known between readings (`stateBetweenReadings`: a door stays open, a logger stays on
 *   battery, until a reading or an event says otherwise) is also judged when it ends: an episode
 *   whose end minus its start passes the duration is raised at its end, so an 8-minute opening
 *   told only by its `open` and `closed` events still breaks a 5-minute limit;
 * - with `mergeGapMs`, a return out of the condition shorter than the merge gap does not end the
 *   episode: the stretches on either side are one episode (sensor noise around a limit makes one
 *   excursion, not dozens). The end is dated at the return and confirmed by the first reading at
 *   least `mergeGapMs` later; until then the episode is still running.
 * - with `holdShare` (patient monitors: the alarm condition delay of IEC 60601-1-8, hold-run.ts),
 *   an episode not yet raised is a run that must show the condition, sensed without hysteresis,
 *   for at least that share of its time (one reading back in range does not restart it, one
 *   reading alone never raises it); a run whose share falls below it is over at once, without
 *   merging, and a new one starts at the next reading showing the condition. It is raised at a
 *   reading showing the condition once the run has lasted the duration. Hysteresis (`active` in
 *   `sense`) and the merge gap apply only once raised: they decide when it resolves.
 * - `urgentDurationMs`: a reading may show an urgent form of the condition (`Sensed.urgent`) that
 *   raises the alarm once a run of it has lasted that long (with the same share), sooner than
 *   `minDurationMs` (NEWS2: a red score or 7 and more within a minute, 5-6 after minutes).
 * - `sustainedPeak`: the peak folds in, at each reading showing the condition, the less extreme
 *   of its value and that of the previous reading showing it, so a value shown by one reading
 *   alone (an artefact inside an episode) never becomes the peak.
 *
 * The gap rule, one for every rule built here (docs/alarms.md): a data gap does NOT end an
 * episode. Nothing shows the condition cleared, so the episode runs on across the gap and the
 * gap counts towards its duration (the conservative reading for product safety). Time inside
 * the episode with no reading for longer than `maxGapMs` is reported in the message ("for
 * 1 h 50 min, including 45 min without data"); the data-gap rule alarms on the gap itself, and
 * time totals and MKT do not count gap time. This also keeps the outcome independent of the
 * order in which buffered chunks arrive.
 */
import { continueRun, extendRun, type HoldRun, startRun } from './hold-run.ts';
import type { AlarmUnit, Episode, Reading, RuleNode, RuleStep, Severity } from './rule.ts';

/** What a rule reads from one reading. */
export interface Sensed {
  readonly active: boolean;
  /** The value tracked for the peak (temperature, distance, score, ...). */
  readonly value: number;
  /** Extra wording for the message (missing field names, NEWS2 breakdown). */
  readonly detail?: string;
  /** The urgent form of the condition holds (see `ConditionSpec.urgentDurationMs`). */
  readonly urgent?: boolean;
}

/**
 * `undefined`: the reading says nothing about this condition and is skipped (the clock does not
 * advance). `'hold'`: no new value, but time passes with the previous condition (a door stays open
 * until a reading or event says it closed).
 */
export type SenseResult = Sensed | 'hold' | undefined;

export interface ConditionSpec {
  readonly rule: string;
  readonly unit: AlarmUnit;
  readonly minDurationMs: number;
  readonly raiseWhen: 'reached' | 'exceeded';
  /**
   * `active` is whether the condition held at the previous reading (for hysteresis); with
   * `holdShare`, only once the episode is raised.
   */
  sense(reading: Reading, active: boolean): SenseResult;
  /** Share of its time (0-1] a run must show the condition before it is raised (hold-run.ts). */
  readonly holdShare?: number;
  /** With `holdShare`: an urgent run that has lasted this long raises the alarm (reached). */
  readonly urgentDurationMs?: number;
  /** Fold the less extreme of each two consecutive values into the peak (numeric peaks only). */
  readonly sustainedPeak?: boolean;
  /** How a new value folds into the peak; `duration` makes the peak the elapsed time, ms. */
  readonly peak: ((peak: number, value: number) => number) | 'duration';
  severity(peak: number): Severity;
  describe(e: ConditionFacts): string;
  /** No reading for longer than this inside an episode is time without data (default: never). */
  readonly maxGapMs?: number;
  /** A return out of the condition shorter than this does not end the episode (default 0). */
  readonly mergeGapMs?: number;
  /** The condition is a state that holds between readings: an ending episode is judged too. */
  readonly stateBetweenReadings?: boolean;
  /** See {@link RuleNode.criterion}. */
  readonly criterion?: string;
}

/** What a message is written from. */
export interface ConditionFacts {
  readonly startedAt: number;
  /** The end (ended episodes) or the last reading so far (ongoing ones). */
  readonly until: number;
  readonly peak: number;
  readonly raised: boolean;
  readonly ongoing: boolean;
  readonly detail: string | undefined;
  /** Time inside the episode between readings further apart than `maxGapMs`. */
  readonly gapMs: number;
  /** Stretches merged into the episode (1: none). */
  readonly parts: number;
}

export interface ConditionState {
  /** An episode is running (the condition holds, or it returned within the merge gap). */
  readonly active: boolean;
  readonly startedAt: number;
  /** Last reading that advanced this rule's clock; NaN before the first. */
  readonly lastTs: number;
  readonly raisedAt: number | undefined;
  readonly peak: number;
  readonly detail: string | undefined;
  /** First reading out of the condition while the merge gap runs; NaN while it holds. */
  readonly clearedAt: number;
  readonly gapMs: number;
  /** Time without data since `clearedAt`: the episode's only if the stretches merge. */
  readonly pendingGapMs: number;
  readonly parts: number;
  /** `holdShare`: the run before the alarm is raised; undefined once raised. */
  readonly hold: HoldRun | undefined;
  /** The current run of urgent readings, if any (before the alarm is raised). */
  readonly urgent: HoldRun | undefined;
  /** Value of the latest reading showing the condition (for `sustainedPeak`). */
  readonly lastValue: number;
  /** `sustainedPeak`: two readings have set the peak (before: the first one's value). */
  readonly peakHeld: boolean;
}

export const maxPeak = (a: number, b: number): number => (b > a ? b : a);
export const minPeak = (a: number, b: number): number => (b < a ? b : a);

const INITIAL: ConditionState = Object.freeze({
  active: false,
  startedAt: Number.NaN,
  lastTs: Number.NaN,
  raisedAt: undefined,
  peak: Number.NaN,
  detail: undefined,
  clearedAt: Number.NaN,
  gapMs: 0,
  pendingGapMs: 0,
  parts: 1,
  hold: undefined,
  urgent: undefined,
  lastValue: Number.NaN,
  peakHeld: false,
});

/** Builds a rule node from a condition spec. */
export function createConditionRule(spec: ConditionSpec): RuleNode<ConditionState> {
  const maxGapMs = spec.maxGapMs ?? Number.POSITIVE_INFINITY;
  const mergeGapMs = spec.mergeGapMs ?? 0;
  const share = spec.holdShare;
  const urgentMs = spec.urgentDurationMs ?? Number.POSITIVE_INFINITY;
  const fold = spec.peak;
  const sustained = spec.sustainedPeak === true && fold !== 'duration';
  const raised = (elapsed: number) =>
    spec.raiseWhen === 'reached' ? elapsed >= spec.minDurationMs : elapsed > spec.minDurationMs;
  /** An urgent run that shows the urgent form at `ts` and has lasted long enough. */
  const urgentDue = (u: HoldRun | undefined, ts: number) => u?.lastOn === true && ts - u.since >= urgentMs;
  /** The less extreme of two values under the peak's fold. */
  const lessExtreme = (a: number, b: number) => (fold !== 'duration' && fold(a, b) === a ? b : a);

  function episode(st: ConditionState, until: number, endedAt: number | undefined): Episode {
    const peak = spec.peak === 'duration' ? until - st.startedAt : st.peak;
    const facts: ConditionFacts = {
      startedAt: st.startedAt,
      until,
      peak,
      raised: st.raisedAt !== undefined,
      ongoing: endedAt === undefined,
      detail: st.detail,
      gapMs: st.gapMs,
      parts: st.parts,
    };
    return {
      rule: spec.rule,
      startedAt: st.startedAt,
      ...(st.raisedAt !== undefined ? { raisedAt: st.raisedAt } : {}),
      ...(endedAt !== undefined ? { endedAt } : {}),
      peak,
      severity: spec.severity(peak),
      message: spec.describe(facts),
    };
  }

  /** A fresh episode at `r` (a 'hold' cannot start one: it always has a sensed value). */
  function start(r: Reading, s: Sensed): ConditionState {
    const urgent = share !== undefined && s.urgent === true ? startRun(r.ts) : undefined;
    const raisedAt = raised(0) || urgentDue(urgent, r.ts) ? r.ts : undefined;
    return {
      ...INITIAL,
      active: true,
      startedAt: r.ts,
      lastTs: r.ts,
      raisedAt,
      peak: spec.peak === 'duration' ? 0 : s.value,
      detail: s.detail,
      hold: share !== undefined && raisedAt === undefined ? startRun(r.ts) : undefined,
      urgent: raisedAt === undefined ? urgent : undefined,
      lastValue: s.value,
    };
  }

  /** The peak after reading `s`, which shows the condition. */
  function peakWith(st: ConditionState, r: Reading, s: Sensed | 'hold') {
    if (fold === 'duration') return { peak: r.ts - st.startedAt };
    if (s === 'hold') return {};
    if (!sustained) return { peak: fold(st.peak, s.value) };
    // the first two readings replace the first one's value; later ones fold in
    const held = lessExtreme(st.lastValue, s.value);
    return { peak: st.peakHeld ? fold(st.peak, held) : held, peakHeld: true, lastValue: s.value };
  }

  /** The running episode `st` still holds at `r`. */
  function advance(st: ConditionState, r: Reading, s: Sensed | 'hold'): ConditionState {
    const raisedAt = st.raisedAt ?? (raised(r.ts - st.startedAt) ? r.ts : undefined);
    const detail = s !== 'hold' && s.detail !== undefined ? s.detail : st.detail;
    return { ...st, ...peakWith(st, r, s), lastTs: r.ts, raisedAt, detail };
  }

  /** `holdShare`: a reading while the run before the alarm goes on. */
  function pending(st: ConditionState, r: Reading): RuleStep<ConditionState> {
    const s = spec.sense(r, false);
    if (s === undefined) return { state: st };
    const hold = st.hold as HoldRun;
    const on = s === 'hold' ? hold.lastOn : s.active;
    const run = extendRun(hold, r.ts, on, share as number);
    if (!run) {
      // the run is over, never raised: a new one starts here if this reading shows the condition
      const ended = episode(st, r.ts, r.ts);
      return { state: on ? start(r, s as Sensed) : INITIAL, ended };
    }
    const urgentOn = s === 'hold' ? (st.urgent?.lastOn ?? false) : s.urgent === true;
    const urgent = continueRun(st.urgent, r.ts, urgentOn, share as number);
    const gap = r.ts - st.lastTs > maxGapMs ? r.ts - st.lastTs : 0;
    const base: ConditionState = { ...st, lastTs: r.ts, gapMs: st.gapMs + gap, hold: run, urgent };
    if (!on) return { state: base };
    const due = raised(r.ts - st.startedAt) || urgentDue(urgent, r.ts);
    const detail = s !== 'hold' && s.detail !== undefined ? s.detail : st.detail;
    const next: ConditionState = { ...base, ...peakWith(st, r, s), detail };
    return { state: due ? { ...next, raisedAt: r.ts, hold: undefined, urgent: undefined } : next };
  }

  return {
    rule: spec.rule,
    unit: spec.unit,
    ...(spec.criterion !== undefined ? { criterion: spec.criterion } : {}),
    init: () => INITIAL,
    onReading(st: ConditionState, r: Reading): RuleStep<ConditionState> {
      if (st.hold !== undefined) return pending(st, r);
      const holding = st.active && Number.isNaN(st.clearedAt);
      const s = spec.sense(r, holding);
      if (s === undefined) return { state: st };
      const on = s === 'hold' ? holding : s.active;
      if (!st.active) return { state: on ? start(r, s as Sensed) : INITIAL };
      const dt = r.ts - st.lastTs;
      const gap = dt > maxGapMs ? dt : 0;
      if (!holding) {
        // returned out of the condition at clearedAt; is this reading still within the merge gap?
        const bridged = r.ts - st.clearedAt < mergeGapMs;
        const ended = () => episode(st, st.clearedAt, st.clearedAt);
        if (!on) {
          if (!bridged) return { state: INITIAL, ended: ended() };
          return { state: { ...st, lastTs: r.ts, pendingGapMs: st.pendingGapMs + gap } };
        }
        if (!bridged) return { state: start(r, s as Sensed), ended: ended() };
        const merged: ConditionState = {
          ...st,
          clearedAt: Number.NaN,
          gapMs: st.gapMs + st.pendingGapMs + gap,
          pendingGapMs: 0,
          parts: st.parts + 1,
        };
        return { state: advance(merged, r, s) };
      }
      if (on) return { state: advance(gap > 0 ? { ...st, gapMs: st.gapMs + gap } : st, r, s) };
      // the condition no longer holds at r
      const done: ConditionState = { ...st, lastTs: r.ts, gapMs: st.gapMs + gap };
      if (mergeGapMs > 0) return { state: { ...done, clearedAt: r.ts, pendingGapMs: 0 } };
      const judged =
        spec.stateBetweenReadings && done.raisedAt === undefined && raised(r.ts - done.startedAt)
          ? { ...done, raisedAt: r.ts }
          : done;
      return { state: INITIAL, ended: episode(judged, r.ts, r.ts) };
    },
    ongoing(st: ConditionState): Episode | undefined {
      if (!st.active) return undefined;
      return episode(st, Number.isNaN(st.clearedAt) ? st.lastTs : st.clearedAt, undefined);
    },
  };
}

/** A finite number from a reading's field, else undefined. */
export function numberField(r: Reading, field: string): number | undefined {
  const v = r.data[field];
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}
