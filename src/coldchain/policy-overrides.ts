/**
 * Which settings of a profile differ from its preset's defaults: a shipment's own overrides, so
 * the shipment page and the report can say which alarm settings were chosen for this trip.
 */
import { resolveProfile, type TemperatureProfile } from './profiles.ts';

function flatten(value: unknown, path: string, out: Map<string, string>): void {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value)) flatten(v, path ? `${path}.${k}` : k, out);
  } else out.set(path, JSON.stringify(value));
}

/**
 * Dotted paths of the settings that differ from the preset (for `custom`, from a custom profile
 * with the same range), e.g. `['mergeGapMinutes', 'tiers.warning.above.durationMs']`. The name is
 * not a setting; a list (budgets) counts as one setting.
 */
export function profileOverrides(p: TemperatureProfile): string[] {
  const base = resolveProfile(
    p.preset === 'custom' ? { preset: 'custom', lowerC: p.lowerC, upperC: p.upperC } : { preset: p.preset },
  );
  const a = new Map<string, string>();
  const b = new Map<string, string>();
  flatten({ ...p, name: undefined }, '', a);
  flatten({ ...base, name: undefined }, '', b);
  return [...a.keys()].filter((k) => a.get(k) !== b.get(k)).sort();
}
