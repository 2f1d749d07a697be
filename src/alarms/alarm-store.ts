/**
 * The storage port of alarms: the rules (src/rules) open, update and resolve them; people
 * acknowledge them through the API. The SQLite adapter is `src/storage/adapters/sqlite-alarm-store.ts`.
 * Timestamps are milliseconds since the Unix epoch.
 */

/** `open` until acknowledged or resolved; an acknowledged alarm stays active until it resolves. */
export type AlarmState = 'open' | 'acknowledged' | 'resolved';
export const ALARM_STATES: readonly AlarmState[] = ['open', 'acknowledged', 'resolved'];

export type AlarmSeverity = 'info' | 'warning' | 'critical';
export const ALARM_SEVERITIES: readonly AlarmSeverity[] = ['info', 'warning', 'critical'];

export type AlarmKind = 'rule' | 'statistical';

/** Longest acknowledgement reason, in characters. */
export const ACK_REASON_MAX = 500;

/**
 * What an acknowledgement means (21 CFR 11.50(a)(3): a signed record states its meaning). The
 * API records `review`: the signer has reviewed the alarm and recorded why it is acceptable or
 * what was done.
 */
export const ACK_MEANING_REVIEW = 'review';

/**
 * The meanings an electronically signed acknowledgement may state (21 CFR 11.50(a)(3)):
 * `reviewed` (the alarm was looked at and the reason says why it is acceptable or what was
 * done), `impact assessed` (the effect on the product was judged), `approved` (the corrective
 * action or disposition is approved).
 */
export const ACK_MEANINGS = ['reviewed', 'impact assessed', 'approved'] as const;
export type AckMeaning = (typeof ACK_MEANINGS)[number];

/** Who acknowledged an alarm, when, why and with what meaning. */
export interface AlarmAck {
  /** Audit actor: `user:<name>` or `token:<id>`. */
  by: string;
  at: number;
  reason: string;
  meaning: string;
  /**
   * The signer's printed name and role at signing (21 CFR 11.50(a)(1)), for acknowledgements
   * signed with password and TOTP; absent on older ones.
   */
  name?: string;
  role?: string;
}

/**
 * Late data showed the alarm's condition was not met as it was raised (docs/alarms.md). The alarm
 * is kept, resolved, with the facts it was raised on.
 */
export interface AlarmDisproof {
  /** Wall-clock time the disproof was found. */
  at: number;
  /** What the data shows instead, in words. */
  reason: string;
}

/** A stored alarm. */
export interface AlarmRecord {
  /** The rules' stable id, `<subject>/<rule>/<raisedAt>`. */
  id: string;
  rule: string;
  /** The device or shipment the alarm is about. */
  subject: string;
  kind: AlarmKind;
  state: AlarmState;
  /** Data time the condition started. */
  startedAt: number;
  /** Data time the alarm condition was met. */
  raisedAt: number;
  /** Wall-clock time the alarm was opened. */
  detectedAt: number;
  /** Data time the condition ended; null while active. */
  resolvedAt: number | null;
  /** Detection came later than the rules' tolerance (late or backfilled data). */
  detectedLate: boolean;
  severity: AlarmSeverity;
  message: string;
  /** Most extreme value of the condition, in `unit`. */
  peak: number | null;
  unit: string | null;
  ack: AlarmAck | null;
  /** Set when late data disproved the alarm; null otherwise. */
  disproved: AlarmDisproof | null;
  /** Anything else the rules want to keep (anomaly score, limits); never a secret. */
  detail: Record<string, unknown>;
  /** Last change of this row (wall clock). */
  updatedAt: number;
}

/** Input of {@link AlarmStore.open}. */
export interface OpenAlarmInput {
  /** Default `<subject>/<rule>/<raisedAt>`. */
  id?: string;
  rule: string;
  subject: string;
  kind?: AlarmKind;
  startedAt: number;
  raisedAt: number;
  /** Default: `at` of the call. */
  detectedAt?: number;
  detectedLate?: boolean;
  severity: AlarmSeverity;
  message: string;
  peak?: number | null;
  unit?: string | null;
  detail?: Record<string, unknown>;
}

/** The fields an update of an active alarm may change (rules: `updated` transition). */
export type AlarmPatch = Partial<
  Pick<AlarmRecord, 'startedAt' | 'raisedAt' | 'severity' | 'message' | 'peak' | 'unit' | 'detail'>
>;

/**
 * The facts a correction of a resolved alarm may change: late data filled in its period (rules:
 * `updated` transition of a resolved alarm). Its state, acknowledgement and identity stay.
 */
export type AlarmCorrection = Partial<
  Pick<AlarmRecord, 'startedAt' | 'raisedAt' | 'severity' | 'message' | 'peak'> & { resolvedAt: number }
>;

/** Filters of {@link AlarmStore.list}; `active` = open or acknowledged. */
export interface AlarmQuery {
  state?: AlarmState | 'active';
  subject?: string;
  rule?: string;
  /** Raised at or after. */
  since?: number;
  /**
   * Changed (`updatedAt`) at or after; the list is then ordered by that change, oldest first, so
   * that a follower (`vigil alarms --follow`) sees every change in order.
   */
  changedSince?: number;
  /** Default 100, at most 1000. */
  limit?: number;
}

/**
 * Alarms, deduplicated: at most one active (open or acknowledged) alarm per (rule, subject).
 * Writes are idempotent where the rules may repeat themselves after a restart.
 */
export interface AlarmStore {
  /**
   * Opens an alarm, or, when one is already active for (rule, subject), updates that one with the
   * mutable fields of `input` (start, severity, message, peak, unit, detail). `created` says which.
   */
  open(input: OpenAlarmInput, at: number): Promise<{ alarm: AlarmRecord; created: boolean }>;
  /** Updates an active alarm; null when it does not exist or is resolved. */
  update(id: string, patch: AlarmPatch, at: number): Promise<AlarmRecord | null>;
  /** Resolves an active alarm (its acknowledgement, if any, is kept); null when not active. */
  resolve(id: string, resolvedAt: number, at: number, patch?: AlarmPatch): Promise<AlarmRecord | null>;
  /**
   * Corrects the facts of a resolved alarm without re-opening it. Returns the record before and
   * after (the caller audits the change); null when the alarm is unknown, still active (use
   * `update`) or disproved (its facts stay as they were raised).
   */
  correct(
    id: string,
    patch: AlarmCorrection,
    at: number,
  ): Promise<{ before: AlarmRecord; after: AlarmRecord } | null>;
  /**
   * Marks an alarm disproved, keeping its facts; an active one is resolved at `resolvedAt` (its
   * acknowledgement, if any, is kept). Null when it is unknown or already disproved.
   */
  disprove(id: string, disproof: AlarmDisproof, resolvedAt: number, at: number): Promise<AlarmRecord | null>;
  /**
   * Records an acknowledgement. VIGIL_ERR_NOT_FOUND for an unknown id, VIGIL_ERR_ALREADY_ACKNOWLEDGED
   * when it already carries one. A resolved alarm can still be acknowledged (an excursion that
   * ended still needs review); it stays `resolved`.
   */
  acknowledge(id: string, ack: AlarmAck): Promise<AlarmRecord>;
  /** Newest raised first (oldest change first with `changedSince`). */
  list(q?: AlarmQuery): Promise<AlarmRecord[]>;
  get(id: string): Promise<AlarmRecord | null>;
}

/** The default id of an alarm (the rules' format). */
export function alarmId(subject: string, rule: string, raisedAt: number): string {
  return `${subject}/${rule}/${raisedAt}`;
}
