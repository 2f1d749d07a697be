/**
 * Data gap: no sample for longer than the profile allows. The alarm is about silence, so it is
 * raised by the wall clock: when `now` is more than `maxGapMs` past the newest sample (an ingest
 * or a `tick`), with `raisedAt = lastSample + maxGapMs`. The next sample after the gap start, live
 * or backfilled, resolves it: a gap closed by backfill resolves the alarm at the first backfilled
 * sample, and what is still missing after the newest sample is a new gap.
 *
 * A gap found only between samples that are both already held (in delivered history) raises no
 * alarm: with samples arriving out of order across batches, the missing middle may still come,
 * and a real gap was already alarmed by the clock while it was silent. Such gaps are still
 * episodes (they end an open gap alarm at the right time) and are listed by `summarize()`.
 * Readings made from events do not count as data.
 */
import type { TemperatureProfile } from '../coldchain/profiles.ts';
import { formatDuration } from './format.ts';
import type { Episode, Reading, RuleNode, RuleStep } from './rule.ts';

export interface DataGapRuleConfig {
  /** A gap strictly longer than this raises the alarm. */
  readonly maxGapMs: number;
}

export function dataGapRuleConfig(profile: TemperatureProfile): DataGapRuleConfig {
  return { maxGapMs: profile.dataGapMaxMs };
}

export interface DataGapState {
  /** Timestamp of the last sample; NaN before the first. */
  readonly lastTs: number;
}

const MINUTE = 60_000;

export function createDataGapRule(config: DataGapRuleConfig): RuleNode<DataGapState> {
  const episode = (from: number, to: number, endedAt: number | undefined): Episode => ({
    rule: 'data-gap',
    startedAt: from,
    // only the silence judged by the clock raises; a gap between held samples is history
    ...(endedAt === undefined ? { raisedAt: from + config.maxGapMs } : { endedAt }),
    peak: to - from,
    severity: 'warning',
    message: `No data for ${formatDuration(to - from)}${endedAt === undefined ? ' so far' : ''} (limit ${formatDuration(config.maxGapMs)})`,
  });
  return {
    rule: 'data-gap',
    unit: 'ms',
    judgedBy: 'clock',
    init: () => ({ lastTs: Number.NaN }),
    onReading(st: DataGapState, r: Reading): RuleStep<DataGapState> {
      if (r.source === 'event') return { state: st };
      const state = { lastTs: r.ts };
      if (r.ts - st.lastTs > config.maxGapMs) return { state, ended: episode(st.lastTs, r.ts, r.ts) };
      return { state };
    },
    ongoing(st: DataGapState, now: number): Episode | undefined {
      if (!(now - st.lastTs > config.maxGapMs)) return undefined;
      // whole minutes, so a gap's peak does not change at every tick
      const until = st.lastTs + Math.floor((now - st.lastTs) / MINUTE) * MINUTE;
      return episode(st.lastTs, Math.max(until, st.lastTs + config.maxGapMs), undefined);
    },
  };
}
