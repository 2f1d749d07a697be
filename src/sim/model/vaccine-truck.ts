/**
 * A refrigerated vaccine truck with its data logger: drives a route back and forth, keeps the load
 * at 2–8 °C, and now and then suffers an incident. Pure: time and randomness come in as arguments,
 * so one seed and one sequence of step times always give the same readings and events.
 */

import { chance, clippedGaussian, exponential, forkRng, type Rng, uniform } from '../../random/rng.ts';
import { ambientAt } from './ambient.ts';
import { clamp, firesWithin, HOUR_MS, MINUTE_MS, ouStep, relax, round, subSteps } from './dynamics.ts';
import type { DeviceEvent, DoorState, ModelStep, PowerSource } from './events.ts';
import type { OptionsInput } from './options-input.ts';
import { positionAt, type Route, reverseRoute } from './routes.ts';
import { newBatchId, newDeliveryToken } from './shipment-ids.ts';

/** Mean number of each incident per hour of simulated time (a Poisson process each). */
export interface TruckIncidentRates {
  /** Unplanned cargo-door openings; a driving truck pulls over first. */
  doorOpenPerHour: number;
  /** The reefer stops cooling: the load warms toward ambient over hours (heat excursion). */
  coolingFailurePerHour: number;
  /** The reefer over-cools below 0 °C (freeze excursion). */
  freezePerHour: number;
  /** The logger's vehicle supply fails: it runs on its battery (or, rarely, a backup supply). */
  powerOutagePerHour: number;
  /** Cellular coverage is lost for a while; the logger keeps sampling. */
  connectivityLossPerHour: number;
}

/** Everything that shapes a truck's behaviour. */
export interface TruckOptions {
  incidents: TruckIncidentRates;
  /**
   * Make the first trip surely have an excursion 5–15 min after start: `true` or `'heat'` is a
   * cooling failure with the cargo air warming fast toward at least 28 °C (above 8 °C within
   * minutes of the failure); `'freeze'` is an over-cooling episode (below 0 °C within the first
   * hour).
   */
  forceExcursion: boolean | 'heat' | 'freeze';
  /** Reefer setpoint, °C. */
  setpointC: number;
  /** Standard deviation of the temperature sensor's noise, °C (clipped at 2.5 σ). */
  sensorNoiseC: number;
  minSpeedKmh: number;
  maxSpeedKmh: number;
  /** Short unplanned stops (traffic, fuel, checkpoints) per driving hour. */
  stopsPerHour: number;
  /** Dwell at a destination before the trip back, minutes (uniform between the two). */
  turnaroundMin: readonly [number, number];
  /** Whether samples carry the `door` field. */
  hasDoorSensor: boolean;
  /** Share of power outages bridged by a backup supply instead of the logger's battery. */
  backupShare: number;
}

export type TruckOptionsInput = OptionsInput<TruckOptions, 'incidents'>;

export const NO_TRUCK_INCIDENTS: TruckIncidentRates = Object.freeze({
  doorOpenPerHour: 0,
  coolingFailurePerHour: 0,
  freezePerHour: 0,
  powerOutagePerHour: 0,
  connectivityLossPerHour: 0,
});

/** Rates that give a lively demo fleet: a few incidents a day across a dozen trucks. */
export const DEFAULT_TRUCK_INCIDENTS: TruckIncidentRates = Object.freeze({
  doorOpenPerHour: 0.03,
  coolingFailurePerHour: 0.004,
  freezePerHour: 0.003,
  powerOutagePerHour: 0.02,
  connectivityLossPerHour: 0.15,
});

export const DEFAULT_TRUCK_OPTIONS: TruckOptions = Object.freeze({
  incidents: DEFAULT_TRUCK_INCIDENTS,
  forceExcursion: false,
  setpointC: 5,
  sensorNoiseC: 0.2,
  minSpeedKmh: 50,
  maxSpeedKmh: 90,
  stopsPerHour: 0.3,
  turnaroundMin: [30, 90] as const,
  hasDoorSensor: true,
  backupShare: 0.1,
});

/** One logger reading; field names per DESIGN.md §4, vaccine-transport profile. */
export type VaccineSample = {
  ts: number;
  temp_c: number;
  rh_pct: number;
  lat: number;
  lon: number;
  bat_pct: number;
  power: PowerSource;
  door?: DoorState;
  rssi_dbm: number;
};

export type TruckPhase = 'driving' | 'stopped' | 'turnaround';
export type CoolingState = 'ok' | 'failed' | 'overcooling';

/** The model's hidden state, for tests, dashboards of the simulator and debugging. */
export interface TruckSnapshot {
  clock: number;
  phase: TruckPhase;
  route: Route;
  km: number;
  speedKmh: number;
  /** Batch of the current trip (undefined before the first step). */
  batch: string | undefined;
  cooling: CoolingState;
  door: DoorState;
  power: PowerSource;
  connected: boolean;
  /** True load temperature, without sensor noise. */
  loadTempC: number;
  ambientC: number;
  batPct: number;
}

export interface TruckModel {
  readonly id: string;
  /** Advance to `ts` (ms, non-decreasing; an earlier ts does not rewind) and read the sensors. */
  step(ts: number): ModelStep<VaccineSample>;
  snapshot(): TruckSnapshot;
}

export interface TruckInit {
  id: string;
  /** The first trip's route; later trips go back and forth along it. */
  route: Route;
  rng: Rng;
  /** Dispatch time of the first trip, ms since the epoch. */
  startTs: number;
  options?: TruckOptionsInput;
  /**
   * The trip the logger was on when the simulator stopped: its first dispatch repeats that batch
   * id, token and time, so a restarted demo continues the trip (the server sees the same dispatch
   * again and changes nothing) instead of closing it and binding another shipment.
   */
  resume?: ResumedTrip;
}

/** A logger's current trip, as its display shows it and as the simulator keeps it across restarts. */
export interface ResumedTrip {
  batch: string;
  token: string;
  dispatchedAt: number;
}

// physical constants of the model (minutes unless named otherwise)
const REEFER_TAU_MIN = 15; // closed-loop pull toward the setpoint
const DOOR_TAU_MIN = 30; // load air toward ambient with the door open (evaporator fan stops)
const WARMUP_TAU_MIN = 180; // insulated box toward ambient with the reefer off
// The demo's forced failure (`forceExcursion`): a reefer breakdown in a lightly loaded van on a
// hot day, where the cargo air the logger measures warms fast. It crosses +8 °C within minutes,
// so the warning tier (15 min above +8 °C, docs/alarms.md) fires about 20 min after the failure
// starts and the critical tier (60 min) about an hour later.
const FORCED_WARMUP_TAU_MIN = 30;
const OVERCOOL_TAU_MIN = 40;
const OVERCOOL_TARGET_C = -4.5;
const FORCED_HEAT_FLOOR_C = 28;
const DRIFT_SD_C = 0.45;
const DRIFT_LIMIT_C = 1.2;
const DRIFT_TAU_MIN = 120;
const RH_MEAN = 52;
const RH_RANGE: readonly [number, number] = [40, 65];
// EU Regulation 561/2006 art. 7: a 45-minute break after 4.5 hours of driving
const MAX_DRIVING_MS = 4.5 * HOUR_MS;
const BATTERY_DRAIN_PCT_H = 1.5;
const BATTERY_CHARGE_PCT_H = 12;
const BATTERY_LOW_PCT = 20;
const BATTERY_REARM_PCT = 30;
const SUBSTEP_MS = MINUTE_MS;

function resolveOptions(input: TruckOptionsInput | undefined): TruckOptions {
  const { incidents, ...rest } = input ?? {};
  return { ...DEFAULT_TRUCK_OPTIONS, ...rest, incidents: { ...DEFAULT_TRUCK_INCIDENTS, ...incidents } };
}

export function createTruck(init: TruckInit): TruckModel {
  const opt = resolveOptions(init.options);
  // independent streams, so e.g. enabling an incident does not change how the truck drives
  const motion = forkRng(init.rng);
  const thermal = forkRng(init.rng);
  const incident = forkRng(init.rng);
  const sensor = forkRng(init.rng);
  const ids = forkRng(init.rng);

  const forcedMode: Exclude<CoolingState, 'ok'> | undefined =
    opt.forceExcursion === 'freeze' ? 'overcooling' : opt.forceExcursion ? 'failed' : undefined;
  const forcedDelay = uniform(incident, 5, 15) * MINUTE_MS;

  const s = {
    clock: init.startTs,
    started: false,
    route: init.route,
    km: 0,
    phase: 'driving' as TruckPhase,
    phaseUntil: 0,
    speed: opt.minSpeedKmh,
    cruise: opt.minSpeedKmh,
    drivenMs: 0,
    batch: undefined as string | undefined,
    cooling: 'ok' as CoolingState,
    coolingUntil: 0,
    forcedAt: forcedMode ? init.startTs + forcedDelay : undefined,
    forcedActive: false,
    drift: clippedGaussian(thermal, 0, DRIFT_SD_C, 2),
    loadT: opt.setpointC,
    ambientC: 20,
    rh: RH_MEAN,
    door: 'closed' as DoorState,
    doorUntil: 0,
    power: 'mains' as PowerSource,
    powerUntil: 0,
    bat: uniform(sensor, 75, 100),
    batLowArmed: true,
    connected: true,
    connUntil: 0,
    rssiMean: -80,
    rssi: -80,
  };
  s.loadT = opt.setpointC + s.drift;
  s.rssi = s.rssiMean;

  function startTrip(t: number, route: Route, events: DeviceEvent[], resume?: ResumedTrip): void {
    s.route = route;
    s.km = 0;
    s.phase = 'driving';
    s.drivenMs = 0;
    s.cruise = uniform(motion, 62, 80);
    s.speed = opt.minSpeedKmh;
    s.rssiMean = uniform(motion, -92, -72);
    s.batch = resume?.batch ?? newBatchId(ids, t);
    const token = resume?.token ?? newDeliveryToken(ids);
    events.push({
      type: 'dispatch',
      ts: Math.round(resume?.dispatchedAt ?? t),
      batch: s.batch,
      token,
      shipment: `${route.from.name} → ${route.to.name}`,
    });
  }

  function move(t: number, dt: number, events: DeviceEvent[]): void {
    const dtMin = dt / MINUTE_MS;
    if (s.phase === 'driving') {
      s.speed = clamp(ouStep(motion, s.speed, s.cruise, 6, 10, dtMin), opt.minSpeedKmh, opt.maxSpeedKmh);
      s.km += (s.speed * dt) / HOUR_MS;
      s.drivenMs += dt;
      const unplannedStop = firesWithin(motion, opt.stopsPerHour, dt);
      if (s.km >= s.route.lengthKm) {
        s.km = s.route.lengthKm;
        s.phase = 'turnaround';
        s.phaseUntil = t + uniform(motion, opt.turnaroundMin[0], opt.turnaroundMin[1]) * MINUTE_MS;
        events.push({ type: 'delivery', ts: Math.round(t), batch: s.batch ?? '' });
      } else if (s.drivenMs >= MAX_DRIVING_MS) {
        s.phase = 'stopped';
        s.phaseUntil = t + uniform(motion, 45, 60) * MINUTE_MS;
        s.drivenMs = 0;
      } else if (unplannedStop) {
        s.phase = 'stopped';
        s.phaseUntil = t + uniform(motion, 5, 25) * MINUTE_MS;
      }
    } else if (t >= s.phaseUntil && s.door === 'closed') {
      if (s.phase === 'turnaround') startTrip(t, reverseRoute(s.route), events);
      else s.phase = 'driving';
    }
    if (s.phase !== 'driving') s.speed = 0;
    else if (s.speed === 0) s.speed = opt.minSpeedKmh;
  }

  function heatTransfer(t: number, dt: number): void {
    const dtMin = dt / MINUTE_MS;
    const pos = positionAt(s.route, s.km);
    const meanC = s.route.from.meanTempC + (s.route.to.meanTempC - s.route.from.meanTempC) * pos.fraction;
    const amb = ambientAt(meanC, pos.lat, pos.lon, t);
    s.ambientC = amb.tempC;
    s.drift = clamp(
      ouStep(thermal, s.drift, 0, DRIFT_SD_C, DRIFT_TAU_MIN, dtMin),
      -DRIFT_LIMIT_C,
      DRIFT_LIMIT_C,
    );
    let target = opt.setpointC + s.drift;
    let tau = REEFER_TAU_MIN;
    if (s.door === 'open') {
      target = amb.tempC;
      tau = DOOR_TAU_MIN;
    } else if (s.cooling === 'failed') {
      target = amb.tempC + amb.sunLoadC;
      if (s.forcedActive) target = Math.max(target, FORCED_HEAT_FLOOR_C);
      tau = s.forcedActive ? FORCED_WARMUP_TAU_MIN : WARMUP_TAU_MIN;
    } else if (s.cooling === 'overcooling') {
      target = OVERCOOL_TARGET_C;
      tau = OVERCOOL_TAU_MIN;
    }
    s.loadT = relax(s.loadT, target, tau, dtMin);
    const rhNext = ouStep(thermal, s.rh, RH_MEAN, 4, 30, dtMin);
    if (s.door === 'open') {
      s.rh = relax(s.rh, amb.rhPct, 8, dtMin);
    } else {
      // noise never leaves 40–65 %, but air let in through the door may, and then decays back
      const lo = Math.min(RH_RANGE[0], Math.max(s.rh, rhNext));
      const hi = Math.max(RH_RANGE[1], Math.min(s.rh, rhNext));
      s.rh = clamp(rhNext, lo, hi);
    }
  }

  function chargeBattery(t: number, dt: number, events: DeviceEvent[]): void {
    const dtH = dt / HOUR_MS;
    if (s.power === 'mains') s.bat = Math.min(100, s.bat + BATTERY_CHARGE_PCT_H * dtH);
    else if (s.power === 'battery') s.bat = Math.max(0, s.bat - BATTERY_DRAIN_PCT_H * dtH);
    if (s.batLowArmed && s.bat < BATTERY_LOW_PCT) {
      s.batLowArmed = false;
      events.push({ type: 'battery_low', ts: Math.round(t), bat_pct: Math.round(s.bat) });
    } else if (s.bat >= BATTERY_REARM_PCT) {
      s.batLowArmed = true;
    }
  }

  function incidents(t: number, dt: number, events: DeviceEvent[]): void {
    const r = opt.incidents;
    const ts = Math.round(t);
    // draw every check every sub-step, so the stream stays aligned whatever the state
    const door = firesWithin(incident, r.doorOpenPerHour, dt);
    const failure = firesWithin(incident, r.coolingFailurePerHour, dt);
    const freeze = firesWithin(incident, r.freezePerHour, dt);
    const outage = firesWithin(incident, r.powerOutagePerHour, dt);
    const radio = firesWithin(incident, r.connectivityLossPerHour, dt);

    if (s.door === 'open' && t >= s.doorUntil) {
      s.door = 'closed';
      events.push({ type: 'door', ts, state: 'closed' });
    } else if (s.door === 'closed' && door) {
      const openMin = clamp(1 + exponential(incident, 4), 1, 20);
      s.door = 'open';
      s.doorUntil = t + openMin * MINUTE_MS;
      if (s.phase === 'driving') {
        s.phase = 'stopped';
        s.speed = 0;
        s.phaseUntil = s.doorUntil + 2 * MINUTE_MS;
      }
      events.push({ type: 'door', ts, state: 'open' });
    }

    if (s.cooling !== 'ok' && t >= s.coolingUntil) {
      s.cooling = 'ok';
      s.forcedActive = false;
      events.push({ type: 'cooling', ts, state: 'restored' });
    } else if (s.cooling === 'ok' && s.forcedAt !== undefined && t >= s.forcedAt && forcedMode) {
      s.cooling = forcedMode;
      s.forcedActive = true;
      s.forcedAt = undefined;
      s.coolingUntil = t + (forcedMode === 'failed' ? 4 : 3) * HOUR_MS;
      events.push({ type: 'cooling', ts, state: forcedMode });
    } else if (s.cooling === 'ok' && (failure || freeze)) {
      const state = failure ? 'failed' : 'overcooling';
      s.cooling = state;
      s.coolingUntil = t + (failure ? uniform(incident, 2, 8) : uniform(incident, 1, 4)) * HOUR_MS;
      events.push({ type: 'cooling', ts, state });
    }

    if (s.power !== 'mains' && t >= s.powerUntil) {
      s.power = 'mains';
      events.push({ type: 'power', ts, source: 'mains' });
    } else if (s.power === 'mains' && outage) {
      s.power = chance(incident, opt.backupShare) ? 'backup' : 'battery';
      s.powerUntil = t + clamp(10 + exponential(incident, 80), 10, 720) * MINUTE_MS;
      events.push({ type: 'power', ts, source: s.power });
    }

    if (!s.connected && t >= s.connUntil) {
      s.connected = true;
    } else if (s.connected && radio) {
      s.connected = false;
      s.connUntil = t + clamp(3 + exponential(incident, 20), 3, 180) * MINUTE_MS;
    }
  }

  function advance(to: number, events: DeviceEvent[]): void {
    for (const t of subSteps(s.clock, to, SUBSTEP_MS)) {
      const dt = t - s.clock;
      // physics over (clock, t] with the state as it was, then the transitions at t
      heatTransfer(t, dt);
      s.rssi = ouStep(sensor, s.rssi, s.rssiMean, 5, 10, dt / MINUTE_MS);
      chargeBattery(t, dt, events);
      move(t, dt, events);
      incidents(t, dt, events);
      s.clock = t;
    }
  }

  function read(ts: number): VaccineSample {
    const pos = positionAt(s.route, s.km);
    const temp = s.loadT + clippedGaussian(sensor, 0, opt.sensorNoiseC, 2.5);
    const rh = s.rh + clippedGaussian(sensor, 0, 0.8, 2.5);
    const noService = -113 - 6 * sensor.next();
    const sample: VaccineSample = {
      ts,
      temp_c: round(temp, 2),
      rh_pct: round(clamp(rh, Math.min(RH_RANGE[0], s.rh), Math.max(RH_RANGE[1], s.rh)), 1),
      lat: round(pos.lat, 5),
      lon: round(pos.lon, 5),
      bat_pct: Math.round(s.bat),
      power: s.power,
      rssi_dbm: Math.round(s.connected ? clamp(s.rssi, -110, -51) : noService),
    };
    if (opt.hasDoorSensor) sample.door = s.door;
    return sample;
  }

  return {
    id: init.id,
    step(ts: number): ModelStep<VaccineSample> {
      const events: DeviceEvent[] = [];
      if (!s.started) {
        s.started = true;
        startTrip(init.startTs, init.route, events, init.resume);
      }
      advance(ts, events);
      return { sample: read(ts), events, connected: s.connected };
    },
    snapshot(): TruckSnapshot {
      return {
        clock: s.clock,
        phase: s.phase,
        route: s.route,
        km: s.km,
        speedKmh: s.speed,
        batch: s.batch,
        cooling: s.cooling,
        door: s.door,
        power: s.power,
        connected: s.connected,
        loadTempC: s.loadT,
        ambientC: s.ambientC,
        batPct: s.bat,
      };
    },
  };
}
