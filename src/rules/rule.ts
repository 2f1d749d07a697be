/**
 * The rule-node contract and the alarm model shared by every rule.
 *
 * A rule node is pure (ThingsBoard's `init / onMessage / destroy`, minus I/O): `init()` gives its
 * starting state, `onReading()` folds one reading (in timestamp order) into a NEW state and may
 * report a condition episode that ended at that reading, and `ongoing()` reports the episode still
 * running after the last reading. States are never mutated, so the engine can keep the state
 * before every reading and re-run from any point when late data arrives.
 */

/** One reading as the rules see it. A stored `ReadingRecord` fits as is. */
export interface Reading {
  /** The reading's own timestamp, ms since the Unix epoch; all rules run on it. */
  readonly ts: number;
  /** Sample fields (`temp_c`, `door`, `power`, ...) or, for an event, the state it reports. */
  readonly data: Readonly<Record<string, unknown>>;
  /** `event`: made from a device event (door, power, battery); not a sample for data-gap purposes. */
  readonly source?: 'sample' | 'event';
  readonly receivedAt?: number;
  readonly backfill?: boolean;
}

export type Severity = 'info' | 'warning' | 'critical';

/** The unit of an alarm's `peak`. */
export type AlarmUnit = 'C' | 'ms' | '%' | 'km' | 'dBm' | 'bpm' | 'score' | 'fields';

/** A period during which one rule's condition held, as derived from the readings alone. */
export interface Episode {
  readonly rule: string;
  /** Data time the condition started (first reading showing it; a gap's last reading). */
  readonly startedAt: number;
  /** Data time the raise criterion was met; absent while the condition is too young. */
  readonly raisedAt?: number;
  /**
   * Data time the condition ended: the first reading that no longer shows it. A data gap does not
   * end it (nothing shows the condition cleared; docs/alarms.md, "The gap rule"). Absent while it
   * still holds.
   */
  readonly endedAt?: number;
  readonly peak: number;
  readonly severity: Severity;
  readonly message: string;
}

/** What one reading did to a rule. */
export interface RuleStep<S> {
  readonly state: S;
  /** An episode that ended at this reading (at most one per reading). */
  readonly ended?: Episode;
}

/** A pure rule node with its typed config already bound (see each `*-rule.ts`). */
export interface RuleNode<S = unknown> {
  /** The alarm's rule id; unique within a rule set (`heat`, `freeze`, `budget:above-8`, ...). */
  readonly rule: string;
  readonly unit: AlarmUnit;
  init(): S;
  onReading(state: S, reading: Reading): RuleStep<S>;
  /** The episode still running after the last reading, if any. `now` is the wall clock. */
  ongoing(state: S, now: number): Episode | undefined;
  /**
   * `clock`: the rule judges silence against the wall clock (data gap), so late data ends its
   * alarms but never disproves them. Default `data`.
   */
  readonly judgedBy?: 'data' | 'clock';
  /**
   * What the rule judges by (its limits and durations), e.g. `above 8 >=36000000ms`. An alarm is
   * corrected or disproved by late data only under the criterion it was raised by: after a
   * profile change, alarms of the old profile stay as they were judged. Default `''`.
   */
  readonly criterion?: string;
}

/** Late data showed that an alarm's condition was not met as it was raised (docs/alarms.md). */
export interface Disproof {
  /** Wall-clock time it was found. */
  readonly at: number;
  /** What the data shows instead, in words. */
  readonly reason: string;
}

/** An alarm as the caller persists it. Deduplicated: at most one open alarm per (rule, subject). */
export interface Alarm {
  /**
   * Stable id, fixed when the alarm opens: `<subject>/<rule>/<raisedAt at opening>`, with `.2`,
   * `.3`, ... appended when an alarm of the same rule and subject already has that id.
   */
  readonly id: string;
  readonly rule: string;
  /** The device or shipment the readings belong to. */
  readonly subject: string;
  /** `rule`: a deterministic rule fired; `statistical`: the anomaly detector scored the reading. */
  readonly kind: 'rule' | 'statistical';
  readonly state: 'open' | 'resolved';
  /** Data time the condition started. */
  readonly startedAt: number;
  /** Data time the alarm condition was met (late data filling the period can move it earlier). */
  readonly raisedAt: number;
  /**
   * Data time the condition ended. When late data shows that a raised condition had in fact
   * cleared earlier, this can be before `raisedAt`.
   */
  readonly resolvedAt?: number;
  /** Wall-clock time the engine opened the alarm (the `now` it was given). */
  readonly detectedAt: number;
  /** True when detection came later than `raisedAt` by more than the engine's late tolerance. */
  readonly detectedLate: boolean;
  readonly severity: Severity;
  /** Most extreme value of the condition (highest temperature, longest open door, ...). */
  readonly peak: number;
  readonly unit: AlarmUnit;
  /** Anomaly score for statistical alarms. */
  readonly score?: number;
  readonly message: string;
  /** Set when late data disproved the alarm; it stays on record, resolved, as it was raised. */
  readonly disproved?: Disproof;
  /** The rule's {@link RuleNode.criterion} when the alarm was raised. */
  readonly criterion?: string;
  /** Facts behind a statistical alarm's explanation (features, baselines, model); never a secret. */
  readonly detail?: Readonly<Record<string, unknown>>;
}

/**
 * A change for the caller to persist, keyed by `alarm.id`. `updated` carries corrected facts of an
 * open alarm, or of a resolved one whose period late data filled in (it stays resolved: a
 * correction). `disproved` carries an alarm, open or resolved, that late data disproved: it is
 * resolved if it was open, keeps the facts it was raised on, and has `disproved` set.
 */
export interface AlarmTransition {
  readonly type: 'opened' | 'updated' | 'resolved' | 'disproved';
  readonly alarm: Alarm;
  /** Wall-clock time of the transition (`now`). */
  readonly at: number;
}
