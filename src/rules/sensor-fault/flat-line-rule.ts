/**
 * Flat line: every watched field of the sensor repeats exactly for a while. Real readings carry
 * noise (a fridge probe about 0.08 °C, a truck logger 0.2 °C, a pulse oximeter's heart rate about
 * 1.5 bpm), so a run of identical values is a sensor that is stuck, frozen or disconnected and
 * sending its last or default value. Both a minimum duration and a minimum number of readings are
 * required: at a slow cadence a few equal readings can happen by chance, a long run cannot. The
 * rule assumes the sensor's resolution is finer than its noise (0.01 °C loggers, whole-number vitals
 * watched together); a coarse sensor in a very stable place needs a longer `minDurationMs`.
 */
import { formatDuration } from '../format.ts';
import type { RuleNode } from '../rule.ts';
import { createFaultRule, type FaultState } from './fault-rule.ts';

/** One watched field and how to print it. */
export interface WatchedField {
  readonly field: string;
  readonly label: string;
  /** Printed after the value (`°C`, `bpm`, `%`). */
  readonly unit: string;
  readonly digits: number;
}

export interface FlatLineRuleConfig {
  /** All must repeat for the line to be flat; a reading lacking one is skipped. */
  readonly fields: readonly WatchedField[];
  readonly minDurationMs: number;
  /** Identical readings needed, the first of the run included. */
  readonly minReadings: number;
  /** A changed reading ends the alarm only after this long without a new flat run. */
  readonly holdMs: number;
  /** `Sensor`, `Monitor`: who is said to read the constant value. */
  readonly device: string;
}

interface FlatMemo {
  readonly key: string | undefined;
  readonly since: number;
  readonly count: number;
}

export const formatField = (f: WatchedField, v: number): string =>
  `${f.label ? `${f.label} ` : ''}${v.toFixed(f.digits)}${f.unit === '%' ? ' %' : f.unit ? ` ${f.unit}` : ''}`;

export function createFlatLineRule(config: FlatLineRuleConfig): RuleNode<FaultState<FlatMemo>> {
  const single = config.fields.length === 1;
  return createFaultRule<FlatMemo>({
    rule: 'flat-line',
    unit: 'ms',
    minDurationMs: config.minDurationMs,
    minReadings: config.minReadings,
    holdMs: config.holdMs,
    severity: 'warning',
    initialMemo: { key: undefined, since: Number.NaN, count: 0 },
    judge(memo, r) {
      if (r.source === 'event') return { memo, verdict: undefined };
      const values: number[] = [];
      for (const f of config.fields) {
        const v = r.data[f.field];
        if (typeof v !== 'number' || !Number.isFinite(v)) return { memo, verdict: undefined };
        values.push(v);
      }
      const key = values.join('|');
      if (key !== memo.key || r.ts <= memo.since) {
        return { memo: { key, since: r.ts, count: 1 }, verdict: { faulty: false } };
      }
      const count = memo.count + 1;
      const next: FlatMemo = { key, since: memo.since, count };
      // a short run is chance (and must not prolong a held alarm); a long one is the fault
      // from its first reading on
      if (count < config.minReadings) return { memo: next, verdict: { faulty: false } };
      const shown = values.map((v, i) => formatField(config.fields[i] as WatchedField, v)).join(', ');
      return {
        memo: next,
        verdict: {
          faulty: true,
          since: memo.since,
          count: count === config.minReadings ? count : 1,
          detail: shown,
        },
      };
    },
    describe: (f) =>
      single
        ? `${config.device} reads a constant ${f.detail} for ${formatDuration(f.until - f.startedAt)}: stuck or disconnected`
        : `${config.device} reads constant values for ${formatDuration(f.until - f.startedAt)} (${f.detail}): frozen or disconnected`,
  });
}
