/**
 * What the NEWS2 chart says a patient's vitals call for, as the reference the vitals rules are
 * scored against: a clinician charting the patient once a minute, each vital read as the median
 * of that minute's readings (a motion artefact does not survive a median). A minute is at alarm
 * level when a parameter scores 3 or the aggregate is 5 or more (RCP 2017: urgent response and
 * above). A labelled window is chart-alarmable when it holds two consecutive alarm-level minutes
 * and the minute it starts in is not already at alarm level (the alarm would be running).
 */
import { news2FromSample } from '../../src/rules/news2.ts';
import type { Trace } from './traces.ts';

const MIN = 60_000;
const VITALS = ['hr', 'spo2', 'rr', 'sbp'] as const;

function median(xs: number[]): number {
  const s = xs.sort((a, b) => a - b);
  const n = s.length;
  return n % 2 === 1 ? (s[(n - 1) / 2] as number) : ((s[n / 2 - 1] as number) + (s[n / 2] as number)) / 2;
}

/** Alarm level per minute (minute = floor(ts / 60 s)) of a patient trace. */
export function chartMinutes(t: Trace): Map<number, boolean> {
  const p = t.patient as NonNullable<Trace['patient']>;
  const out = new Map<number, boolean>();
  let k = 0;
  while (k < t.n) {
    const minute = Math.floor((t.startTs + k * t.stepMs) / MIN);
    const cols: Record<(typeof VITALS)[number] | 'temp', number[]> = {
      hr: [],
      spo2: [],
      rr: [],
      sbp: [],
      temp: [],
    };
    for (; k < t.n && Math.floor((t.startTs + k * t.stepMs) / MIN) === minute; k++) {
      for (const v of VITALS) cols[v].push((t[v] as Int16Array)[k] as number);
      cols.temp.push(t.temp[k] as number);
    }
    const s = news2FromSample({
      hr_bpm: median(cols.hr),
      spo2_pct: median(cols.spo2),
      rr_bpm: median(cols.rr),
      sbp_mmhg: median(cols.sbp),
      temp_c: median(cols.temp),
      on_oxygen: p.onOxygen,
      consciousness: p.consciousness,
      spo2_scale: p.spo2Scale,
    });
    out.set(minute, !('missing' in s) && (s.redScore || s.total >= 5));
  }
  return out;
}

/**
 * When the chart first calls for an alarm inside [startTs, endTs] (the start of the first two
 * alarm-level minutes, ms), or undefined: it never does, or it already did at `startTs`.
 */
export function chartAlarmAt(
  chart: ReadonlyMap<number, boolean>,
  startTs: number,
  endTs: number,
): number | undefined {
  const m0 = Math.floor(startTs / MIN);
  if (chart.get(m0) === true) return undefined;
  let run = 0;
  for (let m = m0; m <= Math.floor(endTs / MIN); m++) {
    run = chart.get(m) === true ? run + 1 : 0;
    if (run >= 2) return (m - 1) * MIN;
  }
  return undefined;
}
