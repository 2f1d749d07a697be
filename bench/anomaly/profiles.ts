/** The temperature profile each benchmark device is judged by. */
import { presetProfile, type TemperatureProfile } from '../../src/coldchain/profiles.ts';
import type { ProbeKind } from '../../src/sim/model/index.ts';

export type PresetName = 'refrigerated' | 'frozen' | 'ultra-cold';

export function presetForProbe(kind: ProbeKind): PresetName {
  return kind === 'fridge' ? 'refrigerated' : kind === 'freezer' ? 'frozen' : 'ultra-cold';
}

const cache = new Map<PresetName, TemperatureProfile>();
export function profileOf(name: PresetName): TemperatureProfile {
  let p = cache.get(name);
  if (!p) {
    p = presetProfile(name);
    cache.set(name, p);
  }
  return p;
}
