/**
 * The detectors the benchmark compares, each run over a whole trace and reduced to the alarms it
 * raised (data time). Every one gets the readings in order, on time, as the alarm service would.
 *
 * - `before`: the per-device isolation forest as it was shipped (before-monitor.ts), driven as
 *   the alarm service drove it: at most one sample per 10 s, the range rules' readings left out.
 * - `mad`: the simple robust baseline: per field, the median and MAD of the last hour of samples;
 *   a sample more than 5 robust SDs from the median is flagged; an alarm closes at the next
 *   unflagged sample (the forest's lifecycle).
 * - `rules`: the sensor-fault rules, plus the out-of-range judges: for temperatures a stand-in of
 *   the warning tier (above the upper limit for 15 min or below the lower one for 5 min, the
 *   refrigerated defaults of the tiered-alarm policy), for patients NEWS2 and the range rules.
 * - `monitor`: the statistical monitor as shipped (src/rules/anomaly).
 * - `forest`: the same monitor with an isolation forest added to its robust scores (over the
 *   30-minute level and slope of temperatures, over the five vitals), the variant the shipped
 *   configuration was chosen against.
 * - `shipped`: rules and monitor together.
 */

import type { TemperatureProfile } from '../../src/coldchain/profiles.ts';
import { createRng } from '../../src/random/rng.ts';
import { createConditionRule, numberField } from '../../src/rules/condition-rule.ts';
import type { AlarmTransition, Reading, RuleNode } from '../../src/rules/rule.ts';
import { vitalSignRules } from '../../src/rules/rule-sets.ts';
import {
  temperatureSensorFaultRules,
  vitalsSensorFaultRules,
} from '../../src/rules/sensor-fault/sensor-fault-rules.ts';
import { createAnomalyMonitor, temperatureFeatures, vitalsFeatures } from './before-monitor.ts';
import { outsideBeforeRanges } from './before-vitals-rules.ts';
import { profileOf } from './profiles.ts';
import type { Trace } from './traces.ts';

export type DetectorName = 'before' | 'mad' | 'rules' | 'monitor' | 'forest' | 'shipped';

export const DETECTORS: readonly DetectorName[] = ['before', 'mad', 'rules', 'monitor', 'forest', 'shipped'];

/** One alarm as the benchmark scores it. */
export interface BenchAlarm {
  readonly raisedAt: number;
  readonly rule: string;
  readonly statistical: boolean;
  readonly message: string;
  /** When its condition ended (rules; absent: still running at the end of the trace). */
  readonly endedAt?: number;
}

const MIN = 60_000;

/** Warning-tier stand-in: what the tiered policy raises within minutes out of range. */
export function warningTierRules(p: TemperatureProfile): RuleNode[] {
  const side = (rule: string, above: boolean, ms: number): RuleNode =>
    createConditionRule({
      rule,
      unit: 'C',
      minDurationMs: ms,
      raiseWhen: 'reached',
      sense(r) {
        const t = numberField(r, 'temp_c');
        if (t === undefined) return undefined;
        return { active: above ? t > p.upperC : t < p.lowerC, value: t };
      },
      peak: (a, b) => (above ? Math.max(a, b) : Math.min(a, b)),
      severity: () => 'warning',
      describe: (e) => `${above ? 'above' : 'below'} range, peak ${e.peak}`,
    }) as RuleNode;
  return [side('tier-high', true, 15 * MIN), side('tier-low', false, 5 * MIN)];
}

export function benchRules(t: Trace): RuleNode[] {
  if (t.profile === 'vitals') {
    return [...vitalsSensorFaultRules(), ...vitalSignRules()];
  }
  const p = profileOf(t.preset);
  return [...temperatureSensorFaultRules(p), ...warningTierRules(p)];
}

/** Folds readings through rule nodes (in order, on time) and lists the raised episodes. */
export function runRules(nodes: readonly RuleNode[], readings: readonly Reading[]): BenchAlarm[] {
  const out: BenchAlarm[] = [];
  const states = nodes.map((n) => n.init());
  for (const r of readings) {
    for (let k = 0; k < nodes.length; k++) {
      const node = nodes[k] as RuleNode;
      const step = node.onReading(states[k], r);
      states[k] = step.state;
      const e = step.ended;
      if (e?.raisedAt !== undefined) {
        const endedAt = e.endedAt as number;
        out.push({ raisedAt: e.raisedAt, rule: node.rule, statistical: false, message: e.message, endedAt });
      }
    }
  }
  nodes.forEach((node, k) => {
    const e = node.ongoing(states[k], Number.POSITIVE_INFINITY);
    if (e?.raisedAt !== undefined)
      out.push({ raisedAt: e.raisedAt, rule: node.rule, statistical: false, message: e.message });
  });
  return out.sort((a, b) => a.raisedAt - b.raisedAt);
}

/** The range rules' judgement the shipped forest was given (`isCovered` of the alarm service). */
function coveredBefore(t: Trace): (r: Reading) => boolean {
  if (t.profile === 'vitals') return outsideBeforeRanges;
  const p = profileOf(t.preset);
  return (r) => {
    const v = numberField(r, 'temp_c');
    return v !== undefined && (v < p.lowerC || v > p.upperC);
  };
}

export function runBefore(t: Trace, readings: readonly Reading[]): BenchAlarm[] {
  const monitor = createAnomalyMonitor({
    subject: t.id,
    rng: createRng(`before/${t.id}`),
    features: t.profile === 'vitals' ? vitalsFeatures : temperatureFeatures,
    isCovered: coveredBefore(t),
  });
  const out: BenchAlarm[] = [];
  let last = Number.NEGATIVE_INFINITY;
  for (const r of readings) {
    if (r.ts < last + 10_000) continue;
    last = r.ts;
    out.push(...openedStatistical(monitor.observe(r, r.ts).transitions));
  }
  return out;
}

/** The statistical alarms a monitor's transitions opened. */
export function openedStatistical(transitions: readonly AlarmTransition[]): BenchAlarm[] {
  return transitions
    .filter((t) => t.type === 'opened')
    .map((t) => ({
      raisedAt: t.alarm.raisedAt,
      rule: 'anomaly',
      statistical: true,
      message: t.alarm.message,
    }));
}
