/**
 * One episode, one alarm: the statistical monitor's lifecycle over per-minute scores, where a
 * score of 1 is the threshold.
 *
 * - Raise: the score stays at or above 1 over consecutive scored minutes spanning `persistMs`
 *   (minutes apart by more than `maxGapMin` break the run, as does a covered minute: what the
 *   rules judge cannot confirm an anomaly).
 * - Hold: once open, the alarm resolves only after scored minutes below `clearBelow` span
 *   `holdMs`; a minute at or above `clearBelow` starts the count again. Covered minutes neither
 *   clear nor extend it, so an anomaly that runs out of range and back stays one alarm.
 * - Resolved at the first reading of the quiet stretch (the data time the condition ended).
 */
import { MINUTE_MS } from './features.ts';

export interface EpisodeOptions {
  readonly persistMs: number;
  readonly holdMs: number;
  readonly clearBelow: number;
  /** Minutes between scored minutes that still count as consecutive. */
  readonly maxGapMin: number;
}

export interface ScoredMinute {
  readonly minute: number;
  readonly firstTs: number;
  readonly lastTs: number;
  /** Undefined: covered or not scorable. */
  readonly score: number | undefined;
}

export type EpisodeEvent =
  | { readonly type: 'raise'; readonly startedAt: number; readonly raisedAt: number }
  | { readonly type: 'peak' }
  | { readonly type: 'resolve'; readonly resolvedAt: number };

export interface EpisodeState {
  /** Start of the current run of high minutes (not raised yet), as minute and data time. */
  runMinute: number | undefined;
  runStartTs: number;
  lastScoredMinute: number;
  open: boolean;
  openedMinute: number;
  quietMinute: number | undefined;
  quietStartTs: number;
  peak: number;
}

export function initialEpisode(): EpisodeState {
  return {
    runMinute: undefined,
    runStartTs: 0,
    lastScoredMinute: Number.NEGATIVE_INFINITY,
    open: false,
    openedMinute: Number.NaN,
    quietMinute: undefined,
    quietStartTs: 0,
    peak: 0,
  };
}

/** Folds one minute into the state (mutated); returns what happened. */
export function stepEpisode(st: EpisodeState, m: ScoredMinute, o: EpisodeOptions): EpisodeEvent | undefined {
  const s = m.score;
  if (s === undefined) {
    // covered or unscorable: cannot confirm a run, does not clear an open alarm
    st.runMinute = undefined;
    return undefined;
  }
  const consecutive = m.minute - st.lastScoredMinute <= o.maxGapMin;
  st.lastScoredMinute = m.minute;
  if (!st.open) {
    if (s < 1) {
      st.runMinute = undefined;
      return undefined;
    }
    if (st.runMinute === undefined || !consecutive) {
      st.runMinute = m.minute;
      st.runStartTs = m.firstTs;
    }
    if ((m.minute + 1 - st.runMinute) * MINUTE_MS >= o.persistMs) {
      st.open = true;
      st.openedMinute = m.minute;
      st.quietMinute = undefined;
      st.peak = s;
      const startedAt = st.runStartTs;
      st.runMinute = undefined;
      return { type: 'raise', startedAt, raisedAt: m.lastTs };
    }
    return undefined;
  }
  if (s >= o.clearBelow) {
    st.quietMinute = undefined;
    if (s > st.peak) {
      st.peak = s;
      return { type: 'peak' };
    }
    return undefined;
  }
  if (st.quietMinute === undefined || !consecutive) {
    st.quietMinute = m.minute;
    st.quietStartTs = m.firstTs;
  }
  if ((m.minute + 1 - st.quietMinute) * MINUTE_MS >= o.holdMs) {
    st.open = false;
    const resolvedAt = st.quietStartTs;
    st.quietMinute = undefined;
    st.peak = 0;
    return { type: 'resolve', resolvedAt };
  }
  return undefined;
}
