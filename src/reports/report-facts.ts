/** Facts both renderers derive from the input the same way (pure). */
import { findExcursionsBy } from '../coldchain/excursions.ts';
import type { LimitAlarm, TemperatureProfile, TimeBudget } from '../coldchain/profiles.ts';
import { num } from './format.ts';
import type { ShipmentReportInput } from './report-model.ts';

/** A cumulative time-out-of-range budget and how much of it the trip used. */
export interface BudgetUse {
  readonly budget: TimeBudget;
  readonly usedMs: number;
  /** The budget alarm's criterion: strictly more than the budget. */
  readonly exceeded: boolean;
}

/** Time charged against each of the profile's budgets, counted as the budget rule counts it. */
export function budgetUse(input: ShipmentReportInput): BudgetUse[] {
  const { profile } = input.shipment;
  return profile.budgets.map((budget) => {
    const out = (t: number) =>
      budget.kind === 'above'
        ? budget.inclusive
          ? t >= budget.limitC
          : t > budget.limitC
        : budget.inclusive
          ? t <= budget.limitC
          : t < budget.limitC;
    const r = findExcursionsBy(
      input.readings,
      (t) => (out(t) ? budget.kind : undefined),
      profile.dataGapMaxMs,
    );
    const usedMs = budget.kind === 'above' ? r.timeAboveMs : r.timeBelowMs;
    return { budget, usedMs, exceeded: usedMs > budget.budgetMs };
  });
}

/** How many readings arrived late. */
export function backfillCount(input: ShipmentReportInput): number {
  let n = 0;
  for (const r of input.readings) if (r.backfill) n++;
  return n;
}

/** The time span the report covers: dispatch (or first reading) to delivery (or last reading). */
export function reportSpan(input: ShipmentReportInput): { from: number; to: number } | null {
  const { dispatch, delivery } = input.shipment;
  const first = input.readings[0]?.ts;
  const last = input.readings[input.readings.length - 1]?.ts;
  const starts = [dispatch?.at, first].filter((v): v is number => v !== undefined);
  const ends = [delivery?.at, last].filter((v): v is number => v !== undefined);
  if (starts.length === 0 || ends.length === 0) return null;
  const from = Math.min(...starts);
  const to = Math.max(...ends);
  return { from, to: to > from ? to : from + 60_000 };
}

/** `above 8 °C` / `at or below -0.5 °C`. */
export function limitText(kind: 'above' | 'below', limitC: number, inclusive: boolean): string {
  const op = kind === 'above' ? (inclusive ? 'at or above' : 'above') : inclusive ? 'at or below' : 'below';
  return `${op} ${num(limitC)} °C`;
}

/** The heat alarm criterion in words: `above 8 °C for 10 h continuously`. */
export function limitAlarmText(kind: 'above' | 'below', a: LimitAlarm): string {
  const h = a.durationMs / 3_600_000;
  const dur = h >= 1 ? `${num(h)} h` : `${num(a.durationMs / 60_000)} min`;
  return `${limitText(kind, a.limitC, a.inclusive)} for ${dur} continuously`;
}

/** `2 to 8 °C`. */
export function rangeText(p: Pick<TemperatureProfile, 'lowerC' | 'upperC'>): string {
  return `${num(p.lowerC)} to ${num(p.upperC)} °C`;
}
