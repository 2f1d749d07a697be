/**
 * The incremental rule engine: per subject (a device or a shipment) it folds readings, in
 * timestamp order, into every rule's state. New readings, in any order, are merged in; the rules
 * are re-run from the checkpoint before the earliest reading that changed, so late (backfilled)
 * data is judged exactly as if it had arrived on time. The episodes found are turned into alarm
 * transitions by reconcile.ts, whose header states the lifecycle policy.
 *
 * Memory per subject is bounded and does not grow with stored history (checkpoints.ts): a few
 * checkpoints of the rules' states and, by default, the readings since the oldest of them. With
 * `memoryReadings` only the newest readings stay in memory; late data older than them is judged
 * with the readings the caller gives back from its store (`historyNeeded`, then `ingest` with
 * `history`). A restart replays the store into the engine page by page (`ingest` with `defer`),
 * so the rules continue from the same states.
 *
 * Pure: no clock (the caller passes `now`), no I/O; the caller persists the transitions, and
 * after a restart gives back the alarms (`restore`) and re-ingests the recent readings.
 */
import { VigilError } from '../errors.ts';
import {
  type Checkpoint,
  checkpointBefore,
  compact,
  dataFrom,
  firstReadingAfter,
  floorTs,
  fold,
  type Limits,
  lowerBound,
  memoryFrom,
  newestTs,
  newSubjectState,
  release,
  type SubjectState,
  upperBound,
} from './checkpoints.ts';
import { type RuleAlarmBook, reconcileRule } from './reconcile.ts';
import type { Alarm, AlarmTransition, Episode, Reading, RuleNode } from './rule.ts';

export interface RuleEngineOptions {
  /** The rule set, the same for every subject or chosen per subject (per-shipment routes). */
  readonly rules: readonly RuleNode[] | ((subject: string) => readonly RuleNode[]);
  /**
   * How far back (behind the newest reading) late data is still judged, default 72 h. A reading
   * at or before the floor (the oldest checkpoint, moved up as this horizon passes it) cannot be
   * placed in order and is counted as `tooOld`.
   */
  readonly retentionMs?: number;
  /**
   * Late data is judged back to at most this many readings behind the newest (default
   * unbounded): readings beyond it are too old, as if older than the retention.
   */
  readonly maxReadings?: number;
  /** An alarm raised longer than this before `now` is `detectedLate` (default 120 s, the ingest backfill mark). */
  readonly lateToleranceMs?: number;
  /**
   * Readings kept in memory per subject (at least this many, up to `checkpointEvery` more);
   * default: every reading back to the floor. With a bound, late data older than them needs
   * {@link RuleEngine.historyNeeded}.
   */
  readonly memoryReadings?: number;
  /** A checkpoint of every rule's state is taken every this many readings (default 256). */
  readonly checkpointEvery?: number;
  /** At most this many checkpoints per subject (default 32); older ones are thinned out. */
  readonly maxCheckpoints?: number;
}

export interface IngestResult {
  readonly transitions: AlarmTransition[];
  readonly accepted: number;
  /** Same timestamp and same fields as a reading already held. */
  readonly duplicates: number;
  /** Older than the retention horizon; not evaluated. */
  readonly tooOld: number;
}

/** Stored readings (samples and events) with `after < ts <= through`. */
export interface HistorySpan {
  readonly after: number;
  readonly through: number;
}

export interface IngestOptions {
  /**
   * The subject's stored readings of the span {@link RuleEngine.historyNeeded} asked for (the
   * ones being ingested may be among them). Required when a span was asked for.
   */
  readonly history?: readonly Reading[];
  /**
   * The readings continue the subject's history in timestamp order (a restart replaying the
   * store page by page): the episodes they end are held and reconciled with the alarms by the
   * next ingest without `defer`. No transitions are returned.
   */
  readonly defer?: boolean;
}

export interface RuleEngine {
  /**
   * The span of older readings, no longer in memory, that judging `readings` needs (only with
   * `memoryReadings`); undefined when none is.
   */
  historyNeeded(subject: string, readings: readonly Reading[]): HistorySpan | undefined;
  /** Merges the readings (any order) for one subject and returns the alarm transitions. */
  ingest(subject: string, readings: readonly Reading[], now: number, options?: IngestOptions): IngestResult;
  /** Re-judges clock-driven conditions (data gaps) at `now`, for one subject or all. */
  tick(now: number, subject?: string): AlarmTransition[];
  openAlarms(subject?: string): Alarm[];
  /** Loads persisted alarms (after a restart) so they are continued, not duplicated. */
  restore(alarms: readonly Alarm[]): void;
  /**
   * Lets the readings a subject holds in memory go (its rules' state stays, as a checkpoint):
   * late data then comes back through `history`.
   */
  release(subject: string): void;
  /** Drops a subject (its shipment closed); the `destroy` of the rule-node contract. */
  forget(subject: string): void;
  subjects(): string[];
}

const HOUR_MS = 3_600_000;

function sameData(a: Reading, b: Reading): boolean {
  if ((a.source ?? 'sample') !== (b.source ?? 'sample')) return false;
  const ka = Object.keys(a.data);
  if (ka.length !== Object.keys(b.data).length) return false;
  return ka.every((k) => Object.is(a.data[k], b.data[k]));
}

/** Where the rules must be re-run from to take in readings whose earliest timestamp is `lo`. */
type Start =
  | { readonly kind: 'append' }
  | { readonly kind: 'memory'; readonly k: number }
  | { readonly kind: 'history'; readonly k: number; readonly span: HistorySpan };

function startFor(s: SubjectState, lo: number): Start {
  // after every reading held (an equal timestamp goes after the readings of that instant)
  if (lo > memoryFrom(s) && lo >= newestTs(s)) return { kind: 'append' };
  const k = checkpointBefore(s, lo);
  if (k >= s.base) return { kind: 'memory', k };
  return { kind: 'history', k, span: { after: (s.cps[k] as Checkpoint).ts, through: memoryFrom(s) } };
}

/**
 * Puts the stored readings of the span back in memory in front of the held ones, from checkpoint
 * `k` on. Stored readings equal to incoming ones are the incoming ones (already committed by the
 * time the rules see them) and are left to the merge.
 */
function rehydrate(s: SubjectState, k: number, history: readonly Reading[], incoming: readonly Reading[]) {
  const after = (s.cps[k] as Checkpoint).ts;
  const through = memoryFrom(s);
  const seg = history.filter((r) => r.ts > after && r.ts <= through).sort((a, b) => a.ts - b.ts);
  const taken = new Array<boolean>(seg.length).fill(false);
  for (const r of incoming) {
    for (let i = lowerBound(seg, r.ts); i < seg.length && (seg[i] as Reading).ts === r.ts; i++) {
      if (!taken[i] && sameData(seg[i] as Reading, r)) {
        taken[i] = true;
        break;
      }
    }
  }
  s.readings = [...seg.filter((_, i) => !taken[i]), ...s.readings];
  s.base = k;
}

export function createRuleEngine(options: RuleEngineOptions): RuleEngine {
  const lateToleranceMs = options.lateToleranceMs ?? 120_000;
  const limits: Limits = {
    retentionMs: options.retentionMs ?? 72 * HOUR_MS,
    maxReadings: Math.max(1, options.maxReadings ?? Number.POSITIVE_INFINITY),
    memoryReadings: Math.max(0, options.memoryReadings ?? Number.POSITIVE_INFINITY),
    every: Math.max(1, options.checkpointEvery ?? 256),
    max: Math.max(2, options.maxCheckpoints ?? 32),
  };
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
      s = newSubjectState(nodes, new Map(nodes.map((n) => [n.rule, { open: undefined, closed: [] }])));
      subjects.set(subject, s);
    }
    return s;
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
    const last = s.last;
    const from = dataFrom(s);
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
          firstReadingAfter: (ts) => firstReadingAfter(s, ts),
          dataFrom: from,
          replayedFrom,
          ...(node.judgedBy !== undefined ? { judgedBy: node.judgedBy } : {}),
          ...(node.criterion !== undefined ? { criterion: node.criterion } : {}),
        }),
      );
    });
    return out;
  }

  function prune(s: SubjectState) {
    if (!compact(s, limits)) return;
    const keepAfter = floorTs(s) - limits.retentionMs;
    for (const book of s.books.values()) {
      if (book.closed.length > 0)
        book.closed = book.closed.filter((c) => (c.resolvedAt ?? c.startedAt) >= keepAfter).slice(-1000);
    }
  }

  /** Adds deferred episodes to `ended`; those ending from `from` on were re-derived. */
  function withHeld(s: SubjectState, ended: Map<string, Episode[]>, from: number): number {
    const held = s.held;
    if (!held) return from;
    s.held = undefined;
    for (const [rule, list] of held) {
      const keep = list.filter((e) => (e.endedAt ?? Number.POSITIVE_INFINITY) < from);
      if (keep.length > 0) ended.set(rule, [...keep, ...(ended.get(rule) ?? [])]);
    }
    return Math.min(s.heldFrom, from);
  }

  function hold(s: SubjectState, ended: Map<string, Episode[]>, from: number): void {
    if (!s.held) {
      s.held = new Map();
      s.heldFrom = from;
    }
    for (const [rule, list] of ended) s.held.set(rule, [...(s.held.get(rule) ?? []), ...list]);
    s.heldFrom = Math.min(s.heldFrom, from);
  }

  return {
    historyNeeded(subject, readings) {
      const s = subjects.get(subject);
      if (!s) return undefined;
      let lo = Number.POSITIVE_INFINITY;
      for (const r of readings) if (Number.isFinite(r.ts) && r.ts > floorTs(s) && r.ts < lo) lo = r.ts;
      if (lo === Number.POSITIVE_INFINITY) return undefined;
      const start = startFor(s, lo);
      return start.kind === 'history' ? start.span : undefined;
    },

    ingest(subject, readings, now, opts = {}) {
      const s = stateOf(subject);
      const incoming = readings.filter((r) => Number.isFinite(r.ts)).sort((a, b) => a.ts - b.ts);
      const floor = floorTs(s);
      const live = incoming.filter((r) => r.ts > floor);
      const tooOld = incoming.length - live.length;
      const settle = (ended: Map<string, Episode[]>, from: number): AlarmTransition[] => {
        if (opts.defer) {
          hold(s, ended, from);
          return [];
        }
        const replayedFrom = withHeld(s, ended, from);
        return reconcile(subject, s, ended, now, replayedFrom);
      };
      if (live.length === 0) {
        return {
          transitions: settle(new Map(), Number.POSITIVE_INFINITY),
          accepted: 0,
          duplicates: 0,
          tooOld,
        };
      }
      const start = startFor(s, (live[0] as Reading).ts);
      if (start.kind === 'history') {
        if (!opts.history) throw new Error(`rule engine: ${subject} needs stored readings (historyNeeded)`);
        rehydrate(s, start.k, opts.history, live);
      }
      let duplicates = 0;
      const fresh: Reading[] = [];
      for (const r of live) {
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
      // stored readings put back in memory are re-judged even when nothing new came with them
      if (fresh.length === 0 && start.kind !== 'history') {
        return { transitions: settle(new Map(), Number.POSITIVE_INFINITY), accepted: 0, duplicates, tooOld };
      }
      // merge: equal timestamps keep the earlier arrival first
      const p = fresh.length > 0 ? upperBound(s.readings, (fresh[0] as Reading).ts) : s.readings.length;
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
      let ended: Map<string, Episode[]>;
      let from: number;
      if (start.kind === 'append') {
        if (p === 0) (s.cps[s.base] as Checkpoint).firstAfter = (s.readings[0] as Reading).ts;
        ended = fold(s, p, s.last, s.count, p, limits.every);
        from = (s.readings[p] as Reading).ts;
      } else {
        // re-run from checkpoint k; the checkpoints after it are re-taken on the way
        const c = s.cps[start.k] as Checkpoint;
        s.cps.length = start.k + 1;
        s.sinceCheckpoint = 0;
        const first = upperBound(s.readings, c.ts);
        c.firstAfter = s.readings[first]?.ts ?? Number.POSITIVE_INFINITY;
        // with stored readings back, everything after the checkpoint is judged again: some may
        // have been committed but not yet given to the engine
        const collectFrom = start.kind === 'history' ? first : p;
        ended = fold(s, first, c.states, c.count, collectFrom, limits.every);
        from = s.readings[collectFrom]?.ts ?? Number.POSITIVE_INFINITY;
      }
      const transitions = settle(ended, from);
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

    release(subject) {
      const s = subjects.get(subject);
      if (s) release(s);
    },

    forget(subject) {
      subjects.delete(subject);
    },

    subjects() {
      return [...subjects.keys()];
    },
  };
}
