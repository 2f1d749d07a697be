/**
 * Cumulative time out of range against a budget (as E006/TR07 shipping indicators count it:
 * "30 °C or above for a total of 10 h"). Time is charged exactly as in coldchain/excursions.ts:
 * each interval to the state of the reading that opens it, intervals longer than the data-gap
 * limit to nothing. The alarm is raised at the reading where the total first exceeds the budget
 * and never resolves by itself: spent time cannot be un-spent, so the caller closes it with the
 * shipment.
 */
import type { TemperatureProfile, TimeBudget } from '../coldchain/profiles.ts';
import { numberField } from './condition-rule.ts';
import { formatDuration, formatTemp, formatTempBeside } from './format.ts';
import type { Episode, Reading, RuleNode, RuleStep } from './rule.ts';

export interface BudgetRuleConfig extends TimeBudget {
  readonly maxGapMs: number;
  readonly field?: string;
}

export function budgetRuleConfigs(profile: TemperatureProfile): BudgetRuleConfig[] {
  return profile.budgets.map((b) => ({ ...b, maxGapMs: profile.dataGapMaxMs }));
}

export interface BudgetState {
  readonly totalMs: number;
  /** Previous temperature reading; NaN before the first. */
  readonly prevTs: number;
  readonly prevOut: boolean;
  /** First out-of-range reading; NaN until there is one. */
  readonly firstAt: number;
  readonly raisedAt: number | undefined;
  /** Most extreme out-of-range temperature. */
  readonly peakC: number;
}

export function createBudgetRule(config: BudgetRuleConfig): RuleNode<BudgetState> {
  const field = config.field ?? 'temp_c';
  const above = config.kind === 'above';
  const out = (t: number) =>
    above
      ? config.inclusive
        ? t >= config.limitC
        : t > config.limitC
      : config.inclusive
        ? t <= config.limitC
        : t < config.limitC;
  const zone = `${above ? 'above' : 'below'} ${formatTemp(config.limitC)}${config.inclusive ? ' (inclusive)' : ''}`;
  const rule = `budget:${config.name}`;
  return {
    rule,
    unit: 'ms',
    criterion: `${zone} over ${config.budgetMs} ms in total, gaps over ${config.maxGapMs} ms not counted`,
    init: () => ({
      totalMs: 0,
      prevTs: Number.NaN,
      prevOut: false,
      firstAt: Number.NaN,
      raisedAt: undefined,
      peakC: Number.NaN,
    }),
    onReading(st: BudgetState, r: Reading): RuleStep<BudgetState> {
      const t = numberField(r, field);
      if (t === undefined) return { state: st };
      const dt = r.ts - st.prevTs;
      const totalMs = st.prevOut && dt <= config.maxGapMs ? st.totalMs + dt : st.totalMs;
      const isOut = out(t);
      const firstAt = isOut && Number.isNaN(st.firstAt) ? r.ts : st.firstAt;
      const peakC = !isOut
        ? st.peakC
        : Number.isNaN(st.peakC) || (above ? t > st.peakC : t < st.peakC)
          ? t
          : st.peakC;
      const raisedAt = st.raisedAt ?? (totalMs > config.budgetMs ? r.ts : undefined);
      return { state: { totalMs, prevTs: r.ts, prevOut: isOut, firstAt, raisedAt, peakC } };
    },
    ongoing(st: BudgetState): Episode | undefined {
      if (Number.isNaN(st.firstAt)) return undefined;
      return {
        rule,
        startedAt: st.firstAt,
        ...(st.raisedAt !== undefined ? { raisedAt: st.raisedAt } : {}),
        peak: st.totalMs,
        severity: 'critical',
        message:
          `Cumulative ${formatDuration(st.totalMs)} ${zone} (budget ${formatDuration(config.budgetMs)})` +
          `, extreme ${formatTempBeside(st.peakC, config.limitC)}`,
      };
    },
  };
}
