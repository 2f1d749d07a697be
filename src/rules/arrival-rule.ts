/**
 * Geofence: arrived at the destination (within the radius). An informational alarm: opened on the
 * first position inside the radius, resolved when the logger leaves it again.
 */
import { haversineKm, type LatLon } from '../coldchain/geofence.ts';
import { type ConditionState, createConditionRule, minPeak, numberField } from './condition-rule.ts';
import type { RuleNode } from './rule.ts';

export interface ArrivalRuleConfig {
  readonly destination: LatLon;
  /** Inside when the distance is at most this. */
  readonly radiusKm: number;
}

export function createArrivalRule(config: ArrivalRuleConfig): RuleNode<ConditionState> {
  return createConditionRule({
    rule: 'arrived',
    unit: 'km',
    minDurationMs: 0,
    raiseWhen: 'reached',
    sense(r) {
      const lat = numberField(r, 'lat');
      const lon = numberField(r, 'lon');
      if (lat === undefined || lon === undefined) return undefined;
      const d = haversineKm({ lat, lon }, config.destination);
      return { active: d <= config.radiusKm, value: d };
    },
    peak: minPeak,
    severity: () => 'info',
    describe: (e) =>
      `Arrived at destination: ${e.peak.toFixed(2)} km from it (radius ${config.radiusKm} km)${e.ongoing ? '' : ', since left'}`,
  });
}
