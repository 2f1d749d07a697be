/**
 * The statistical monitor of one device, set up for its kind: a truck's logger and a probe watch
 * `temp_c` against their temperature profile, a patient monitor the five NEWS2 vitals.
 */
import type { TemperatureProfile } from '../../coldchain/profiles.ts';
import type { RandomSource } from '../isolation-forest.ts';
import { RATE_ALLOWANCE_C, temperatureLimits, VITAL_PLAUSIBLE } from '../sensor-fault/sensor-fault-rules.ts';
import {
  DEFAULT_VITALS_RANGES,
  defaultRange,
  insideOf,
  limitsApply,
  type VitalRangeConfig,
} from '../vitals-policy.ts';
import { MONITOR_CONFIGS, type MonitorConfig, type MonitorProfile } from './monitor-config.ts';
import { createStatisticalMonitor, type StatisticalMonitor } from './statistical-monitor.ts';
import { createTemperatureFeatures } from './temperature-features.ts';
import { createVitalsFeatures, VITAL_FEATURES, type VitalField } from './vitals-features.ts';

export type DeviceKind = 'vaccine-transport' | 'temperature-probe' | 'patient-vitals';

export interface DeviceMonitorOptions {
  readonly subject: string;
  readonly kind: DeviceKind;
  /** Loggers and probes: the profile whose range the tiered alarms judge. */
  readonly profile: TemperatureProfile;
  /** Seeded generator for a forest trained at a minute (probes). */
  readonly rngFor: (minute: number) => RandomSource;
  readonly lateToleranceMs?: number;
  /** Overrides of the calibrated settings (benchmark sweeps, tests). */
  readonly config?: Partial<MonitorConfig>;
}

export function monitorProfileOf(kind: DeviceKind): MonitorProfile {
  return kind === 'patient-vitals' ? 'vitals' : kind === 'temperature-probe' ? 'probe' : 'vehicle';
}

/** The vitals watched, with the range rules' limits (outside: covered) and the plausible bounds. */
export function vitalFields(): VitalField[] {
  return VITAL_FEATURES.map((field) => {
    const rules = DEFAULT_VITALS_RANGES.filter((r) => r.vital.field === field);
    const range = rules[0] ? defaultRange(rules[0]) : {};
    const p = VITAL_PLAUSIBLE.find((v) => v.field === field);
    const perPatient = rules.some((r) => r.limits.some((l) => l.when !== undefined));
    return {
      field,
      ...range,
      ...(perPatient ? { rangeFor: (patient: PatientOxygen) => rangeFor(rules, patient) } : {}),
      lowest: p?.lowest ?? Number.NEGATIVE_INFINITY,
      highest: p?.highest ?? Number.POSITIVE_INFINITY,
    };
  });
}

interface PatientOxygen {
  readonly spo2Scale: 1 | 2;
  readonly onOxygen: boolean;
}

/** The in-range interval the range rules on one vital leave for a patient. */
function rangeFor(rules: readonly VitalRangeConfig[], p: PatientOxygen): { min?: number; max?: number } {
  const data = { spo2_scale: p.spo2Scale, on_oxygen: p.onOxygen };
  let min: number | undefined;
  let max: number | undefined;
  for (const r of rules) {
    const l = r.limits.find((x) => limitsApply(x, data));
    if (!l) continue;
    const one = insideOf(l, r.vital.digits);
    if (one.min !== undefined) min = Math.max(min ?? Number.NEGATIVE_INFINITY, one.min);
    if (one.max !== undefined) max = Math.min(max ?? Number.POSITIVE_INFINITY, one.max);
  }
  return { ...(min !== undefined ? { min } : {}), ...(max !== undefined ? { max } : {}) };
}

export function createDeviceMonitor(o: DeviceMonitorOptions): StatisticalMonitor {
  const profile = monitorProfileOf(o.kind);
  const config: MonitorConfig = { ...MONITOR_CONFIGS[profile], ...o.config };
  const lim = temperatureLimits(o.profile);
  const features =
    profile === 'vitals'
      ? createVitalsFeatures(vitalFields())
      : createTemperatureFeatures({
          lowerC: o.profile.lowerC,
          upperC: o.profile.upperC,
          lowestC: lim.lowestC,
          highestC: lim.highestC,
          maxPerMin: lim.maxPerMin,
          allowanceC: RATE_ALLOWANCE_C,
          doorRecoveryMs: config.doorRecoveryMs,
          noiseReadings: config.noiseReadings,
        });
  return createStatisticalMonitor({
    subject: o.subject,
    config,
    features,
    rngFor: o.rngFor,
    ...(o.lateToleranceMs !== undefined ? { lateToleranceMs: o.lateToleranceMs } : {}),
  });
}
