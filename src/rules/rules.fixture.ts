/** Helpers for the rules tests: readings on a minute grid and transition filters. */
import type { AlarmTransition, Reading } from './rule.ts';

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
