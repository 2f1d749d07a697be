/** The rule nodes for each kind of subject, built from a profile and typed options. */
import type { LatLon } from '../coldchain/geofence.ts';
import type { TemperatureProfile } from '../coldchain/profiles.ts';
import { createArrivalRule } from './arrival-rule.ts';
import { createBatteryRule, DEFAULT_BATTERY } from './battery-rule.ts';
import { budgetRuleConfigs, createBudgetRule } from './budget-rule.ts';
import { createDataGapRule, dataGapRuleConfig } from './data-gap-rule.ts';
import { createDoorRule, doorRuleConfig } from './door-rule.ts';
import { createFreezeRule, freezeRuleConfig } from './freeze-rule.ts';
import { createHeatRule, heatRuleConfig } from './heat-rule.ts';
import { createMissingFieldsRule } from './missing-fields-rule.ts';
import { NEWS2_FIELDS } from './news2.ts';
import { createNews2Rule } from './news2-rule.ts';
import { createOffRouteRule } from './off-route-rule.ts';
import { createPowerRule, powerRuleConfig } from './power-rule.ts';
import type { RuleNode } from './rule.ts';
import { tierRules } from './tier-rules.ts';
import { DEFAULT_VITALS_RANGES, type News2AlarmPolicy, type VitalRangeConfig } from './vitals-policy.ts';
import { createVitalRangeRule } from './vitals-range-rule.ts';

/** A shipment's planned route and destination. */
export interface GeofenceConfig {
  readonly route?: readonly LatLon[];
  /** Off-route tolerance, km (default 5). */
  readonly offRouteKm?: number;
  /** How long off route before the alarm, ms (default 0). */
  readonly offRouteMinMs?: number;
  readonly destination?: LatLon;
  /** Arrival radius, km (default 1). */
  readonly arrivalRadiusKm?: number;
}

export interface ColdChainRuleOptions {
  readonly geofence?: GeofenceConfig;
  readonly battery?: { readonly lowPct?: number; readonly clearPct?: number };
}

/**
 * The regulatory tier (heat, freeze for freeze-sensitive profiles only, one rule per budget), the
 * warning and critical tiers the profile switches on, door open, no power, data gap, battery low,
 * and off route / arrived when a geofence is given. Fits vaccine-transport loggers
 * and temperature probes (rules whose fields a probe lacks never fire).
 */
export function coldChainRules(profile: TemperatureProfile, options: ColdChainRuleOptions = {}): RuleNode[] {
  const nodes: RuleNode[] = [createHeatRule(heatRuleConfig(profile))];
  if (profile.freezeSensitive) nodes.push(createFreezeRule(freezeRuleConfig(profile)));
  for (const b of budgetRuleConfigs(profile)) nodes.push(createBudgetRule(b));
  nodes.push(...tierRules(profile));
  nodes.push(
    createDoorRule(doorRuleConfig(profile)),
    createPowerRule(powerRuleConfig(profile)),
    createDataGapRule(dataGapRuleConfig(profile)),
    createBatteryRule({ ...DEFAULT_BATTERY, ...options.battery }),
  );
  const g = options.geofence;
  if (g?.route && g.route.length > 0) {
    nodes.push(
      createOffRouteRule({
        route: g.route,
        maxDistanceKm: g.offRouteKm ?? 5,
        minDurationMs: g.offRouteMinMs ?? 0,
      }),
    );
  }
  if (g?.destination) {
    nodes.push(createArrivalRule({ destination: g.destination, radiusKm: g.arrivalRadiusKm ?? 1 }));
  }
  return nodes;
}

export interface VitalsRuleOptions {
  /** No sample for longer than this is a data gap (default 5 min). */
  readonly dataGapMaxMs?: number;
  /** Replaces the default range alarms (heart rate, body temperature, SpO2 low and high, signal). */
  readonly ranges?: readonly VitalRangeConfig[];
  /** Overrides of the NEWS2 alarm's delays, hysteresis and merge gap (vitals-policy.ts). */
  readonly news2?: Partial<News2AlarmPolicy>;
  readonly battery?: { readonly lowPct?: number; readonly clearPct?: number };
  /** Required fields (default: the NEWS2 inputs). */
  readonly required?: readonly string[];
}

const VITALS_DATA_GAP_MS = 5 * 60_000;

/** The NEWS2 alarm and the range alarms: the rules that judge the patient's vital signs. */
export function vitalSignRules(options: VitalsRuleOptions = {}): RuleNode[] {
  const maxGapMs = options.dataGapMaxMs ?? VITALS_DATA_GAP_MS;
  return [
    createNews2Rule({ ...options.news2, maxGapMs }),
    ...(options.ranges ?? DEFAULT_VITALS_RANGES).map((r) => createVitalRangeRule(r, { maxGapMs })),
  ];
}

/** NEWS2, range alarms, battery low, missing fields and data gap for a patient-vitals monitor. */
export function vitalsRules(options: VitalsRuleOptions = {}): RuleNode[] {
  return [
    ...vitalSignRules(options),
    createBatteryRule({ ...DEFAULT_BATTERY, ...options.battery }),
    createMissingFieldsRule({ required: options.required ?? NEWS2_FIELDS }),
    createDataGapRule({ maxGapMs: options.dataGapMaxMs ?? VITALS_DATA_GAP_MS }),
  ];
}
