/** Facts both renderers derive from the input the same way (pure). */

import type { TierPolicy } from '../coldchain/alarm-policy.ts';
import { findExcursionsBy } from '../coldchain/excursions.ts';
import { profileOverrides } from '../coldchain/policy-overrides.ts';
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
export function limitAlarmText(kind: 'above' | 'below', a: LimitAlarm, how = ' continuously'): string {
  const h = a.durationMs / 3_600_000;
  const dur = h >= 1 ? `${num(h)} h` : `${num(a.durationMs / 60_000)} min`;
  return `${limitText(kind, a.limitC, a.inclusive)} for ${dur}${how}`;
}

/** A warning or critical tier in words: `above 8 °C for 15 min, or below 2 °C for 5 min`. */
export function tierText(t: TierPolicy): string {
  const sides = (['above', 'below'] as const).flatMap((k) => {
    const a = t[k];
    return a ? [limitAlarmText(k, a, '')] : [];
  });
  return sides.length > 0 ? sides.join(', or ') : 'none';
}

/** The profile's alarm policy as labelled lines (report header, PDF facts). */
export function policyLines(p: TemperatureProfile): [string, string][] {
  const overrides = profileOverrides(p);
  return [
    ['Warning tier', tierText(p.tiers.warning)],
    ['Critical tier', tierText(p.tiers.critical)],
    [
      'Regulatory tier',
      `heat ${limitAlarmText('above', p.heat)}${p.freezeSensitive ? `; freeze ${limitAlarmText('below', p.freeze)}` : ''}` +
        `${p.budgets.length > 0 ? `; ${p.budgets.length} cumulative budget${p.budgets.length === 1 ? '' : 's'}` : ''}`,
    ],
    [
      'Noise handling',
      `hysteresis ${num(p.hysteresisC)} °C; excursions less than ${num(p.mergeGapMinutes)} min apart merge`,
    ],
    ['Shipment overrides', overrides.length > 0 ? overrides.join(', ') : 'none (preset defaults)'],
  ];
}

/**
 * The alarms in one phrase: `0 alarms`, `1 alarm, acknowledged`,
 * `3 alarms (1 critical, 1 disproved), 2 not acknowledged`.
 */
export function alarmCountText(alarms: ShipmentReportInput['alarms']): string {
  const n = alarms.length;
  if (n === 0) return '0 alarms';
  const critical = alarms.filter((a) => a.severity === 'critical').length;
  const disproved = alarms.filter((a) => a.disproved).length;
  const notes = [
    ...(critical > 0 ? [`${critical} critical`] : []),
    ...(disproved > 0 ? [`${disproved} disproved`] : []),
  ];
  const unacked = alarms.filter((a) => !a.ack).length;
  const acks =
    unacked === 0 ? (n === 1 ? 'acknowledged' : 'all acknowledged') : `${unacked} not acknowledged`;
  return `${n} alarm${n === 1 ? '' : 's'}${notes.length > 0 ? ` (${notes.join(', ')})` : ''}, ${acks}`;
}

/** Epoch milliseconds from 2001 to 2286 are 13 digits; the value of a `key=value` pair only. */
const EPOCH_MS_VALUE = /(?<==)1\d{12}(?=\s|$|[,;)])/g;

/**
 * A custody detail as people read it: the id of an alarm of this report becomes its number on
 * the report (`A2 (heat)`) and a `key=<epoch ms>` value an ISO 8601 time. Only whole values
 * written by the system (`key=1763963400000`) are touched, never digits inside text.
 */
export function readableDetail(detail: string, alarms: ShipmentReportInput['alarms']): string {
  let out = detail;
  alarms.forEach((a, i) => {
    if (a.id) out = out.split(a.id).join(`A${i + 1} (${a.rule})`);
  });
  return out.replace(EPOCH_MS_VALUE, (ms) => new Date(Number(ms)).toISOString());
}

/** `2 to 8 °C`. */
export function rangeText(p: Pick<TemperatureProfile, 'lowerC' | 'upperC'>): string {
  return `${num(p.lowerC)} to ${num(p.upperC)} °C`;
}
