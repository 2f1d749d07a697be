/**
 * One-shot evaluation of a whole series (a shipment's readings, a report, the benchmark): every
 * rule of the profile plus the temperature summary.
 *
 * When every reading carries `receivedAt` (stored readings do), the arrivals are replayed in the
 * order Vigil received them, each batch judged at its own arrival time, and the live clock is
 * emulated by a tick at the instant a silence exceeds the profile's data-gap limit. The alarms,
 * including which were detected late, are then what a live engine ticking continuously would
 * have produced. Otherwise the series is evaluated in one pass at `now` (default: the newest
 * reading's timestamp), where closed gaps are history (see data-gap-rule.ts).
 */
import type { TemperatureProfile } from '../coldchain/profiles.ts';
import { summarize, type TemperatureSummary } from '../coldchain/summarize.ts';
import type { Alarm, AlarmTransition, Reading, RuleNode } from './rule.ts';
import { createRuleEngine } from './rule-engine.ts';
import { coldChainRules, type GeofenceConfig } from './rule-sets.ts';

export interface EvaluateAllOptions {
  /** Subject name for the alarms (default `series`). */
  readonly subject?: string;
  /** Rule set (default: `coldChainRules(profile, { geofence })`). */
  readonly rules?: readonly RuleNode[];
  readonly geofence?: GeofenceConfig;
  /** Wall clock of a one-pass evaluation, and of a final data-gap check after a replay. */
  readonly now?: number;
  readonly lateToleranceMs?: number;
  /** `arrival`: replay by `receivedAt` (default when all readings have it); `single`: one pass. */
  readonly mode?: 'arrival' | 'single';
}

export interface Evaluation {
  /** Every alarm in its final state, by `raisedAt`. */
  readonly alarms: Alarm[];
  readonly transitions: AlarmTransition[];
  readonly summary: TemperatureSummary;
}

export function evaluateAll(
  readings: readonly Reading[],
  profile: TemperatureProfile,
  options: EvaluateAllOptions = {},
): Evaluation {
  const subject = options.subject ?? 'series';
  const engine = createRuleEngine({
    rules: options.rules ?? coldChainRules(profile, options.geofence ? { geofence: options.geofence } : {}),
    retentionMs: Number.POSITIVE_INFINITY,
    ...(options.lateToleranceMs !== undefined ? { lateToleranceMs: options.lateToleranceMs } : {}),
  });
  const transitions: AlarmTransition[] = [];
  const byArrival =
    options.mode !== 'single' && readings.length > 0 && readings.every((r) => r.receivedAt !== undefined);
  if (byArrival) {
    const order = [...readings].sort(
      (a, b) => (a.receivedAt as number) - (b.receivedAt as number) || a.ts - b.ts,
    );
    let newestSample = Number.NEGATIVE_INFINITY;
    let i = 0;
    while (i < order.length) {
      const at = (order[i] as Reading).receivedAt as number;
      let j = i + 1;
      while (j < order.length && (order[j] as Reading).receivedAt === at) j++;
      // the live engine's clock: a silence is noticed the moment it exceeds the data-gap limit
      const silenceNoticed = newestSample + profile.dataGapMaxMs + 1;
      if (silenceNoticed < at) transitions.push(...engine.tick(silenceNoticed, subject));
      const batch = order.slice(i, j);
      for (const r of batch) if (r.source !== 'event' && r.ts > newestSample) newestSample = r.ts;
      transitions.push(...engine.ingest(subject, batch, at).transitions);
      i = j;
    }
    if (options.now !== undefined) transitions.push(...engine.tick(options.now, subject));
  } else {
    let newest = Number.NEGATIVE_INFINITY;
    for (const r of readings) if (r.ts > newest) newest = r.ts;
    const now = options.now ?? (Number.isFinite(newest) ? newest : 0);
    transitions.push(...engine.ingest(subject, readings, now).transitions);
  }
  const latest = new Map<string, Alarm>();
  for (const t of transitions) latest.set(t.alarm.id, t.alarm);
  for (const a of engine.openAlarms(subject)) latest.set(a.id, a);
  const alarms = [...latest.values()].sort((a, b) => a.raisedAt - b.raisedAt || a.rule.localeCompare(b.rule));
  return { alarms, transitions, summary: summarize(readings, profile) };
}
