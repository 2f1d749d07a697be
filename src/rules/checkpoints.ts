/**
 * What the rule engine holds per subject between readings: checkpoints of every rule's state and
 * the newest readings, instead of every reading of the retention window and the states before
 * each (which made memory grow with stored history: about 0.8 KB a reading, so a restart on a
 * database of 700,000 readings held 600 MB of them).
 *
 * - A checkpoint is every rule's state after all readings up to and including its timestamp. One
 *   is taken every `every` readings, only between two readings of different timestamps (so a
 *   later reading of the same instant is never on the wrong side of it).
 * - Readings newer than the base checkpoint are held in memory; older ones are not. Late data
 *   that lands after the base is merged and judged in memory; data that lands before it needs the
 *   readings between the checkpoint before it and the base back (the engine's `historyNeeded`).
 * - The oldest checkpoint is the floor: a reading at or before it is too old to place.
 * - At most `max` checkpoints per subject: beyond it every second one between the floor and the
 *   base is dropped, so spacing grows with age while the count stays bounded.
 *
 * Pure: no I/O, no clock.
 */
import type { RuleAlarmBook } from './reconcile.ts';
import type { Episode, Reading, RuleNode } from './rule.ts';

export interface Checkpoint {
  /** Every reading with `ts <= this` is folded into `states` (-Infinity: none yet). */
  readonly ts: number;
  /** Readings folded since the subject was created, this checkpoint's included. */
  readonly count: number;
  readonly states: readonly unknown[];
  /** Timestamp of the first reading after `ts` (+Infinity: none yet). */
  firstAfter: number;
}

export interface SubjectState {
  readonly nodes: readonly RuleNode[];
  readonly books: Map<string, RuleAlarmBook>;
  /** Ascending by `ts`; never empty. `cps[0]` is the floor. */
  cps: Checkpoint[];
  /** Index of the base checkpoint: `readings` holds every reading after it. */
  base: number;
  /** In memory, in timestamp order (equal timestamps in arrival order). */
  readings: Reading[];
  /** Every rule's state after the newest reading. */
  last: readonly unknown[];
  /** Readings folded in total. */
  count: number;
  /** Readings folded since the newest checkpoint. */
  sinceCheckpoint: number;
  /** Episodes ended by readings ingested with `defer`, not yet reconciled. */
  held: Map<string, Episode[]> | undefined;
  /** Timestamp of the oldest of them. */
  heldFrom: number;
}

export function newSubjectState(nodes: readonly RuleNode[], books: Map<string, RuleAlarmBook>): SubjectState {
  const states = nodes.map((n) => n.init());
  return {
    nodes,
    books,
    cps: [{ ts: Number.NEGATIVE_INFINITY, count: 0, states, firstAfter: Number.POSITIVE_INFINITY }],
    base: 0,
    readings: [],
    last: states,
    count: 0,
    sinceCheckpoint: 0,
    held: undefined,
    heldFrom: Number.POSITIVE_INFINITY,
  };
}

/** Index of the first reading with ts > t (readings sorted by ts). */
export function upperBound(rs: readonly { readonly ts: number }[], t: number): number {
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
export function lowerBound(rs: readonly { readonly ts: number }[], t: number): number {
  let lo = 0;
  let hi = rs.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((rs[mid] as Reading).ts < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Readings at or before this are too old to place. */
export const floorTs = (s: SubjectState): number => (s.cps[0] as Checkpoint).ts;

/** Readings after this are in memory. */
export const memoryFrom = (s: SubjectState): number => (s.cps[s.base] as Checkpoint).ts;

/** Timestamp of the newest reading folded (-Infinity: none). */
export const newestTs = (s: SubjectState): number => s.readings.at(-1)?.ts ?? memoryFrom(s);

/** The oldest reading after the floor: nothing before it is judged again. */
export const dataFrom = (s: SubjectState): number => (s.cps[0] as Checkpoint).firstAfter;

/** Index of the newest checkpoint strictly before `ts` (0 when `ts` is after the floor). */
export function checkpointBefore(s: SubjectState, ts: number): number {
  let k = s.cps.length - 1;
  while (k > 0 && (s.cps[k] as Checkpoint).ts >= ts) k--;
  return k;
}

/**
 * Timestamp of the first reading strictly after `ts`. Exact for `ts` inside memory or when the
 * checkpoint before `ts` is followed by nothing until after it; otherwise the nearest reading
 * known to come after `ts` (a checkpoint's own reading).
 */
export function firstReadingAfter(s: SubjectState, ts: number): number | undefined {
  if (ts >= memoryFrom(s)) return s.readings[upperBound(s.readings, ts)]?.ts;
  let k = s.cps.length - 1;
  while (k >= 0 && (s.cps[k] as Checkpoint).ts > ts) k--;
  if (k < 0) return Number.isFinite(dataFrom(s)) ? dataFrom(s) : undefined;
  const c = s.cps[k] as Checkpoint;
  if (c.firstAfter > ts && Number.isFinite(c.firstAfter)) return c.firstAfter;
  return s.cps[k + 1]?.ts ?? s.readings[0]?.ts;
}

export interface Limits {
  readonly retentionMs: number;
  readonly maxReadings: number;
  /** Readings kept in memory after the base (at least; up to `every` more). */
  readonly memoryReadings: number;
  readonly every: number;
  readonly max: number;
}

/**
 * Moves the floor to the newest checkpoint older than the retention horizon or with at least
 * `maxReadings` readings after it, drops readings from memory beyond `memoryReadings`, and thins
 * the checkpoints. Returns whether the floor moved.
 */
export function compact(s: SubjectState, l: Limits): boolean {
  const horizon = newestTs(s) - l.retentionMs;
  let f = 0;
  for (let i = s.cps.length - 1; i > 0; i--) {
    const c = s.cps[i] as Checkpoint;
    if (c.ts < horizon || s.count - c.count >= l.maxReadings) {
      f = i;
      break;
    }
  }
  if (f > s.base) dropMemoryThrough(s, f);
  if (f > 0) {
    s.cps.splice(0, f);
    s.base -= f;
  }
  if (s.readings.length > l.memoryReadings + l.every) {
    for (let k = s.cps.length - 1; k > s.base; k--) {
      const after = s.readings.length - upperBound(s.readings, (s.cps[k] as Checkpoint).ts);
      if (after >= l.memoryReadings) {
        dropMemoryThrough(s, k);
        break;
      }
    }
  }
  if (s.cps.length > l.max) thin(s, l.max);
  return f > 0;
}

/** Makes checkpoint `k` (after the base) the base: the readings up to it leave memory. */
function dropMemoryThrough(s: SubjectState, k: number): void {
  s.readings.splice(0, upperBound(s.readings, (s.cps[k] as Checkpoint).ts));
  s.base = k;
}

/** Drops every second checkpoint other than the floor and the base (the newest kept). */
function thin(s: SubjectState, max: number): void {
  while (s.cps.length > max) {
    const removable: number[] = [];
    for (let i = s.cps.length - 1; i > 0; i--) if (i !== s.base) removable.push(i);
    if (removable.length === 0) return;
    const drop = new Set(removable.filter((_, j) => j % 2 === 1));
    if (drop.size === 0) drop.add(removable[0] as number);
    const base = s.cps[s.base] as Checkpoint;
    s.cps = s.cps.filter((_, i) => !drop.has(i));
    s.base = s.cps.indexOf(base);
  }
}

/** Makes the state after the newest reading a checkpoint and empties memory. */
export function release(s: SubjectState): void {
  if (s.readings.length === 0) return;
  const ts = newestTs(s);
  s.cps.push({ ts, count: s.count, states: s.last, firstAfter: Number.POSITIVE_INFINITY });
  s.base = s.cps.length - 1;
  s.readings = [];
  s.sinceCheckpoint = 0;
}

/**
 * Folds `s.readings[from..]` into the rules, starting from `start` (the state before
 * `s.readings[from]`, which follows the newest checkpoint by `s.sinceCheckpoint` readings), and
 * takes checkpoints on the way. Returns the episodes that ended at index `collectFrom` or later.
 */
export function fold(
  s: SubjectState,
  from: number,
  start: readonly unknown[],
  count: number,
  collectFrom: number,
  every: number,
): Map<string, Episode[]> {
  const ended = new Map<string, Episode[]>();
  const nodes = s.nodes;
  const rs = s.readings;
  let cur = start;
  let n = count;
  for (let i = from; i < rs.length; i++) {
    const r = rs[i] as Reading;
    const next = new Array<unknown>(nodes.length);
    for (let k = 0; k < nodes.length; k++) {
      const node = nodes[k] as RuleNode;
      const step = node.onReading(cur[k], r);
      next[k] = step.state;
      if (step.ended && i >= collectFrom) {
        const list = ended.get(node.rule);
        if (list) list.push(step.ended);
        else ended.set(node.rule, [step.ended]);
      }
    }
    cur = next;
    n++;
    s.sinceCheckpoint++;
    const after = rs[i + 1];
    if (s.sinceCheckpoint >= every && after && after.ts > r.ts) {
      s.cps.push({ ts: r.ts, count: n, states: next, firstAfter: after.ts });
      s.sinceCheckpoint = 0;
    }
  }
  s.last = cur;
  s.count = n;
  return ended;
}
