/**
 * Which rules judge a device (the alarm service's rule sets, docs/alarms.md): a patient-vitals
 * monitor gets the vitals rules; a vaccine-transport logger or a temperature probe gets the
 * cold-chain rules of the profile configured for it (its shipment's, set at dispatch) or, with
 * none, of its device profile's default temperature profile: the refrigerated 2-8 °C preset for
 * both (a truck carries vaccines at +2 to +8 °C; a probe watches a vaccine refrigerator).
 * Unless turned off, each also gets the sensor-fault rules of its kind (flat line, impossible
 * value, rate of change: docs/anomaly.md).
 */
import type { LatLon } from '../coldchain/geofence.ts';
import { type ProfilePreset, presetProfile, type TemperatureProfile } from '../coldchain/profiles.ts';
import type { DeviceProfile } from '../protocol/device-profile.ts';
import { readingFromEvent } from '../rules/event-reading.ts';
import type { Reading, RuleNode } from '../rules/rule.ts';
import { coldChainRules, type GeofenceConfig, vitalsRules } from '../rules/rule-sets.ts';
import {
  temperatureSensorFaultRules,
  vitalsSensorFaultRules,
} from '../rules/sensor-fault/sensor-fault-rules.ts';
import type { MessageRecord } from '../storage/store.ts';

/** How a device's rules are set up while it serves a shipment (or a configured fridge). */
export interface SubjectConfig {
  /** Temperature profile of the cold-chain rules (default: the refrigerated preset). */
  readonly profile?: TemperatureProfile;
  /** Planned route: enables the off-route rule. */
  readonly route?: readonly LatLon[];
  /** Off-route tolerance, km (default 5). */
  readonly offRouteKm?: number;
  /** How long off route before the alarm, ms (default 0). */
  readonly offRouteMinMs?: number;
  /** Destination: enables the arrival rule. */
  readonly destination?: LatLon;
  /** Arrival radius, km (default 1). */
  readonly arrivalRadiusKm?: number;
  /**
   * Readings with an earlier timestamp are not judged (the trip runs from the dispatch event's
   * own timestamp): cumulative budgets and durations start afresh.
   */
  readonly since?: number;
}

/** Supplies a device's configuration when it is first loaded (the shipments module). */
export type SubjectSource = (deviceId: string) => Promise<SubjectConfig | null> | SubjectConfig | null;

/** Every rule id this service writes: it never resolves alarms of rules it does not own. */
const OWN_RULES = new Set<string>([
  ...coldChainRules(presetProfile('refrigerated'), {
    geofence: { route: [{ lat: 0, lon: 0 }], destination: { lat: 0, lon: 0 } },
  }).map((n) => n.rule),
  ...vitalsRules().map((n) => n.rule),
  ...temperatureSensorFaultRules(presetProfile('refrigerated')).map((n) => n.rule),
  ...vitalsSensorFaultRules().map((n) => n.rule),
  'anomaly',
]);
export const ownsRule = (rule: string): boolean => OWN_RULES.has(rule) || rule.startsWith('budget:');

export function geofenceOf(c: SubjectConfig | undefined): GeofenceConfig | undefined {
  if (!c || (!c.route && !c.destination)) return undefined;
  return {
    ...(c.route ? { route: c.route } : {}),
    ...(c.destination ? { destination: c.destination } : {}),
    ...(c.offRouteKm !== undefined ? { offRouteKm: c.offRouteKm } : {}),
    ...(c.offRouteMinMs !== undefined ? { offRouteMinMs: c.offRouteMinMs } : {}),
    ...(c.arrivalRadiusKm !== undefined ? { arrivalRadiusKm: c.arrivalRadiusKm } : {}),
  };
}

export function checkConfig(c: SubjectConfig): void {
  const pos = (p: LatLon) =>
    Number.isFinite(p.lat) && Number.isFinite(p.lon) && Math.abs(p.lat) <= 90 && Math.abs(p.lon) <= 180;
  if (c.route && !c.route.every(pos)) throw new TypeError('configureSubject: route has an invalid position');
  if (c.destination && !pos(c.destination))
    throw new TypeError('configureSubject: destination is not a valid position');
  if (c.since !== undefined && !Number.isFinite(c.since))
    throw new TypeError('configureSubject: since must be a timestamp in ms');
}

/** An event message as a reading for the door, power and battery rules. */
export function eventReading(m: Pick<MessageRecord, 'channel' | 'body' | 'ts'>): Reading | undefined {
  if (m.channel !== 'events' || typeof m.body.type !== 'string') return undefined;
  return readingFromEvent(m.body as { type: string } & Record<string, unknown>, m.ts);
}

/** The temperature profile a logger is judged by when no shipment configures it. */
export const DEVICE_DEFAULT_PROFILE: Readonly<
  Record<Exclude<DeviceProfile, 'patient-vitals'>, Exclude<ProfilePreset, 'custom'>>
> = Object.freeze({ 'vaccine-transport': 'refrigerated', 'temperature-probe': 'refrigerated' });

/** The refrigerated preset: the default of both logger profiles. */
export const DEFAULT_PROFILE: TemperatureProfile = presetProfile('refrigerated');

/** The temperature profile a logger of `deviceProfile` (unknown: a logger) is judged by. */
export function subjectProfile(
  deviceProfile: DeviceProfile | undefined,
  c: SubjectConfig | undefined,
): TemperatureProfile {
  if (c?.profile) return c.profile;
  return deviceProfile && deviceProfile !== 'patient-vitals'
    ? presetProfile(DEVICE_DEFAULT_PROFILE[deviceProfile])
    : DEFAULT_PROFILE;
}

/**
 * The rule set of a device of `deviceProfile` (unknown: a logger) with its configuration;
 * `sensorFaults` false leaves out the sensor-fault rules.
 */
export function deviceRules(
  deviceProfile: DeviceProfile | undefined,
  c: SubjectConfig | undefined,
  sensorFaults = true,
): RuleNode[] {
  if (deviceProfile === 'patient-vitals') {
    return sensorFaults ? [...vitalsRules(), ...vitalsSensorFaultRules()] : vitalsRules();
  }
  const profile = subjectProfile(deviceProfile, c);
  const geofence = geofenceOf(c);
  const rules = coldChainRules(profile, geofence ? { geofence } : {});
  return sensorFaults ? [...rules, ...temperatureSensorFaultRules(profile)] : rules;
}
