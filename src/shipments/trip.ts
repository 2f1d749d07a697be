/** A shipment's trip: its temperature profile, its time window, and how the rules judge it. */
import { resolveProfile, type TemperatureProfile } from '../coldchain/profiles.ts';
import type { Shipment } from './shipment.ts';

/**
 * How the rule engine should judge a device while it carries a shipment (the shape of
 * `SubjectConfig` in src/alarms/alarm-service.ts): the shipment's profile, its planned route and
 * destination when known, and readings from the dispatch on.
 */
export interface TripRulesConfig {
  profile: TemperatureProfile;
  route?: { lat: number; lon: number }[];
  destination?: { lat: number; lon: number };
  since: number;
}

/** The rules configuration of a shipment in transit. */
export function tripRulesConfig(
  s: Shipment,
  profile: TemperatureProfile = shipmentProfile(s),
): TripRulesConfig {
  const { lat, lon } = s.destination;
  return {
    profile,
    ...(s.plannedRoute && s.plannedRoute.length > 0 ? { route: s.plannedRoute } : {}),
    ...(lat !== undefined && lon !== undefined ? { destination: { lat, lon } } : {}),
    since: s.dispatch?.at ?? s.createdAt,
  };
}

/** The trip window of a shipment: [dispatch, delivery] (or the close, or now while in transit). */
export function tripWindow(s: Shipment, now: number): { from: number; to: number } | null {
  if (!s.dispatch) return null;
  const to = s.delivery?.at ?? s.closedAt ?? Math.max(now, s.dispatch.at);
  return { from: s.dispatch.at, to: Math.max(to, s.dispatch.at) };
}

/** The temperature profile of a shipment, resolved (VIGIL_ERR_PROFILE when invalid). */
export function shipmentProfile(s: Pick<Shipment, 'profile'>): TemperatureProfile {
  return resolveProfile(typeof s.profile === 'string' ? { preset: s.profile } : s.profile);
}
