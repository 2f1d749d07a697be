/** Runs the shipped statistical monitor over a trace, as the alarm service drives it. */

import { createRng, hashSeed } from '../../src/random/rng.ts';
import { createDeviceMonitor } from '../../src/rules/anomaly/device-monitor.ts';
import { MONITOR_CONFIGS, type MonitorConfig } from '../../src/rules/anomaly/monitor-config.ts';
import type { StatisticalMonitor } from '../../src/rules/anomaly/statistical-monitor.ts';
import type { Reading } from '../../src/rules/rule.ts';
import { type BenchAlarm, openedStatistical } from './detectors.ts';
import { profileOf } from './profiles.ts';
import type { Trace } from './traces.ts';

export function monitorFor(t: Trace, config?: Partial<MonitorConfig>): StatisticalMonitor {
  return createDeviceMonitor({
    subject: t.id,
    kind:
      t.profile === 'vitals'
        ? 'patient-vitals'
        : t.profile === 'probe'
          ? 'temperature-probe'
          : 'vaccine-transport',
    profile: profileOf(t.preset),
    rngFor: (minute) => createRng(hashSeed(`${t.id}/${minute}`)),
    ...(config ? { config } : {}),
  });
}

export function runMonitor(
  t: Trace,
  readings: readonly Reading[],
  config?: Partial<MonitorConfig>,
): BenchAlarm[] {
  const m = monitorFor(t, config);
  const out: BenchAlarm[] = [];
  for (const r of readings) out.push(...openedStatistical(m.observe(r, r.ts)));
  return out;
}

/** The shipped configuration plus an isolation forest (the `forest` detector). */
export function forestVariant(t: Trace): Partial<MonitorConfig> {
  const base = MONITOR_CONFIGS[t.profile === 'truck' ? 'vehicle' : t.profile];
  return {
    ...base,
    forest: {
      threshold: 0.65,
      trees: 64,
      sampleSize: 128,
      retrainMs: 3_600_000,
      // temperatures: 30-minute level and slope (the best of the subsets tried); vitals: all five
      ...(t.profile === 'vitals' ? {} : { features: [2, 3] }),
    },
  };
}
