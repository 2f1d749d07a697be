/**
 * Temperature profiles: the storage range of a product and the alarm settings that go with it.
 * A profile is built from a preset plus overrides, validated once with zod, and deep-frozen.
 *
 * Defaults and where they come from:
 * - refrigerated 2..8 °C: heat alarm above +8 °C for 10 h continuously, freeze alarm at or below
 *   -0.5 °C for 60 min continuously (WHO PQS E006 30-day temperature recorder defaults; the freeze
 *   limit is inclusive, "-0.5 °C or below", as in E006/TR07 shipping indicators).
 * - frozen -25..-15 °C and ultra-cold -90..-60 °C: no freeze alarm (the product is meant to be frozen).
 *   Heat alarm above the upper limit for 1 h (frozen) and 30 min (ultra-cold): Vigil's conservative
 *   defaults, not a WHO figure; set them from the product's stability data.
 * - controlled room temperature 15..25 °C: heat above +25 °C for 24 h (USP <659> tolerates excursions
 *   up to 30 °C and transient spikes for no more than 24 h, judged with MKT); freeze alarm kept on.
 * - Every preset: door open > 5 min, no mains power > 24 h, data gap > 6 expected intervals
 *   (30 min at the default 5-minute interval); MKT over 24 h windows in cold chain, 30 days for CRT.
 * - Cumulative budgets (time above/below a limit in total, as E006/TR07 shipping indicators count
 *   it, e.g. "30 °C or above for a total of 10 h") are optional: none by default.
 * - The heat, freeze and budget rules are the regulatory tier; the warning and critical tiers,
 *   their hysteresis and merge gap come from alarm-policy.ts (docs/alarms.md).
 */
import { z } from 'zod';
import { VigilError } from '../errors.ts';
import {
  type AlarmTiers,
  DAY_MS,
  HOUR_MS,
  hysteresisSchema,
  type LimitAlarm,
  limitAlarmSchema,
  MINUTE_MS,
  mergeGapSchema,
  policyDefaults,
  resolveTiers,
  tempC,
  tiersInputSchema,
  tiersSchema,
} from './alarm-policy.ts';

export type { LimitAlarm };
export { DAY_MS, HOUR_MS, MINUTE_MS };

export const PROFILE_PRESETS = ['refrigerated', 'frozen', 'ultra-cold', 'crt', 'custom'] as const;
export type ProfilePreset = (typeof PROFILE_PRESETS)[number];

/** A cumulative time-out-of-range budget: the alarm is raised once the total exceeds `budgetMs`. */
export interface TimeBudget {
  /** Unique within the profile; the alarm's rule id is `budget:<name>`. */
  readonly name: string;
  readonly kind: 'above' | 'below';
  readonly limitC: number;
  /** True: a reading equal to the limit counts as out of range. */
  readonly inclusive: boolean;
  /** Total time allowed out of range; the alarm is raised when the total is strictly greater. */
  readonly budgetMs: number;
}

/** A validated, frozen temperature profile. */
export interface TemperatureProfile {
  readonly name: string;
  readonly preset: ProfilePreset;
  /** Storage range, °C, both ends in range. */
  readonly lowerC: number;
  readonly upperC: number;
  /** Freeze-sensitive products get the freeze alarm; frozen and ultra-cold products do not. */
  readonly freezeSensitive: boolean;
  readonly heat: LimitAlarm;
  /** Used only when `freezeSensitive`. */
  readonly freeze: LimitAlarm;
  readonly budgets: readonly TimeBudget[];
  /** Door open longer than this raises an alarm (strictly greater). */
  readonly doorOpenMaxMs: number;
  /** Running on battery or backup longer than this raises an alarm (strictly greater). */
  readonly noPowerMaxMs: number;
  /** The logger's nominal sampling interval. */
  readonly expectedIntervalMs: number;
  /**
   * No reading for longer than this is a data gap: it raises the data-gap alarm and is not
   * counted as time by MKT or time-out-of-range totals. It does not end an excursion or a
   * duration alarm (nothing shows the condition cleared); their messages say how much of their
   * duration was without data (docs/alarms.md, "The gap rule").
   */
  readonly dataGapMaxMs: number;
  /** Rolling MKT window. */
  readonly mktWindowMs: number;
  /** The warning and critical tiers (alarm-policy.ts); heat, freeze and budgets are regulatory. */
  readonly tiers: AlarmTiers;
  /** Once beyond a warning or critical limit, back by more than this (°C) to leave it. */
  readonly hysteresisC: number;
  /** Excursions closer than this many minutes are one excursion (alarms, reports). */
  readonly mergeGapMinutes: number;
}

const PRESET_DEFAULTS: Record<
  Exclude<ProfilePreset, 'custom'>,
  {
    name: string;
    lowerC: number;
    upperC: number;
    freezeSensitive: boolean;
    heatDurationMs: number;
    mktWindowMs: number;
  }
> = {
  refrigerated: {
    name: 'Refrigerated 2-8 °C',
    lowerC: 2,
    upperC: 8,
    freezeSensitive: true,
    heatDurationMs: 10 * HOUR_MS,
    mktWindowMs: DAY_MS,
  },
  frozen: {
    name: 'Frozen -25 to -15 °C',
    lowerC: -25,
    upperC: -15,
    freezeSensitive: false,
    heatDurationMs: HOUR_MS,
    mktWindowMs: DAY_MS,
  },
  'ultra-cold': {
    name: 'Ultra-cold -90 to -60 °C',
    lowerC: -90,
    upperC: -60,
    freezeSensitive: false,
    heatDurationMs: 30 * MINUTE_MS,
    mktWindowMs: DAY_MS,
  },
  crt: {
    name: 'Controlled room temperature 15-25 °C',
    lowerC: 15,
    upperC: 25,
    freezeSensitive: true,
    heatDurationMs: 24 * HOUR_MS,
    mktWindowMs: 30 * DAY_MS,
  },
};

const FREEZE_DEFAULT: LimitAlarm = { limitC: -0.5, inclusive: true, durationMs: 60 * MINUTE_MS };
const COMMON_DEFAULTS = {
  doorOpenMaxMs: 5 * MINUTE_MS,
  noPowerMaxMs: 24 * HOUR_MS,
  expectedIntervalMs: 5 * MINUTE_MS,
  dataGapIntervals: 6,
};

const positiveMs = z
  .number()
  .int()
  .positive()
  .max(366 * DAY_MS);
const budgetName = z.string().regex(/^[a-z0-9][a-z0-9.+-]{0,31}$/);

/** The full, resolved profile. Cross-field rules live here so a stored profile can be re-checked. */
export const temperatureProfileSchema: z.ZodType<TemperatureProfile> = z
  .strictObject({
    name: z.string().min(1).max(64),
    preset: z.enum(PROFILE_PRESETS),
    lowerC: tempC,
    upperC: tempC,
    freezeSensitive: z.boolean(),
    heat: limitAlarmSchema,
    freeze: limitAlarmSchema,
    budgets: z
      .array(
        z.strictObject({
          name: budgetName,
          kind: z.enum(['above', 'below']),
          limitC: tempC,
          inclusive: z.boolean(),
          budgetMs: positiveMs,
        }),
      )
      .max(8),
    doorOpenMaxMs: positiveMs,
    noPowerMaxMs: positiveMs,
    expectedIntervalMs: positiveMs,
    dataGapMaxMs: positiveMs,
    mktWindowMs: positiveMs,
    tiers: tiersSchema,
    hysteresisC: hysteresisSchema,
    mergeGapMinutes: mergeGapSchema,
  })
  .superRefine((p, ctx) => {
    if (!(p.lowerC < p.upperC)) {
      ctx.addIssue({ code: 'custom', path: ['upperC'], message: 'upperC must be greater than lowerC' });
    }
    if (p.dataGapMaxMs < p.expectedIntervalMs) {
      ctx.addIssue({
        code: 'custom',
        path: ['dataGapMaxMs'],
        message: 'dataGapMaxMs must be at least expectedIntervalMs',
      });
    }
    const names = new Set<string>();
    p.budgets.forEach((b, i) => {
      if (names.has(b.name)) {
        ctx.addIssue({ code: 'custom', path: ['budgets', i, 'name'], message: 'duplicate budget name' });
      }
      names.add(b.name);
    });
  });

/** What a caller may give: a preset and any overrides. `custom` needs `lowerC` and `upperC`. */
export const temperatureProfileInputSchema = z.strictObject({
  preset: z.enum(PROFILE_PRESETS),
  name: z.string().min(1).max(64).optional(),
  lowerC: tempC.optional(),
  upperC: tempC.optional(),
  freezeSensitive: z.boolean().optional(),
  heat: limitAlarmSchema.partial().optional(),
  freeze: limitAlarmSchema.partial().optional(),
  budgets: z
    .array(
      z.strictObject({
        name: budgetName.optional(),
        kind: z.enum(['above', 'below']),
        limitC: tempC.optional(),
        inclusive: z.boolean().optional(),
        budgetMs: positiveMs,
      }),
    )
    .max(8)
    .optional(),
  doorOpenMaxMs: positiveMs.optional(),
  noPowerMaxMs: positiveMs.optional(),
  expectedIntervalMs: positiveMs.optional(),
  /** The data-gap limit as a number of expected intervals (default 6); `dataGapMaxMs` wins if both. */
  dataGapIntervals: z.number().int().min(1).max(10_000).optional(),
  dataGapMaxMs: positiveMs.optional(),
  mktWindowMs: positiveMs.optional(),
  /** Warning and critical tiers: per tier and side, any field, or `null` to switch it off. */
  tiers: tiersInputSchema.optional(),
  hysteresisC: hysteresisSchema.optional(),
  mergeGapMinutes: mergeGapSchema.optional(),
});

export type TemperatureProfileInput = z.input<typeof temperatureProfileInputSchema>;

function issuesOf(err: z.ZodError): string[] {
  return err.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

/**
 * Builds a profile from a preset and overrides. Returns the frozen profile, or every problem
 * as `path: why` (the config convention). Heat and budget limits default to the range limits.
 */
export function parseProfile(input: unknown): { profile: TemperatureProfile } | { errors: string[] } {
  const parsed = temperatureProfileInputSchema.safeParse(input);
  if (!parsed.success) return { errors: issuesOf(parsed.error) };
  const i = parsed.data;
  let base: (typeof PRESET_DEFAULTS)[keyof typeof PRESET_DEFAULTS] | undefined;
  if (i.preset === 'custom') {
    const missing = (['lowerC', 'upperC'] as const).filter((k) => i[k] === undefined);
    if (missing.length > 0) return { errors: missing.map((k) => `${k}: required for a custom profile`) };
  } else {
    base = PRESET_DEFAULTS[i.preset];
  }
  const lowerC = (i.lowerC ?? base?.lowerC) as number;
  const upperC = (i.upperC ?? base?.upperC) as number;
  const expectedIntervalMs = i.expectedIntervalMs ?? COMMON_DEFAULTS.expectedIntervalMs;
  // a custom range entirely above freezing is for a product that must not freeze
  const freezeSensitive = i.freezeSensitive ?? base?.freezeSensitive ?? lowerC >= 0;
  const freeze: LimitAlarm = { ...FREEZE_DEFAULT, ...stripUndefined(i.freeze ?? {}) };
  const policy = policyDefaults(i.preset);
  const candidate: TemperatureProfile = {
    name: i.name ?? base?.name ?? `Custom ${lowerC} to ${upperC} °C`,
    preset: i.preset,
    lowerC,
    upperC,
    freezeSensitive,
    heat: {
      limitC: i.heat?.limitC ?? upperC,
      inclusive: i.heat?.inclusive ?? false,
      durationMs: i.heat?.durationMs ?? base?.heatDurationMs ?? 10 * HOUR_MS,
    },
    freeze,
    budgets: (i.budgets ?? []).map((b) => {
      const limitC = b.limitC ?? (b.kind === 'above' ? upperC : lowerC);
      return {
        name: b.name ?? `${b.kind}-${limitC}`,
        kind: b.kind,
        limitC,
        inclusive: b.inclusive ?? false,
        budgetMs: b.budgetMs,
      };
    }),
    doorOpenMaxMs: i.doorOpenMaxMs ?? COMMON_DEFAULTS.doorOpenMaxMs,
    noPowerMaxMs: i.noPowerMaxMs ?? COMMON_DEFAULTS.noPowerMaxMs,
    expectedIntervalMs,
    dataGapMaxMs:
      i.dataGapMaxMs ?? expectedIntervalMs * (i.dataGapIntervals ?? COMMON_DEFAULTS.dataGapIntervals),
    mktWindowMs: i.mktWindowMs ?? base?.mktWindowMs ?? DAY_MS,
    tiers: resolveTiers(i.preset, i.tiers, { lowerC, upperC, freeze, freezeSensitive }),
    hysteresisC: i.hysteresisC ?? policy.hysteresisC,
    mergeGapMinutes: i.mergeGapMinutes ?? policy.mergeGapMinutes,
  };
  const full = temperatureProfileSchema.safeParse(candidate);
  if (!full.success) return { errors: issuesOf(full.error) };
  return { profile: deepFreeze(full.data) };
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** As {@link parseProfile}, but throws `VIGIL_ERR_PROFILE` naming the first problem. */
export function resolveProfile(input: unknown): TemperatureProfile {
  const r = parseProfile(input);
  if ('errors' in r) throw new VigilError('VIGIL_ERR_PROFILE', r.errors[0]);
  return r.profile;
}

/** The preset with all defaults, e.g. `presetProfile('refrigerated')`. */
export function presetProfile(preset: Exclude<ProfilePreset, 'custom'>): TemperatureProfile {
  return resolveProfile({ preset });
}
