/** Geofence: the position is farther than the tolerance from the planned route polyline. */
import { distanceToRouteKm, type LatLon } from '../coldchain/geofence.ts';
import { type ConditionState, createConditionRule, maxPeak, numberField } from './condition-rule.ts';
import type { RuleNode } from './rule.ts';

export interface OffRouteRuleConfig {
  /** Planned route, at least one point. */
  readonly route: readonly LatLon[];
  /** Raised when the distance to the route is strictly greater than this. */
  readonly maxDistanceKm: number;
  /** How long the truck must stay off route before the alarm (default 0: at once). */
  readonly minDurationMs?: number;
}

export function createOffRouteRule(config: OffRouteRuleConfig): RuleNode<ConditionState> {
  if (config.route.length === 0) throw new RangeError('route must have at least one point');
  return createConditionRule({
    rule: 'off-route',
    unit: 'km',
    minDurationMs: config.minDurationMs ?? 0,
    raiseWhen: 'reached',
    sense(r) {
      const lat = numberField(r, 'lat');
      const lon = numberField(r, 'lon');
      if (lat === undefined || lon === undefined) return undefined;
      const d = distanceToRouteKm({ lat, lon }, config.route);
      return { active: d > config.maxDistanceKm, value: d };
    },
    peak: maxPeak,
    severity: () => 'warning',
    describe: (e) =>
      `Off route: ${e.peak.toFixed(1)} km from the planned route (tolerance ${config.maxDistanceKm} km)`,
  });
}
