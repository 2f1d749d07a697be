/**
 * Statistical alarms in words an operator acts on: which reading is unusual, by how much, against
 * what ("HR 9 robust SDs above this patient's 6-hour median (112 vs 74 bpm)", "Temperature rising
 * 0.12 °C/min with the door reported closed"). The message says what the monitor saw, not a
 * diagnosis; the numbers behind it go into the alarm's detail.
 */
import type { MonitorProfile } from './monitor-config.ts';

export interface FeatureFact {
  readonly name: string;
  readonly value: number;
  readonly median: number;
  /** Robust SD used (floored). */
  readonly sd: number;
  readonly z: number;
  /** 1st and 99th percentiles of the history. */
  readonly low: number;
  readonly high: number;
}

export interface ExplainFacts {
  readonly profile: MonitorProfile;
  readonly features: readonly FeatureFact[];
  /** Index of the feature that drives the alarm. */
  readonly driver: number;
  readonly forest?: { readonly score: number; readonly threshold: number };
  readonly door?: 'open' | 'closed';
  readonly news2?: number;
  readonly baselineNews2?: number;
  readonly historyMs: number;
  /** False when a level is out of range (only the noise was scored). */
  readonly inRange: boolean;
}

const VITAL_WORDS: Record<string, { label: string; unit: string; digits: number }> = {
  hr_bpm: { label: 'HR', unit: 'bpm', digits: 0 },
  spo2_pct: { label: 'SpO2', unit: '%', digits: 0 },
  rr_bpm: { label: 'RR', unit: '/min', digits: 0 },
  sbp_mmhg: { label: 'SBP', unit: 'mmHg', digits: 0 },
  temp_c: { label: 'Temperature', unit: '°C', digits: 1 },
};

const hours = (ms: number) => `${Math.round(ms / 3_600_000)}-hour`;
const sds = (z: number) => {
  const a = Math.abs(z);
  return a >= 10 ? a.toFixed(0) : a.toFixed(1);
};
const c1 = (v: number) => `${v.toFixed(1)} °C`;
const signed = (v: number) => (Math.abs(v) < 0.1 ? v.toFixed(3) : v.toFixed(2));
const rate = (v: number) => `${Math.abs(v) < 0.1 ? Math.abs(v).toFixed(3) : Math.abs(v).toFixed(2)} °C/min`;

function byName(f: ExplainFacts, name: string): FeatureFact | undefined {
  return f.features.find((x) => x.name === name);
}

function temperatureClause(x: FeatureFact, f: ExplainFacts, device: string): string {
  const span = hours(f.historyMs);
  switch (x.name) {
    case 'level': {
      const d = x.value - x.median;
      return (
        `Temperature ${c1(x.value)}, ${Math.abs(d).toFixed(1)} °C ${d >= 0 ? 'above' : 'below'} this ${device}'s ` +
        `${span} median (${c1(x.median)}; usual range ${x.low.toFixed(1)} to ${c1(x.high)})`
      );
    }
    case 'slope': {
      const level = byName(f, 'level');
      const door = f.door === 'closed' ? ' with the door reported closed' : '';
      return (
        `Temperature ${x.value >= 0 ? 'rising' : 'falling'} ${rate(x.value)}${door} ` +
        `(${span} range ${signed(x.low)} to ${signed(x.high)} °C/min)` +
        (level ? `, now ${c1(level.value)}` : '')
      );
    }
    case 'level-30': {
      const above = x.value > x.high;
      const by = above ? x.value - x.high : x.low - x.value;
      const side = above ? 'above' : x.value < x.low ? 'below' : 'inside';
      return (
        `Temperature averaging ${c1(x.value)} over 30 minutes, ` +
        (side === 'inside'
          ? `inside the band this ${device} kept for ${hours(f.historyMs).replace('-hour', ' hours')}`
          : `${by.toFixed(1)} °C ${side} the band this ${device} kept for ${hours(f.historyMs).replace('-hour', ' hours')}`) +
        ` (${x.low.toFixed(1)} to ${c1(x.high)})`
      );
    }
    case 'slope-30':
      return `Temperature ${x.value >= 0 ? 'rising' : 'falling'} ${rate(x.value)} over 30 minutes (${span} range ${signed(x.low)} to ${signed(x.high)} °C/min)`;
    default: {
      const now = Math.exp(x.value);
      const usual = Math.exp(x.median);
      return (
        `Temperature readings ${(now / usual).toFixed(now / usual >= 10 ? 0 : 1)} times noisier than usual ` +
        `(±${now.toFixed(2)} °C against ±${usual.toFixed(2)} °C)`
      );
    }
  }
}

function explainTemperature(f: ExplainFacts): string {
  const device = f.profile === 'vehicle' ? 'logger' : 'probe';
  const driver = f.features[f.driver] as FeatureFact;
  if (f.forest && f.forest.score >= f.forest.threshold) {
    const level = byName(f, 'level');
    const slope = byName(f, 'slope');
    const parts: string[] = [];
    if (level) {
      const where =
        level.value > level.high
          ? `above its ${hours(f.historyMs)} range`
          : level.value < level.low
            ? `below its ${hours(f.historyMs)} range`
            : 'inside its usual range';
      parts.push(`temperature ${c1(level.value)}, ${where} ${level.low.toFixed(1)} to ${c1(level.high)}`);
    }
    if (slope) parts.push(`${slope.value >= 0 ? 'rising' : 'falling'} ${rate(slope.value)}`);
    return (
      `Unusual for this ${device} (isolation-forest score ${f.forest.score.toFixed(2)}, threshold ${f.forest.threshold}): ` +
      `${parts.join(', ')}${Math.abs(driver.z) >= 3 && driver.name === 'log-noise' ? `; ${temperatureClause(driver, f, device).toLowerCase()}` : ''}; no range limit crossed`
    );
  }
  return `${temperatureClause(driver, f, device)}${f.inRange ? '; no range limit crossed' : ''}`;
}

function explainVitals(f: ExplainFacts): string {
  const driver = f.features[f.driver] as FeatureFact;
  const w = VITAL_WORDS[driver.name] ?? { label: driver.name, unit: '', digits: 1 };
  let text =
    `${w.label} ${sds(driver.z)} robust SDs ${driver.z >= 0 ? 'above' : 'below'} this patient's ` +
    `${hours(f.historyMs)} median (${driver.value.toFixed(w.digits)} vs ${driver.median.toFixed(w.digits)} ${w.unit})`;
  // a breathing change with a steady pulse (or the reverse) is worth saying: they usually move together
  const partner = driver.name === 'rr_bpm' ? 'hr_bpm' : driver.name === 'hr_bpm' ? 'rr_bpm' : undefined;
  const p = partner ? byName(f, partner) : undefined;
  if (p && Math.abs(p.z) < 2) text += ` while ${VITAL_WORDS[p.name]?.label} is steady`;
  const others = f.features.filter((x, i) => i !== f.driver && Math.abs(x.z) >= 4 && x.name !== partner);
  for (const o of others) {
    const ow = VITAL_WORDS[o.name];
    if (ow)
      text += `; ${ow.label} ${sds(o.z)} SDs ${o.z >= 0 ? 'above' : 'below'} (${o.value.toFixed(ow.digits)} ${ow.unit})`;
  }
  if (f.news2 !== undefined) {
    text +=
      f.baselineNews2 !== undefined && f.news2 !== f.baselineNews2
        ? `; NEWS2 ${f.news2}, ${f.news2 > f.baselineNews2 ? 'up' : 'down'} from ${f.baselineNews2}`
        : `; NEWS2 ${f.news2}, unchanged`;
  }
  return text;
}

export function explain(f: ExplainFacts): string {
  return f.profile === 'vitals' ? explainVitals(f) : explainTemperature(f);
}
