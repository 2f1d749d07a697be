/** Helpers for the rules tests: readings on a minute grid and transition filters. */
import type { Alarm, AlarmTransition, Reading } from './rule.ts';
import type { RuleEngine } from './rule-engine.ts';

export const MIN = 60_000;
export const HOUR = 3_600_000;
/** An arbitrary epoch origin so timestamps look real. */
export const T0 = Date.UTC(2026, 0, 5, 6, 0, 0);

export const at = (minute: number): number => T0 + minute * MIN;

export function reading(
  minute: number,
  data: Record<string, unknown>,
  extra: Partial<Reading> = {},
): Reading {
  return { ts: at(minute), data, ...extra };
}

/** One reading per minute in [from, to] with the given temperature. */
export function temps(
  from: number,
  to: number,
  tempC: number | ((minute: number) => number),
  step = 1,
): Reading[] {
  const out: Reading[] = [];
  for (let m = from; m <= to; m += step)
    out.push(reading(m, { temp_c: typeof tempC === 'number' ? tempC : tempC(m) }));
  return out;
}

export function ofRule(ts: readonly AlarmTransition[], rule: string): AlarmTransition[] {
  return ts.filter((t) => t.alarm.rule === rule);
}

/** `opened@minute`-style summary of transitions, for compact assertions. */
export function brief(ts: readonly AlarmTransition[]): string[] {
  return ts.map((t) => {
    const a = t.alarm;
    const m = (v: number | undefined) => (v === undefined ? '-' : String((v - T0) / MIN));
    return `${t.type} ${a.rule} start=${m(a.startedAt)} raised=${m(a.raisedAt)} resolved=${m(a.resolvedAt)}${a.detectedLate ? ' late' : ''}`;
  });
}

/** Deterministic Fisher-Yates with a tiny LCG, so shuffles are reproducible without Math.random. */
export function shuffled<T>(items: readonly T[], seed = 1): T[] {
  const out = [...items];
  let s = seed >>> 0;
  for (let i = out.length - 1; i > 0; i--) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

/** Feeds `readings` to `engine` in the order `seed` shuffles them, `size` at a time; every transition. */
export function ingestShuffled(
  engine: RuleEngine,
  subject: string,
  readings: readonly Reading[],
  o: { readonly seed: number; readonly size: number; readonly now: number },
): AlarmTransition[] {
  const order = shuffled(readings, o.seed);
  const all: AlarmTransition[] = [];
  for (let i = 0; i < order.length; i += o.size)
    all.push(...engine.ingest(subject, order.slice(i, i + o.size), o.now).transitions);
  return all;
}

/**
 * What the alarms say at the end (rule, state, times, peak, severity), sorted: ids are fixed when
 * an alarm opens, so arrival orders are compared by content. Rules in `skip` are left out, and so
 * is a premature alarm that partial data raised and later data disproved (kept on record).
 */
export function finalAlarms(
  ts: readonly AlarmTransition[],
  open: readonly Alarm[],
  skip: readonly string[] = [],
): string[] {
  const m = new Map<string, string>();
  for (const a of [...ts.map((t) => t.alarm), ...open]) {
    if (skip.includes(a.rule)) continue;
    m.set(a.id, `${a.rule} ${a.state} ${a.startedAt} ${a.raisedAt} ${a.resolvedAt} ${a.peak} ${a.severity}`);
    if (a.disproved) m.delete(a.id);
  }
  return [...m.values()].sort();
}
