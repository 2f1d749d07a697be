/**
 * The statistical monitor's settings per kind of device, chosen and calibrated with the labelled
 * benchmark (`npm run bench -- --only=anomaly`, bench/README.md): at most one false alarm per
 * device-week on the simulator's normal data at 10 s and 60 s cadence.
 */
export type MonitorProfile = 'vehicle' | 'probe' | 'vitals';

/** How one feature is scored by its robust z-score against the device's own history. */
export interface FeatureScoring {
  readonly name: string;
  /** Smallest robust SD used (a sensor's resolution, a clinically meaningless change). */
  readonly floor: number;
  /** |z| at which the feature alone is anomalous; Infinity: not scored alone. */
  readonly threshold: number;
  /** Which departures count: both, or only upward (noise). */
  readonly sides: 'both' | 'up';
  /**
   * `median`: z = (value − median) / SD. `envelope`: how far the value is beyond the history's
   * 1st or 99th percentile, in SDs (0 inside): for a value that cycles (a thermostat's sawtooth),
   * where leaving the usual band at all, and staying out, is the anomaly.
   */
  readonly reference?: 'median' | 'envelope';
  /** Scored even while a level is out of range (the range rules judge levels, not noise). */
  readonly despiteRange?: boolean;
}

export interface ForestScoring {
  /** Indices of the features the forest sees (default: all). */
  readonly features?: readonly number[];
  /** Isolation-forest score at which a minute is anomalous. */
  readonly threshold: number;
  readonly trees: number;
  readonly sampleSize: number;
  /** Retrained on the clean history every this often (on the minute grid, so restarts agree). */
  readonly retrainMs: number;
}

export interface MonitorConfig {
  readonly profile: MonitorProfile;
  readonly features: readonly FeatureScoring[];
  readonly forest?: ForestScoring;
  /**
   * Patients: a vital whose NEWS2 parameter score at its current level is above the score at its
   * 6-hour median has its score multiplied by this (a clinical change backs a smaller statistical
   * one).
   */
  readonly news2Boost?: number;
  /** Time window of history the baselines and the forest learn from. */
  readonly historyMs: number;
  /** Clean history needed before the first score (warm-up; the rules cover meanwhile). */
  readonly minHistoryMs: number;
  /** Baselines are recomputed every this often, on the minute grid. */
  readonly refreshMs: number;
  readonly persistMs: number;
  readonly holdMs: number;
  /** Below this (threshold = 1) a minute counts toward clearing an open alarm. */
  readonly clearBelow: number;
  /** Minutes of an episode older than this are learnt from again: a lasting change becomes normal. */
  readonly maxExcludeMs: number;
  /** Trucks: minutes after a door was reported open that are left to the door rule. */
  readonly doorRecoveryMs: number;
  /**
   * Temperatures: readings the 10-minute noise window stretches to for slow devices. A longer
   * window hears a small noise better, but at a probe's door openings it hears the door.
   */
  readonly noiseReadings: number;
}

const MIN = 60_000;
const HOUR = 3_600_000;

const COMMON = {
  refreshMs: 15 * MIN,
  holdMs: 30 * MIN,
  clearBelow: 0.6,
  maxExcludeMs: 12 * HOUR,
  doorRecoveryMs: 45 * MIN,
  noiseReadings: 8,
} as const;

export const MONITOR_CONFIGS: Readonly<Record<MonitorProfile, MonitorConfig>> = Object.freeze({
  // A truck's load sits at the reefer's setpoint and wanders slowly (±1.2 °C over hours): a
  // departure from the 6-hour median of 6 robust SDs (at least 1.5 °C), a slope of 5 robust
  // SDs (at least 0.05 °C/min) or a noise 4 robust SDs above usual (over 16 readings at least:
  // its doors are reported, so a longer window hears only the sensor), for 5 minutes.
  vehicle: {
    ...COMMON,
    profile: 'vehicle',
    features: [
      { name: 'level', floor: 0.25, threshold: 6, sides: 'both' },
      { name: 'slope', floor: 0.01, threshold: 5, sides: 'both' },
      { name: 'level-30', floor: 0.15, threshold: Number.POSITIVE_INFINITY, sides: 'both' },
      { name: 'slope-30', floor: 0.005, threshold: Number.POSITIVE_INFINITY, sides: 'both' },
      { name: 'log-noise', floor: 0.15, threshold: 4, sides: 'up', despiteRange: true },
    ],
    historyMs: 6 * HOUR,
    minHistoryMs: 2 * HOUR,
    persistMs: 5 * MIN,
    noiseReadings: 16,
  },
  // A probe's cabinet follows its thermostat's sawtooth, defrosts and door openings, so its
  // median says little: the 30-minute level leaving the band it kept for 24 hours (its 1st to
  // 99th percentile) by a robust SD for 15 minutes, or a noise 4.5 robust SDs above usual. An
  // isolation forest over the levels and slopes was tried here and raised 1-9 false alarms per
  // device-week for no earlier detection (bench/README.md).
  probe: {
    ...COMMON,
    profile: 'probe',
    features: [
      { name: 'level', floor: 0.15, threshold: Number.POSITIVE_INFINITY, sides: 'both' },
      { name: 'slope', floor: 0.01, threshold: Number.POSITIVE_INFINITY, sides: 'both' },
      { name: 'level-30', floor: 0.15, threshold: 1, sides: 'both', reference: 'envelope' },
      { name: 'slope-30', floor: 0.005, threshold: Number.POSITIVE_INFINITY, sides: 'both' },
      { name: 'log-noise', floor: 0.15, threshold: 4.5, sides: 'up', despiteRange: true },
    ],
    historyMs: 24 * HOUR,
    minHistoryMs: 4 * HOUR,
    persistMs: 15 * MIN,
  },
  // Per-vital robust z-scores against the patient's own 6-hour medians: SpO2 at 4 SDs (at
  // least 4 points), respiration at 5 (at least 7.5/min), pulse, pressure and temperature at 6,
  // each 1.5 times stronger when the vital's NEWS2 parameter score has gone up; for 5 minutes.
  vitals: {
    ...COMMON,
    profile: 'vitals',
    features: [
      { name: 'hr_bpm', floor: 2.5, threshold: 6, sides: 'both' },
      { name: 'spo2_pct', floor: 1, threshold: 4, sides: 'both' },
      { name: 'rr_bpm', floor: 1.5, threshold: 5, sides: 'both' },
      { name: 'sbp_mmhg', floor: 5, threshold: 6, sides: 'both' },
      { name: 'temp_c', floor: 0.2, threshold: 6, sides: 'both' },
    ],
    news2Boost: 1.5,
    historyMs: 6 * HOUR,
    minHistoryMs: 2 * HOUR,
    persistMs: 5 * MIN,
  },
});
