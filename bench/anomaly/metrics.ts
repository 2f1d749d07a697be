/**
 * Scoring: an alarm raised (data time) inside a fault's window, from the fault's start to the end
 * of its recovery plus a grace of 5 min, detects that fault; the first such alarm gives the
 * detection delay. Every other alarm is a false alarm. Normal traces only have false alarms.
 */
import type { BenchAlarm } from './detectors.ts';
import type { FaultKind, FaultLabel } from './faults.ts';

export const GRACE_MS = 5 * 60_000;

export interface KindScore {
  faults: number;
  detected: number;
  /** Delay of each detected fault, ms. */
  delays: number[];
  /** Detections by the first alarm's rule (`anomaly`, `flat-line`, `tier-high`, ...). */
  firstBy: Record<string, number>;
}

export interface DetectorScore {
  /** Device-weeks of normal data this detector ran on. */
  normalWeeks: number;
  /** Alarms on the normal traces (all false). */
  normalAlarms: number;
  /** Statistical ones among them. */
  normalStatistical: number;
  /** Rules among them, by rule. */
  normalByRule: Record<string, number>;
  /** On the fault traces: alarms inside a fault window, and outside. */
  truePositives: number;
  falsePositives: number;
  byKind: Partial<Record<FaultKind, KindScore>>;
}

export function emptyScore(): DetectorScore {
  return {
    normalWeeks: 0,
    normalAlarms: 0,
    normalStatistical: 0,
    normalByRule: {},
    truePositives: 0,
    falsePositives: 0,
    byKind: {},
  };
}

export function scoreNormal(s: DetectorScore, alarms: readonly BenchAlarm[], weeks: number): void {
  s.normalWeeks += weeks;
  s.normalAlarms += alarms.length;
  for (const a of alarms) {
    if (a.statistical) s.normalStatistical++;
    s.normalByRule[a.rule] = (s.normalByRule[a.rule] ?? 0) + 1;
  }
}

export function scoreFaults(
  s: DetectorScore,
  labels: readonly FaultLabel[],
  alarms: readonly BenchAlarm[],
): void {
  const inside = (a: BenchAlarm, l: FaultLabel) =>
    a.raisedAt >= l.startTs && a.raisedAt <= l.endTs + GRACE_MS;
  for (const a of alarms) {
    if (labels.some((l) => inside(a, l))) s.truePositives++;
    else s.falsePositives++;
  }
  for (const l of labels) {
    s.byKind[l.kind] ??= { faults: 0, detected: 0, delays: [], firstBy: {} };
    const k = s.byKind[l.kind] as KindScore;
    k.faults++;
    const first = alarms.find((a) => inside(a, l));
    if (first) {
      k.detected++;
      k.delays.push(first.raisedAt - l.startTs);
      k.firstBy[first.rule] = (k.firstBy[first.rule] ?? 0) + 1;
    }
  }
}

/** Merges per-device scores (e.g. from worker threads). */
export function mergeScores(a: DetectorScore, b: DetectorScore): DetectorScore {
  const byRule = { ...a.normalByRule };
  for (const [k, v] of Object.entries(b.normalByRule)) byRule[k] = (byRule[k] ?? 0) + v;
  const byKind: DetectorScore['byKind'] = {};
  for (const src of [a.byKind, b.byKind]) {
    for (const [kind, v] of Object.entries(src) as [FaultKind, KindScore][]) {
      byKind[kind] ??= { faults: 0, detected: 0, delays: [], firstBy: {} };
      const k = byKind[kind] as KindScore;
      k.faults += v.faults;
      k.detected += v.detected;
      k.delays.push(...v.delays);
      for (const [r, c] of Object.entries(v.firstBy)) k.firstBy[r] = (k.firstBy[r] ?? 0) + c;
    }
  }
  return {
    normalWeeks: a.normalWeeks + b.normalWeeks,
    normalAlarms: a.normalAlarms + b.normalAlarms,
    normalStatistical: a.normalStatistical + b.normalStatistical,
    normalByRule: byRule,
    truePositives: a.truePositives + b.truePositives,
    falsePositives: a.falsePositives + b.falsePositives,
    byKind,
  };
}
