/**
 * The simulator's device models behind one interface, so the I/O layer (envelopes, MQTT,
 * buffering while offline) treats every profile the same way.
 */
import { VigilError } from '../../errors.ts';
import type { DeviceProfile } from '../../protocol/device-profile.ts';
import { createRng, pick, type Rng } from '../../random/rng.ts';
import type { ModelStep } from './events.ts';
import { allCorridorRoutes, type Route } from './routes.ts';
import { createProbe, type ProbeOptionsInput } from './temperature-probe.ts';
import { createTruck, type ResumedTrip, type TruckOptionsInput } from './vaccine-truck.ts';
import { createVitalsMonitor, type VitalsOptionsInput } from './vitals-monitor.ts';

/** A reading as the I/O layer sees it: telemetry body fields per DESIGN.md §4. */
export type GenericSample = Record<string, unknown> & { ts: number };

/** A simulated device of any profile. */
export interface DeviceModel {
  readonly id: string;
  readonly profile: DeviceProfile;
  /**
   * Advance the simulation to `ts` (ms since the epoch; pass non-decreasing values, an earlier ts
   * does not rewind) and read the sensors there. Any step size works: the model integrates in
   * sub-steps of at most one minute.
   */
  step(ts: number): ModelStep<GenericSample>;
  /** The route of the trip under way (a truck's), to resume it after a restart; null for others. */
  tripRouteId(): string | null;
}

/** Profile-specific options, as each model's factory takes them. */
export interface ModelOptionsByProfile {
  'vaccine-transport': TruckOptionsInput;
  'patient-vitals': VitalsOptionsInput;
  'temperature-probe': ProbeOptionsInput;
}

/** What any model needs to start. */
export interface ModelInit<P extends DeviceProfile = DeviceProfile> {
  id: string;
  /** Start of the simulation (a truck's first dispatch), ms since the epoch. */
  startTs: number;
  /** The random source; when absent one is seeded from `seed`, or else from `id`. */
  rng?: Rng;
  seed?: string | number;
  /** vaccine-transport: the first trip's route; when absent a corridor is picked by the rng. */
  route?: Route;
  /** vaccine-transport: shorthand for `options.forceExcursion`; ignored by other profiles. */
  forceExcursion?: boolean | 'heat' | 'freeze';
  options?: ModelOptionsByProfile[P];
  /** vaccine-transport: continue this trip (same batch id and token) rather than dispatch anew. */
  resume?: ResumedTrip;
}

export function createModel<P extends DeviceProfile>(profile: P, init: ModelInit<P>): DeviceModel {
  const rng = init.rng ?? createRng(init.seed ?? init.id);
  const base = { id: init.id, rng, startTs: init.startTs };
  switch (profile) {
    case 'vaccine-transport': {
      const options = { ...(init.options as TruckOptionsInput | undefined) };
      if (init.forceExcursion !== undefined) options.forceExcursion = init.forceExcursion;
      const route = init.route ?? pick(rng, allCorridorRoutes());
      const truck = createTruck({ ...base, route, options, ...(init.resume ? { resume: init.resume } : {}) });
      return {
        id: truck.id,
        profile,
        step: (ts) => truck.step(ts),
        tripRouteId: () => truck.snapshot().route.id,
      };
    }
    case 'patient-vitals': {
      const monitor = createVitalsMonitor({
        ...base,
        options: init.options as VitalsOptionsInput | undefined,
      });
      return { id: monitor.id, profile, step: (ts) => monitor.step(ts), tripRouteId: () => null };
    }
    case 'temperature-probe': {
      const probe = createProbe({ ...base, options: init.options as ProbeOptionsInput | undefined });
      return { id: probe.id, profile, step: (ts) => probe.step(ts), tripRouteId: () => null };
    }
    default:
      throw new VigilError('VIGIL_ERR_USAGE', `unknown device profile ${String(profile)}`);
  }
}

export {
  chance,
  clippedGaussian,
  createRng,
  exponential,
  forkRng,
  gaussian,
  hashSeed,
  pick,
  type Rng,
  randInt,
  randomString,
  uniform,
} from '../../random/rng.ts';
export { type Ambient, ambientAt } from './ambient.ts';
export { CITIES, type City, findCity, type Region } from './cities.ts';
export type {
  BatteryLowEvent,
  CoolingEvent,
  DeliveryEvent,
  DeviceEvent,
  DispatchEvent,
  DoorEvent,
  DoorState,
  ModelStep,
  PowerEvent,
  PowerSource,
} from './events.ts';
export type { LatLon } from './geo.ts';
export {
  allCorridorRoutes,
  buildRoute,
  CORRIDORS,
  type Corridor,
  distanceToRouteKm,
  nearbyCityPairs,
  positionAt,
  type Route,
  type RoutePosition,
  reverseRoute,
  routeBetween,
} from './routes.ts';
export { DELIVERY_TOKEN_LENGTH, newBatchId, newDeliveryToken, TOKEN_ALPHABET } from './shipment-ids.ts';
export {
  APPLIANCES,
  createProbe,
  DEFAULT_PROBE_INCIDENTS,
  NO_PROBE_INCIDENTS,
  type ProbeInit,
  type ProbeKind,
  type ProbeModel,
  type ProbeOptions,
  type ProbeOptionsInput,
  type ProbeSample,
  type ProbeSnapshot,
} from './temperature-probe.ts';
export {
  createTruck,
  DEFAULT_TRUCK_INCIDENTS,
  DEFAULT_TRUCK_OPTIONS,
  NO_TRUCK_INCIDENTS,
  type TruckIncidentRates,
  type TruckInit,
  type TruckModel,
  type TruckOptions,
  type TruckOptionsInput,
  type TruckSnapshot,
  type VaccineSample,
} from './vaccine-truck.ts';
export {
  createVitalsMonitor,
  DEFAULT_VITALS_ANOMALIES,
  NO_VITALS_ANOMALIES,
  type PatientBaseline,
  randomPatientBaseline,
  type VitalsAnomalyKind,
  type VitalsAnomalyRates,
  type VitalsInit,
  type VitalsModel,
  type VitalsOptionsInput,
  type VitalsSample,
  type VitalsSnapshot,
} from './vitals-monitor.ts';
