/**
 * The tiered alarm policy of a temperature profile (docs/alarms.md): a `warning` tier raised
 * within minutes of leaving the range, while the load can still be saved; a `critical` tier
 * later; and the `regulatory` tier, which is the profile's WHO PQS heat and freeze rules and its
 * cumulative budgets (profiles.ts). Warning and critical limits have hysteresis and merge
 * excursions closer than `mergeGapMinutes`, so sensor noise around a limit makes one excursion;
 * the regulatory rules are applied as published (continuous, no hysteresis, no merging).
 *
 * Each preset's defaults are written against the profile's own limits (`upper`, `lower`, the
 * freeze limit), so a profile that moves its range moves its tiers with it.
 */
import { z } from 'zod';

export const MINUTE_MS = 60_000;
export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;

/** A continuous-duration alarm on one side of the range. */
export interface LimitAlarm {
  /** Threshold in °C. */
  readonly limitC: number;
  /** True: the limit itself is in the alarm zone (`>=` above, `<=` below). */
  readonly inclusive: boolean;
  /** How long the condition must hold before the alarm is raised (reached, `>=`). */
  readonly durationMs: number;
}

export const ALARM_TIERS = ['warning', 'critical'] as const;
export type AlarmTier = (typeof ALARM_TIERS)[number];
export const TIER_SIDES = ['above', 'below'] as const;
export type TierSide = (typeof TIER_SIDES)[number];

/** One tier: a limit alarm above the range and one below it; `null` switches a side off. */
export type TierPolicy = { readonly [S in TierSide]: LimitAlarm | null };
export type AlarmTiers = { readonly [T in AlarmTier]: TierPolicy };

export const tempC = z.number().min(-273.15).max(200);
export const durationMs = z
  .number()
  .int()
  .nonnegative()
  .max(366 * DAY_MS);
export const limitAlarmSchema = z.strictObject({ limitC: tempC, inclusive: z.boolean(), durationMs });

const tierSchema = z.strictObject({ above: limitAlarmSchema.nullable(), below: limitAlarmSchema.nullable() });
export const tiersSchema = z.strictObject({ warning: tierSchema, critical: tierSchema });

/** Hysteresis of the warning and critical limits, °C: at most 10. */
export const hysteresisSchema = z.number().min(0).max(10);
/** Excursions closer than this many minutes merge: at most a day. */
export const mergeGapSchema = z.number().min(0).max(1440);

const tierSideInput = limitAlarmSchema.partial().nullable().optional();
const tierInput = z.strictObject({ above: tierSideInput, below: tierSideInput }).optional();
/** What a caller may override, per tier and side: any field, or `null` to switch the side off. */
export const tiersInputSchema = z.strictObject({ warning: tierInput, critical: tierInput });
export type TiersInput = z.input<typeof tiersInputSchema>;

/** A profile's alarm-policy settings on their own: what a shipment may override at creation. */
export const alarmPolicyInputSchema = z.strictObject({
  tiers: tiersInputSchema.optional(),
  hysteresisC: hysteresisSchema.optional(),
  mergeGapMinutes: mergeGapSchema.optional(),
});
export type AlarmPolicyInput = z.input<typeof alarmPolicyInputSchema>;

/** The limits a preset's tier defaults are written against. */
export interface TierAnchors {
  readonly lowerC: number;
  readonly upperC: number;
  readonly freeze: LimitAlarm;
  readonly freezeSensitive: boolean;
}

/** A default tier side: a limit named by anchor (or a fixed °C), its inclusiveness and minutes. */
interface SideDefault {
  readonly at: 'upper' | 'lower' | 'freeze' | number;
  readonly minutes: number;
}
type PolicyDefaults = {
  readonly [T in AlarmTier]: {
    readonly [S in TierSide]: SideDefault | null | ((a: TierAnchors) => SideDefault | null);
  };
} & { readonly hysteresisC: number; readonly mergeGapMinutes: number };

/**
 * Defaults per preset. Where they come from (docs/alarms.md has the full argument):
 * - refrigerated 2-8 °C: warning above +8.0 °C for 15 min or below +2.0 °C for 5 min; critical
 *   above +8 °C for 60 min or at or below the E006 freeze limit (-0.5 °C) for 5 min. The limits
 *   are the range and the E006 freeze limit; the durations are Vigil's choice (the CDC toolkit
 *   asks for action on any out-of-range reading; the short low-side delays reflect that freezing
 *   is irreversible).
 * - hysteresis 0.5 °C is the accuracy WHO PQS E006 and the CDC toolkit ask of a data logger
 *   (±0.5 °C): a swing smaller than the sensor's own error does not end an excursion. Frozen and
 *   ultra-cold probes get 1 °C. Merge gap 10 min (two sampling intervals at the 5-min default).
 *   Both are Vigil's choice.
 * - frozen, ultra-cold: colder than the range does not harm a frozen product, so the low side
 *   only warns (after an hour: the freezer is set wrong); the heat side is stepped below the
 *   profile's regulatory heat duration (1 h frozen, 30 min ultra-cold). Vigil's choice.
 * - crt 15-25 °C: USP <659> permits excursions up to 30 °C, so the warning waits an hour above
 *   +25 °C and the critical alarm is for more than 15 min above +30 °C. Vigil's choice.
 */
const PRESET_POLICY: Record<'refrigerated' | 'frozen' | 'ultra-cold' | 'crt' | 'custom', PolicyDefaults> = {
  refrigerated: {
    warning: { above: { at: 'upper', minutes: 15 }, below: { at: 'lower', minutes: 5 } },
    critical: { above: { at: 'upper', minutes: 60 }, below: { at: 'freeze', minutes: 5 } },
    hysteresisC: 0.5,
    mergeGapMinutes: 10,
  },
  frozen: {
    warning: { above: { at: 'upper', minutes: 15 }, below: { at: 'lower', minutes: 60 } },
    critical: { above: { at: 'upper', minutes: 30 }, below: null },
    hysteresisC: 1,
    mergeGapMinutes: 10,
  },
  'ultra-cold': {
    warning: { above: { at: 'upper', minutes: 10 }, below: { at: 'lower', minutes: 60 } },
    critical: { above: { at: 'upper', minutes: 20 }, below: null },
    hysteresisC: 1,
    mergeGapMinutes: 10,
  },
  crt: {
    warning: { above: { at: 'upper', minutes: 60 }, below: { at: 'lower', minutes: 60 } },
    critical: { above: { at: 30, minutes: 15 }, below: { at: 'freeze', minutes: 5 } },
    hysteresisC: 0.5,
    mergeGapMinutes: 10,
  },
  custom: {
    warning: {
      above: { at: 'upper', minutes: 15 },
      below: (a) => ({ at: 'lower', minutes: a.freezeSensitive ? 5 : 60 }),
    },
    critical: {
      above: { at: 'upper', minutes: 60 },
      below: (a) => (a.freezeSensitive ? { at: 'freeze', minutes: 5 } : null),
    },
    hysteresisC: 0.5,
    mergeGapMinutes: 10,
  },
};

export type PolicyPreset = keyof typeof PRESET_POLICY;

function defaultSide(d: PolicyDefaults[AlarmTier][TierSide], a: TierAnchors): LimitAlarm | null {
  const side = typeof d === 'function' ? d(a) : d;
  if (!side) return null;
  const durationMs = side.minutes * MINUTE_MS;
  if (side.at === 'freeze') return { limitC: a.freeze.limitC, inclusive: a.freeze.inclusive, durationMs };
  const limitC = side.at === 'upper' ? a.upperC : side.at === 'lower' ? a.lowerC : side.at;
  return { limitC, inclusive: false, durationMs };
}

/**
 * The tiers of a profile: the preset's defaults with the caller's overrides on top. An override
 * of a side the preset leaves off starts from the range limit on that side.
 */
export function resolveTiers(
  preset: PolicyPreset,
  input: TiersInput | undefined,
  a: TierAnchors,
): AlarmTiers {
  const d = PRESET_POLICY[preset];
  const side = (tier: AlarmTier, s: TierSide): LimitAlarm | null => {
    const given = input?.[tier]?.[s];
    const base = defaultSide(d[tier][s], a);
    if (given === null) return null;
    if (given === undefined) return base;
    const from = base ?? { limitC: s === 'above' ? a.upperC : a.lowerC, inclusive: false, durationMs: 0 };
    return {
      limitC: given.limitC ?? from.limitC,
      inclusive: given.inclusive ?? from.inclusive,
      durationMs: given.durationMs ?? from.durationMs,
    };
  };
  return {
    warning: { above: side('warning', 'above'), below: side('warning', 'below') },
    critical: { above: side('critical', 'above'), below: side('critical', 'below') },
  };
}

/** The preset's hysteresis and merge gap. */
export function policyDefaults(preset: PolicyPreset): { hysteresisC: number; mergeGapMinutes: number } {
  const d = PRESET_POLICY[preset];
  return { hysteresisC: d.hysteresisC, mergeGapMinutes: d.mergeGapMinutes };
}
