/**
 * The NEWS2 escalation alarm (RCP 2017), one alarm per episode, raised by band with persistence
 * (vitals-policy.ts):
 * - urgent and emergency: a single parameter scoring 3, or an aggregate of 7 or more, raises it
 *   once it has held for `urgentDelayMs` (one minute), reading after reading;
 * - an aggregate of 5-6 raises it once 5 or more has held for `delayMs` (five minutes);
 * - a single reading never raises it (a motion artefact), nor sets its peak: the peak is the
 *   highest aggregate two consecutive readings agree on;
 * - once raised, it holds while a parameter is within its vital's hysteresis of scoring 3, or the
 *   aggregate is at least 5 minus `aggregateHysteresis`; a return shorter than the merge gap does
 *   not end it. Severity follows the peak: 5 and more critical, a single red parameter warning.
 * Samples missing a NEWS2 field are skipped here; the missing-fields rule reports them.
 */
import { type ConditionState, createConditionRule, maxPeak, numberField } from './condition-rule.ts';
import { durationFacts, formatDuration } from './format.ts';
import {
  type News2Score,
  news2FromSample,
  scorePulse,
  scoreRespiration,
  scoreSpo2Scale1,
  scoreSpo2Scale2,
  scoreSystolicBp,
  scoreTemperature,
} from './news2.ts';
import type { Reading, RuleNode } from './rule.ts';
import { DEFAULT_NEWS2_POLICY, type News2AlarmPolicy, VITAL_SIGNS } from './vitals-policy.ts';

export interface News2RuleOptions extends Partial<News2AlarmPolicy> {
  /** No reading for longer than this inside an episode is time without data (in the message). */
  readonly maxGapMs?: number;
}

/** The worst score any value within `h` of `v` gets. */
function worstWithin(score: (v: number) => number, v: number, h: number): number {
  return Math.max(score(v - h), score(v), score(v + h));
}

/** A parameter scores 3, or would within its vital's hysteresis (the alarm is raised already). */
function nearRed(r: Reading, s: News2Score): boolean {
  if (s.redScore) return true;
  const v = (k: keyof typeof VITAL_SIGNS) => numberField(r, k) as number;
  const h = (k: keyof typeof VITAL_SIGNS) => VITAL_SIGNS[k].hysteresis;
  const onOxygen = r.data['on_oxygen'] === true;
  const spo2 = s.scale === 2 ? (x: number) => scoreSpo2Scale2(x, onOxygen) : scoreSpo2Scale1;
  return (
    worstWithin(scorePulse, v('hr_bpm'), h('hr_bpm')) === 3 ||
    worstWithin(scoreRespiration, v('rr_bpm'), h('rr_bpm')) === 3 ||
    worstWithin(scoreSystolicBp, v('sbp_mmhg'), h('sbp_mmhg')) === 3 ||
    worstWithin(scoreTemperature, v('temp_c'), h('temp_c')) === 3 ||
    worstWithin(spo2, v('spo2_pct'), h('spo2_pct')) === 3
  );
}

/** What the RCP asks for at a NEWS2 peak. */
function response(peak: number): string {
  if (peak >= 7) return 'high: emergency response';
  if (peak >= 5) return 'medium: urgent response';
  return 'a single parameter scoring 3: urgent ward-based response';
}

export function createNews2Rule(options: News2RuleOptions = {}): RuleNode<ConditionState> {
  const { maxGapMs, ...given } = options;
  const p: News2AlarmPolicy = { ...DEFAULT_NEWS2_POLICY, ...given };
  return createConditionRule({
    rule: 'news2',
    unit: 'score',
    minDurationMs: p.delayMs,
    urgentDurationMs: p.urgentDelayMs,
    raiseWhen: 'reached',
    holdShare: p.holdShare,
    sustainedPeak: true,
    mergeGapMs: p.mergeGapMs,
    ...(maxGapMs !== undefined ? { maxGapMs } : {}),
    criterion:
      `red or >=7 for ${p.urgentDelayMs} ms, >=5 for ${p.delayMs} ms, ` +
      `hysteresis ${p.aggregateHysteresis}, merge ${p.mergeGapMs} ms`,
    sense(r, active) {
      if (r.source === 'event') return undefined;
      const s = news2FromSample(r.data);
      if ('missing' in s) return undefined;
      const q = s.parameters;
      const red = active ? nearRed(r, s) : s.redScore;
      return {
        active: red || s.total >= 5 - (active ? p.aggregateHysteresis : 0),
        urgent: s.redScore || s.total >= 7,
        value: s.total,
        detail:
          `${s.total} (${s.band}): RR ${q.respiration}, SpO2 (scale ${s.scale}) ${q.spo2}, O2 ${q.airOrOxygen}, ` +
          `SBP ${q.systolicBp}, pulse ${q.pulse}, ACVPU ${q.consciousness}, temperature ${q.temperature}`,
      };
    },
    peak: maxPeak,
    severity: (peak) => (peak >= 5 ? 'critical' : 'warning'),
    describe(e) {
      const merged =
        e.parts > 1 ? `, ${e.parts} episodes less than ${formatDuration(p.mergeGapMs)} apart merged` : '';
      return `NEWS2 ${e.peak} at peak (${response(e.peak)}) ${durationFacts(e)}${merged}; latest ${e.detail ?? ''}`;
    },
  });
}
