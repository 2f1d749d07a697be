/**
 * The incremental rule engine: per subject (a device or a shipment) it keeps the recent readings
 * in timestamp order together with every rule's state before each reading. New readings, in any
 * order, are merged in; the rules are re-run from the earliest reading that changed, using the
 * state saved just before it, so late (backfilled) data is judged exactly as if it had arrived
 * on time. The episodes found are turned into alarm transitions by reconcile.ts, whose header
 * states the lifecycle policy.
 *
 * Pure: no clock (the caller passes `now`), no I/O; the caller persists the transitions, and
 * after a restart gives back the alarms (`restore`) and re-ingests the recent readings.
 */
import { VigilError } from '../errors.ts';
import { type RuleAlarmBook, reconcileRule } from './reconcile.ts';
import type { Alarm, AlarmTransition, Episode, Reading, RuleNode } from './rule.ts';

export interface RuleEngineOptions {
  /** The rule set, the same for every subject or chosen per subject (per-shipment routes). */
  readonly rules: readonly RuleNode[] | ((subject: string) => readonly RuleNode[]);
  /**
   * How far back (behind the newest reading) readings and states are kept, default 72 h. A reading
   * older than everything kept cannot be placed in order and is counted as `tooOld`.
   */
  readonly retentionMs?: number;
  /**
   * At most this many readings are kept per subject (default unbounded): a bound on memory for
   * fast-sampling devices. Readings beyond it are pruned as if older than the retention.
   */
  readonly maxReadings?: number;
  /** An alarm raised longer than this before `now` is `detectedLate` (default 120 s, the ingest backfill mark). */
  readonly lateToleranceMs?: number;
}

export interface IngestResult {
  readonly transitions: AlarmTransition[];
  readonly accepted: number;
  /** Same timestamp and same fields as a reading already held. */
  readonly duplicates: number;
  /** Older than the retention horizon; not evaluated. */
  readonly tooOld: number;
}

export interface RuleEngine {
  /** Merges the readings (any order) for one subject and returns the alarm transitions. */
  ingest(subject: string, readings: readonly Reading[], now: number): IngestResult;
  /** Re-judges clock-driven conditions (data gaps) at `now`, for one subject or all. */
  tick(now: number, subject?: string): AlarmTransition[];
  openAlarms(subject?: string): Alarm[];
  /** Loads persisted alarms (after a restart) so they are continued, not duplicated. */
  restore(alarms: readonly Alarm[]): void;
  /** Drops a subject (its shipment closed); the `destroy` of the rule-node contract. */
  forget(subject: string): void;
  subjects(): string[];
}

interface SubjectState {
  readonly nodes: readonly RuleNode[];
  readonly readings: Reading[];
  /** states[i]: every node's state before readings[i]; states[readings.length]: after the last. */
  readonly states: unknown[][];
  readonly books: Map<string, RuleAlarmBook>;
  /** Readings at or before this timestamp were pruned; later arrivals this old are too old. */
  floorTs: number;
}

const HOUR_MS = 3_600_000;

function sameData(a: Reading, b: Reading): boolean {
  if ((a.source ?? 'sample') !== (b.source ?? 'sample')) return false;
  const ka = Object.keys(a.data);
  if (ka.length !== Object.keys(b.data).length) return false;
  return ka.every((k) => Object.is(a.data[k], b.data[k]));
}

/** Index of the first reading with ts > t (readings sorted by ts). */
function upperBound(rs: readonly Reading[], t: number): number {
  let lo = 0;
  let hi = rs.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((rs[mid] as Reading).ts <= t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Index of the first reading with ts >= t. */
function lowerBound(rs: readonly Reading[], t: number): number {
  let lo = 0;
  let hi = rs.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((rs[mid] as Reading).ts < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export function createRuleEngine(options: RuleEngineOptions): RuleEngine {
  const retentionMs = options.retentionMs ?? 72 * HOUR_MS;
  const lateToleranceMs = options.lateToleranceMs ?? 120_000;
  const maxReadings = Math.max(1, options.maxReadings ?? Number.POSITIVE_INFINITY);
  const subjects = new Map<string, SubjectState>();

  function nodesFor(subject: string): readonly RuleNode[] {
    const nodes = typeof options.rules === 'function' ? options.rules(subject) : options.rules;
    const ids = new Set<string>();
    for (const n of nodes) {
      if (ids.has(n.rule)) throw new VigilError('VIGIL_ERR_CONFIG', `duplicate rule id ${n.rule}`);
      ids.add(n.rule);
    }
    return nodes;
  }

  function stateOf(subject: string): SubjectState {
    let s = subjects.get(subject);
    if (!s) {
      const nodes = nodesFor(subject);
      s = {
        nodes,
        readings: [],
        states: [nodes.map((n) => n.init())],
        books: new Map(nodes.map((n) => [n.rule, { open: undefined, closed: [] }])),
        floorTs: Number.NEGATIVE_INFINITY,
      };
      subjects.set(subject, s);
    }
    return s;
  }

  /** Re-runs every node from reading index p; returns the episodes that ended, per rule. */
  function replay(s: SubjectState, p: number): Map<string, Episode[]> {
    const ended = new Map<string, Episode[]>();
    s.states.length = p + 1;
    let cur = s.states[p] as unknown[];
    const nodes = s.nodes;
    for (let i = p; i < s.readings.length; i++) {
      const r = s.readings[i] as Reading;
      const next = new Array<unknown>(nodes.length);
      for (let k = 0; k < nodes.length; k++) {
        const node = nodes[k] as RuleNode;
        const step = node.onReading(cur[k], r);
        next[k] = step.state;
        if (step.ended) {
          const list = ended.get(node.rule);
          if (list) list.push(step.ended);
          else ended.set(node.rule, [step.ended]);
        }
      }
      s.states.push(next);
      cur = next;
    }
    return ended;
  }

  /** Alarm transitions of every rule; `replayedFrom`: episodes ending after it were re-derived. */
  function reconcile(
    subject: string,
    s: SubjectState,
    ended: Map<string, Episode[]>,
    now: number,
    replayedFrom = Number.POSITIVE_INFINITY,
  ) {
    const out: AlarmTransition[] = [];
    const last = s.states[s.states.length - 1] as unknown[];
    const firstReadingAfter = (ts: number) => s.readings[upperBound(s.readings, ts)]?.ts;
    const dataFrom = s.readings[0]?.ts ?? Number.POSITIVE_INFINITY;
    s.nodes.forEach((node, k) => {
      const episodes = ended.get(node.rule) ?? [];
      const ongoing = node.ongoing(last[k], now);
      const all = ongoing ? [...episodes, ongoing] : episodes;
      const book = s.books.get(node.rule) as RuleAlarmBook;
      // resolved alarms whose end was re-derived must be matched again (corrected or disproved)
      const revisit = (c: Alarm) => !c.disproved && (c.resolvedAt ?? Number.POSITIVE_INFINITY) > replayedFrom;
      if (all.length === 0 && !book.open && !book.closed.some(revisit)) return;
      out.push(
        ...reconcileRule(book, all, {
          subject,
          rule: node.rule,
          unit: node.unit,
          now,
          lateToleranceMs,
          firstReadingAfter,
          dataFrom,
          replayedFrom,
          ...(node.judgedBy !== undefined ? { judgedBy: node.judgedBy } : {}),
          ...(node.criterion !== undefined ? { criterion: node.criterion } : {}),
        }),
      );
    });
    return out;
  }

  function prune(s: SubjectState) {
    const n = s.readings.length;
    if (n === 0) return;
    const horizon = (s.readings[n - 1] as Reading).ts - retentionMs;
    const cut = Math.max(lowerBound(s.readings, horizon), n - maxReadings);
    // amortised: drop in chunks, never the last reading
    if (cut < 1024 && cut < n / 4) return;
    const drop = Math.min(cut, n - 1);
    if (drop <= 0) return;
    s.floorTs = (s.readings[drop - 1] as Reading).ts;
    s.readings.splice(0, drop);
    s.states.splice(0, drop);
    const keepAfter = s.floorTs - retentionMs;
    for (const book of s.books.values()) {
      if (book.closed.length > 0)
        book.closed = book.closed.filter((c) => (c.resolvedAt ?? c.startedAt) >= keepAfter).slice(-1000);
    }
  }

  return {
    ingest(subject, readings, now) {
      const s = stateOf(subject);
      const incoming = readings.filter((r) => Number.isFinite(r.ts)).sort((a, b) => a.ts - b.ts);
      let tooOld = 0;
      let duplicates = 0;
      const fresh: Reading[] = [];
      for (const r of incoming) {
        if (r.ts <= s.floorTs) {
          tooOld++;
          continue;
        }
        let dup = false;
        for (
          let i = lowerBound(s.readings, r.ts);
          i < s.readings.length && (s.readings[i] as Reading).ts === r.ts;
          i++
        ) {
          if (sameData(s.readings[i] as Reading, r)) dup = true;
        }
        for (let i = fresh.length - 1; !dup && i >= 0 && (fresh[i] as Reading).ts === r.ts; i--) {
          if (sameData(fresh[i] as Reading, r)) dup = true;
        }
        if (dup) duplicates++;
        else fresh.push(r);
      }
      if (fresh.length === 0) {
        return { transitions: reconcile(subject, s, new Map(), now), accepted: 0, duplicates, tooOld };
      }
      // merge: equal timestamps keep the earlier arrival first
      const p = upperBound(s.readings, (fresh[0] as Reading).ts);
      const tail = s.readings.splice(p);
      let i = 0;
      let j = 0;
      while (i < tail.length || j < fresh.length) {
        if (j >= fresh.length || (i < tail.length && (tail[i] as Reading).ts <= (fresh[j] as Reading).ts)) {
          s.readings.push(tail[i++] as Reading);
        } else {
          s.readings.push(fresh[j++] as Reading);
        }
      }
      const ended = replay(s, p);
      const transitions = reconcile(subject, s, ended, now, (s.readings[p] as Reading).ts);
      prune(s);
      return { transitions, accepted: fresh.length, duplicates, tooOld };
    },

    tick(now, subject) {
      const out: AlarmTransition[] = [];
      const names = subject === undefined ? [...subjects.keys()] : subjects.has(subject) ? [subject] : [];
      for (const name of names)
        out.push(...reconcile(name, subjects.get(name) as SubjectState, new Map(), now));
      return out;
    },

    openAlarms(subject) {
      const out: Alarm[] = [];
      for (const [name, s] of subjects) {
        if (subject !== undefined && name !== subject) continue;
        for (const book of s.books.values()) if (book.open) out.push(book.open);
      }
      return out;
    },

    restore(alarms) {
      for (const a of alarms) {
        const book = stateOf(a.subject).books.get(a.rule);
        if (!book) continue; // a rule this subject no longer has
        if (a.state === 'open') book.open = a;
        else book.closed.push(a);
      }
    },

    forget(subject) {
      subjects.delete(subject);
    },

    subjects() {
      return [...subjects.keys()];
    },
  };
}
