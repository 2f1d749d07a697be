/**
 * The shape the sensor-fault rules share: a per-reading verdict ("this reading shows the fault")
 * folded into episodes with a raise criterion and a hold.
 *
 * - An episode starts at the first faulty reading (or earlier, when the verdict says the fault
 *   began before it: a flat line starts at the first of its identical readings).
 * - It is raised at the first faulty reading where it has lasted `minDurationMs` (reached) and
 *   shown `minReadings` faulty readings.
 * - It ends at the first good reading after the last faulty one, but only once `holdMs` has
 *   passed without a faulty reading: a spike and its return, or a sensor that flickers between
 *   stuck and live, make one alarm, not several. Until then it is reported as ongoing.
 * - An episode that ends before it was raised leaves no trace.
 *
 * Unlike condition-rule.ts, a rule's verdict may depend on earlier readings (the previous value
 * for a rate of change, the run of identical values for a flat line): each rule keeps that in
 * its own `memo`, and states stay immutable.
 */
import type { AlarmUnit, Episode, Reading, RuleNode, RuleStep, Severity } from '../rule.ts';

/** What one reading says about the fault; undefined: nothing (skipped, the clock does not move). */
export interface FaultVerdict {
  readonly faulty: boolean;
  /** Data time the fault began, if before this reading (default: this reading's ts). */
  readonly since?: number;
  /** Faulty readings this verdict stands for (default 1; a flat line counts its whole run). */
  readonly count?: number;
  /** Value folded into the peak (`unit` other than `ms`). */
  readonly value?: number;
  /** Wording of the latest faulty reading, for the message. */
  readonly detail?: string;
}

export interface FaultFacts {
  readonly startedAt: number;
  readonly until: number;
  readonly peak: number;
  readonly readings: number;
  readonly detail: string;
  readonly ongoing: boolean;
}

export interface FaultSpec<M> {
  readonly rule: string;
  readonly unit: AlarmUnit;
  readonly minDurationMs: number;
  readonly minReadings: number;
  readonly holdMs: number;
  readonly severity: Severity;
  readonly initialMemo: M;
  judge(memo: M, reading: Reading): { readonly memo: M; readonly verdict: FaultVerdict | undefined };
  /** Peak fold for value units; `ms` units use the episode's duration. */
  readonly peak?: (peak: number, value: number) => number;
  describe(f: FaultFacts): string;
}

interface Run {
  readonly startedAt: number;
  readonly lastFaultTs: number;
  /** First good reading after the last faulty one (the fault's end, once the hold is over). */
  readonly clearedAt: number | undefined;
  readonly readings: number;
  readonly raisedAt: number | undefined;
  readonly peak: number;
  readonly detail: string;
}

export interface FaultState<M> {
  readonly memo: M;
  readonly run: Run | undefined;
}

export function createFaultRule<M>(spec: FaultSpec<M>): RuleNode<FaultState<M>> {
  const episode = (run: Run, endedAt: number | undefined): Episode => {
    const until = endedAt ?? run.lastFaultTs;
    const peak = spec.unit === 'ms' ? until - run.startedAt : run.peak;
    return {
      rule: spec.rule,
      startedAt: run.startedAt,
      ...(run.raisedAt !== undefined ? { raisedAt: run.raisedAt } : {}),
      ...(endedAt !== undefined ? { endedAt } : {}),
      peak,
      severity: spec.severity,
      message: spec.describe({
        startedAt: run.startedAt,
        until,
        peak,
        readings: run.readings,
        detail: run.detail,
        ongoing: endedAt === undefined,
      }),
    };
  };

  return {
    rule: spec.rule,
    unit: spec.unit,
    init: () => ({ memo: spec.initialMemo, run: undefined }),
    onReading(st, r): RuleStep<FaultState<M>> {
      const { memo, verdict } = spec.judge(st.memo, r);
      if (!verdict) return { state: { memo, run: st.run } };
      const prev = st.run;
      if (verdict.faulty) {
        const fresh = prev === undefined;
        const startedAt = fresh ? Math.min(verdict.since ?? r.ts, r.ts) : prev.startedAt;
        const readings = (fresh ? 0 : prev.readings) + (verdict.count ?? 1);
        const value = verdict.value ?? 0;
        const peak = fresh || !spec.peak ? value : spec.peak(prev.peak, value);
        let raisedAt = fresh ? undefined : prev.raisedAt;
        if (raisedAt === undefined && r.ts - startedAt >= spec.minDurationMs && readings >= spec.minReadings)
          raisedAt = r.ts;
        const run: Run = {
          startedAt,
          lastFaultTs: r.ts,
          clearedAt: undefined,
          readings,
          raisedAt,
          peak: spec.peak ? peak : 0,
          // value rules describe their most extreme reading, duration rules the latest one
          detail:
            fresh || !spec.peak || peak !== prev.peak ? (verdict.detail ?? prev?.detail ?? '') : prev.detail,
        };
        return { state: { memo, run } };
      }
      // a fault that cleared before it was due leaves no trace
      if (!prev || prev.raisedAt === undefined) return { state: { memo, run: undefined } };
      const clearedAt = prev.clearedAt ?? r.ts;
      if (r.ts - prev.lastFaultTs >= spec.holdMs) {
        return { state: { memo, run: undefined }, ended: episode(prev, clearedAt) };
      }
      return { state: { memo, run: { ...prev, clearedAt } } };
    },
    ongoing(st) {
      return st.run && st.run.raisedAt !== undefined ? episode(st.run, undefined) : undefined;
    },
  };
}
