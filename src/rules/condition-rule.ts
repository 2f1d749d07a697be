/**
 * The shape most rules share: a condition judged at each reading that must hold continuously for
 * some time before the alarm is raised, and that resolves at the first reading where it no
 * longer holds.
 *
 * Timing, on the readings' own timestamps:
 * - the episode starts at the first reading showing the condition;
 * - at every later reading still showing it, elapsed = reading.ts - start; the alarm is raised at
 *   the first reading where elapsed >= the duration (`reached`: "for 10 h", so a reading exactly
 *   10 h after the first excursion reading raises it and the one before does not) or
 *   elapsed > the duration (`exceeded`: "longer than 5 min");
 * - it ends at the first reading that no longer shows the condition (that reading's ts). A data
 *   gap does not end it: nothing shows the condition cleared, so the episode runs on across the
 *   gap (the conservative reading for product safety; the data-gap rule reports the gap itself,
 *   and time totals and MKT do not count gap time). This also keeps the outcome independent of
 *   the order in which buffered chunks arrive.
 */
import type { AlarmUnit, Episode, Reading, RuleNode, RuleStep, Severity } from './rule.ts';

/** What a rule reads from one reading. */
export interface Sensed {
  readonly active: boolean;
  /** The value tracked for the peak (temperature, distance, score, ...). */
  readonly value: number;
  /** Extra wording for the message (missing field names, NEWS2 breakdown). */
  readonly detail?: string;
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
  /** `active` is whether the condition held at the previous reading (for hysteresis). */
  sense(reading: Reading, active: boolean): SenseResult;
  /** How a new value folds into the peak; `duration` makes the peak the elapsed time, ms. */
  readonly peak: ((peak: number, value: number) => number) | 'duration';
  severity(peak: number): Severity;
  describe(e: ConditionFacts): string;
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
}

export interface ConditionState {
  readonly active: boolean;
  readonly startedAt: number;
  /** Last reading that advanced this rule's clock; NaN before the first. */
  readonly lastTs: number;
  readonly raisedAt: number | undefined;
  readonly peak: number;
  readonly detail: string | undefined;
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
});

/** Builds a rule node from a condition spec. */
export function createConditionRule(spec: ConditionSpec): RuleNode<ConditionState> {
  const raised = (elapsed: number) =>
    spec.raiseWhen === 'reached' ? elapsed >= spec.minDurationMs : elapsed > spec.minDurationMs;

  function episode(st: ConditionState, until: number, endedAt: number | undefined): Episode {
    const peak = spec.peak === 'duration' ? until - st.startedAt : st.peak;
    const facts: ConditionFacts = {
      startedAt: st.startedAt,
      until,
      peak,
      raised: st.raisedAt !== undefined,
      ongoing: endedAt === undefined,
      detail: st.detail,
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

  return {
    rule: spec.rule,
    unit: spec.unit,
    init: () => INITIAL,
    onReading(st: ConditionState, r: Reading): RuleStep<ConditionState> {
      const s = spec.sense(r, st.active);
      if (s === undefined) return { state: st };
      const wasActive = st.active;
      const active = s === 'hold' ? wasActive : s.active;
      if (!active) {
        const state: ConditionState = {
          active: false,
          startedAt: Number.NaN,
          lastTs: r.ts,
          raisedAt: undefined,
          peak: Number.NaN,
          detail: undefined,
        };
        return wasActive ? { state, ended: episode(st, r.ts, r.ts) } : { state };
      }
      // active; a 'hold' cannot start an episode, so a fresh start always has a sensed value
      const fresh = !wasActive;
      const startedAt = fresh ? r.ts : st.startedAt;
      const elapsed = r.ts - startedAt;
      let peak: number;
      if (spec.peak === 'duration') peak = elapsed;
      else if (s === 'hold') peak = st.peak;
      else peak = fresh ? s.value : spec.peak(st.peak, s.value);
      let raisedAt = fresh ? undefined : st.raisedAt;
      if (raisedAt === undefined && raised(elapsed)) raisedAt = r.ts;
      const detail = s !== 'hold' && s.detail !== undefined ? s.detail : fresh ? undefined : st.detail;
      return { state: { active: true, startedAt, lastTs: r.ts, raisedAt, peak, detail } };
    },
    ongoing(st: ConditionState): Episode | undefined {
      return st.active ? episode(st, st.lastTs, undefined) : undefined;
    },
  };
}

/** A finite number from a reading's field, else undefined. */
export function numberField(r: Reading, field: string): number | undefined {
  const v = r.data[field];
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}
