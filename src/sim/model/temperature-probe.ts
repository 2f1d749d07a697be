/**
 * A probe in a vaccine refrigerator or freezer at a clinic or depot. A hysteresis thermostat
 * switches the compressor, which gives the familiar sawtooth; frost-free units defrost every few
 * hours; door openings give short spikes; power cuts stop the compressor unless a backup supply
 * (generator, UPS, solar) carries it.
 */

import { chance, clippedGaussian, exponential, forkRng, type Rng, uniform } from '../../random/rng.ts';
import { clamp, firesWithin, HOUR_MS, MINUTE_MS, ouStep, relax, round, subSteps } from './dynamics.ts';
import type { DeviceEvent, DoorState, ModelStep, PowerSource } from './events.ts';
import type { OptionsInput } from './options-input.ts';

export type ProbeKind = 'fridge' | 'freezer' | 'ultra-low';

/** Thermal character of one kind of cold appliance (temperatures °C, times minutes). */
export interface ApplianceProfile {
  /** Thermostat band: the compressor starts above `high` and stops below `low`. */
  low: number;
  high: number;
  /** Evaporator temperature the cabinet air tends to while the compressor runs, and how fast. */
  coldTargetC: number;
  tauOnMin: number;
  /** How fast the cabinet warms toward the room with the compressor off. */
  tauOffMin: number;
  /** Time constant toward room air while the door is open (short for an air probe in an upright fridge). */
  tauDoorMin: number;
  /** Defrost: every `defrostEveryH` hours (0: never), lasting `defrostMin`, heating toward `defrostTargetC`. */
  defrostEveryH: number;
  defrostMin: number;
  defrostTargetC: number;
  defrostTauMin: number;
}

// WHO PQS E003 appliance classes: +2..+8 °C refrigerators, −15..−25 °C freezers; ultra-low for mRNA vaccines
export const APPLIANCES: Readonly<Record<ProbeKind, ApplianceProfile>> = Object.freeze({
  fridge: {
    low: 3.5,
    high: 6.5,
    coldTargetC: -5,
    tauOnMin: 30,
    tauOffMin: 180,
    tauDoorMin: 10,
    // off-cycle defrost: the compressor is simply held off, no heater
    defrostEveryH: 8,
    defrostMin: 20,
    defrostTargetC: 22,
    defrostTauMin: 180,
  },
  freezer: {
    low: -22,
    high: -18,
    coldTargetC: -35,
    tauOnMin: 60,
    tauOffMin: 360,
    tauDoorMin: 25,
    defrostEveryH: 8,
    defrostMin: 25,
    defrostTargetC: 5,
    defrostTauMin: 60,
  },
  'ultra-low': {
    low: -82,
    high: -78,
    coldTargetC: -95,
    tauOnMin: 60,
    tauOffMin: 1440,
    tauDoorMin: 40,
    defrostEveryH: 0,
    defrostMin: 0,
    defrostTargetC: 0,
    defrostTauMin: 1,
  },
});

export interface ProbeIncidentRates {
  doorOpenPerHour: number;
  powerOutagePerHour: number;
  connectivityLossPerHour: number;
}

export interface ProbeOptions {
  kind: ProbeKind;
  incidents: ProbeIncidentRates;
  /** Room air temperature, °C. */
  roomC: number;
  /** Whether samples carry `rh_pct` (default: fridges only). */
  hasHumidity: boolean;
  /** Share of power cuts bridged by a backup supply that keeps the compressor running. */
  backupShare: number;
  /** Standard deviation of the sensor noise, °C. */
  sensorNoiseC: number;
}

export type ProbeOptionsInput = OptionsInput<ProbeOptions, 'incidents'>;

export const NO_PROBE_INCIDENTS: ProbeIncidentRates = Object.freeze({
  doorOpenPerHour: 0,
  powerOutagePerHour: 0,
  connectivityLossPerHour: 0,
});

export const DEFAULT_PROBE_INCIDENTS: ProbeIncidentRates = Object.freeze({
  doorOpenPerHour: 0.5,
  powerOutagePerHour: 0.01,
  connectivityLossPerHour: 0.03,
});

/** One probe reading; field names per DESIGN.md §4, temperature-probe profile. */
export type ProbeSample = {
  ts: number;
  temp_c: number;
  rh_pct?: number;
  bat_pct: number;
  power: PowerSource;
  rssi_dbm: number;
};

export interface ProbeSnapshot {
  clock: number;
  kind: ProbeKind;
  compressorOn: boolean;
  defrosting: boolean;
  door: DoorState;
  power: PowerSource;
  connected: boolean;
  /** Cabinet air temperature without sensor noise. */
  airTempC: number;
  batPct: number;
}

export interface ProbeModel {
  readonly id: string;
  step(ts: number): ModelStep<ProbeSample>;
  snapshot(): ProbeSnapshot;
}

export interface ProbeInit {
  id: string;
  rng: Rng;
  startTs: number;
  options?: ProbeOptionsInput;
}

const BATTERY_DRAIN_PCT_H = 2;
const BATTERY_CHARGE_PCT_H = 20;

export function createProbe(init: ProbeInit): ProbeModel {
  const { incidents: rates, ...rest } = init.options ?? {};
  const kind: ProbeKind = rest.kind ?? 'fridge';
  const opt: ProbeOptions = {
    kind,
    roomC: 22,
    hasHumidity: kind === 'fridge',
    backupShare: 0.3,
    sensorNoiseC: 0.08,
    ...rest,
    incidents: { ...DEFAULT_PROBE_INCIDENTS, ...rates },
  };
  const app = APPLIANCES[kind];
  const thermal = forkRng(init.rng);
  const incident = forkRng(init.rng);
  const sensor = forkRng(init.rng);

  const s = {
    clock: init.startTs,
    air: uniform(thermal, app.low, app.high),
    compressor: chance(thermal, 0.3),
    // stagger defrost schedules across probes
    nextDefrost: init.startTs + uniform(thermal, 0, Math.max(app.defrostEveryH, 1)) * HOUR_MS,
    defrostDue: false,
    defrostUntil: 0,
    rh: 50,
    door: 'closed' as DoorState,
    doorUntil: 0,
    power: 'mains' as PowerSource,
    powerUntil: 0,
    bat: uniform(sensor, 85, 100),
    batLowArmed: true,
    connected: true,
    connUntil: 0,
    rssiMean: uniform(sensor, -80, -60),
    rssi: -70,
  };
  s.rssi = s.rssiMean;

  function thermostat(t: number, dt: number): void {
    const dtMin = dt / MINUTE_MS;
    const defrosting = t <= s.defrostUntil;
    const canRun = s.power !== 'battery' && !defrosting;
    if (s.door === 'open') {
      // the room air pours in faster than the evaporator can remove it
      s.air = relax(s.air, opt.roomC, app.tauDoorMin, dtMin);
    } else if (defrosting) {
      s.air = relax(s.air, app.defrostTargetC, app.defrostTauMin, dtMin);
    } else if (s.compressor && canRun) {
      s.air = relax(s.air, app.coldTargetC, app.tauOnMin, dtMin);
    } else {
      s.air = relax(s.air, opt.roomC, app.tauOffMin, dtMin);
    }
    if (app.defrostEveryH > 0 && t >= s.nextDefrost) s.defrostDue = true;
    if (!canRun) s.compressor = false;
    else if (s.air >= app.high) s.compressor = true;
    else if (s.air <= app.low) {
      s.compressor = false;
      // defrost starts at the end of a cooling run, when the cabinet is coldest
      if (s.defrostDue) {
        s.defrostDue = false;
        s.defrostUntil = t + app.defrostMin * MINUTE_MS;
        s.nextDefrost = t + app.defrostEveryH * HOUR_MS;
      }
    }
    // the evaporator dries the air while the compressor runs
    const rhTarget = s.door === 'open' ? 65 : s.compressor ? 45 : 55;
    s.rh = clamp(ouStep(thermal, s.rh, rhTarget, 2, 20, dtMin), 20, 95);
  }

  function incidents(t: number, dt: number, events: DeviceEvent[]): void {
    const r = opt.incidents;
    const ts = Math.round(t);
    const door = firesWithin(incident, r.doorOpenPerHour, dt);
    const outage = firesWithin(incident, r.powerOutagePerHour, dt);
    const radio = firesWithin(incident, r.connectivityLossPerHour, dt);
    if (s.door === 'open' && t >= s.doorUntil) {
      s.door = 'closed';
      events.push({ type: 'door', ts, state: 'closed' });
    } else if (s.door === 'closed' && door) {
      // a nurse takes vials out: mostly under a minute, sometimes a stock count of several
      s.door = 'open';
      s.doorUntil = t + clamp(0.3 + exponential(incident, 0.6), 0.3, 4) * MINUTE_MS;
      events.push({ type: 'door', ts, state: 'open' });
    }
    if (s.power !== 'mains' && t >= s.powerUntil) {
      s.power = 'mains';
      events.push({ type: 'power', ts, source: 'mains' });
    } else if (s.power === 'mains' && outage) {
      s.power = chance(incident, opt.backupShare) ? 'backup' : 'battery';
      s.powerUntil = t + clamp(10 + exponential(incident, 60), 10, 480) * MINUTE_MS;
      events.push({ type: 'power', ts, source: s.power });
    }
    if (!s.connected && t >= s.connUntil) s.connected = true;
    else if (s.connected && radio) {
      s.connected = false;
      s.connUntil = t + clamp(2 + exponential(incident, 15), 2, 120) * MINUTE_MS;
    }
    const dtH = dt / HOUR_MS;
    if (s.power === 'battery') s.bat = Math.max(0, s.bat - BATTERY_DRAIN_PCT_H * dtH);
    else s.bat = Math.min(100, s.bat + BATTERY_CHARGE_PCT_H * dtH);
    if (s.batLowArmed && s.bat < 20) {
      s.batLowArmed = false;
      events.push({ type: 'battery_low', ts, bat_pct: Math.round(s.bat) });
    } else if (s.bat >= 30) s.batLowArmed = true;
  }

  function advance(to: number, events: DeviceEvent[]): void {
    for (const t of subSteps(s.clock, to, MINUTE_MS / 2)) {
      const dt = t - s.clock;
      thermostat(t, dt);
      s.rssi = ouStep(sensor, s.rssi, s.rssiMean, 2, 15, dt / MINUTE_MS);
      incidents(t, dt, events);
      s.clock = t;
    }
  }

  function read(ts: number): ProbeSample {
    const temp = s.air + clippedGaussian(sensor, 0, opt.sensorNoiseC, 2.5);
    const rh = s.rh + clippedGaussian(sensor, 0, 0.6, 2.5);
    const noService = -115 - 5 * sensor.next();
    const sample: ProbeSample = {
      ts,
      temp_c: round(temp, 2),
      bat_pct: Math.round(s.bat),
      power: s.power,
      rssi_dbm: Math.round(s.connected ? clamp(s.rssi, -110, -40) : noService),
    };
    if (opt.hasHumidity) sample.rh_pct = round(clamp(rh, 0, 100), 1);
    return sample;
  }

  return {
    id: init.id,
    step(ts: number): ModelStep<ProbeSample> {
      const events: DeviceEvent[] = [];
      advance(ts, events);
      return { sample: read(ts), events, connected: s.connected };
    },
    snapshot(): ProbeSnapshot {
      return {
        clock: s.clock,
        kind,
        compressorOn: s.compressor,
        defrosting: s.clock <= s.defrostUntil,
        door: s.door,
        power: s.power,
        connected: s.connected,
        airTempC: s.air,
        batPct: s.bat,
      };
    },
  };
}
