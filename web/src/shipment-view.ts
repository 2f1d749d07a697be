/**
 * What the shipment pages derive from the API's shipments (src/api/shipment-schemas.ts, read as
 * they are): the profile's name and range, the trip window and the time out of range, plus the
 * labels of states and presets.
 */
import { ms, msOrNull } from './instant.ts';
import type { ShipmentDetailView, ShipmentView } from './types.ts';

export type Place = ShipmentView['origin'];
export type LatLon = { lat: number; lon: number };
export type Custody = ShipmentDetailView['custody'][number];

/** The states of src/shipments/shipment.ts SHIPMENT_STATES, in trip order. */
export const SHIPMENT_STATES: readonly ShipmentView['state'][] = [
  'planned',
  'in_transit',
  'delivered',
  'closed',
  'quarantined',
  'released',
];

/** States a quality decision may be taken from (src/shipments/shipment.ts DECIDABLE_STATES). */
export const DECIDABLE: readonly string[] = ['delivered', 'closed', 'quarantined'];

/** The temperature range the shipment must stay in, °C, both ends in range. */
export interface TempRange {
  lowerC: number;
  upperC: number;
}

/** Ranges of the presets (src/coldchain/profiles.ts), for list rows whose detail is not loaded. */
export const PRESET_RANGES: Record<string, TempRange> = {
  refrigerated: { lowerC: 2, upperC: 8 },
  frozen: { lowerC: -25, upperC: -15 },
  'ultra-cold': { lowerC: -90, upperC: -60 },
  crt: { lowerC: 15, upperC: 25 },
};

export const PRESET_LABELS: Record<string, string> = {
  refrigerated: 'Refrigerated 2–8 °C',
  frozen: 'Frozen −25 to −15 °C',
  'ultra-cold': 'Ultra-cold −90 to −60 °C',
  crt: 'Room temperature 15–25 °C',
  custom: 'Custom',
};

/** The profile as given (`shipment.profile`): a preset name, or an input object with `preset`. */
export function presetOf(s: Pick<ShipmentView, 'profile'>): string {
  const p = s.profile;
  if (typeof p === 'string') return p;
  return typeof p.preset === 'string' ? p.preset : 'custom';
}

/** The range the shipment is judged against: the resolved profile when known, else the preset's. */
export function rangeOf(s: Pick<ShipmentView, 'profile'>, d?: ShipmentDetailView | null): TempRange | null {
  if (d) return { lowerC: d.profile.lowerC, upperC: d.profile.upperC };
  const p = s.profile;
  if (typeof p !== 'string' && typeof p.lowerC === 'number' && typeof p.upperC === 'number')
    return { lowerC: p.lowerC, upperC: p.upperC };
  return PRESET_RANGES[presetOf(s)] ?? null;
}

/** `Refrigerated 2–8 °C`, or a custom profile's name with its range. */
export function profileLabel(s: Pick<ShipmentView, 'profile'>, d?: ShipmentDetailView | null): string {
  const preset = presetOf(s);
  const named = typeof s.profile === 'string' ? null : s.profile.name;
  const name = d?.profile.name ?? (typeof named === 'string' ? named : preset);
  const r = rangeOf(s, d);
  // A preset's label already says its range; a custom range (or a preset's changed one) is added.
  const presetLabel = PRESET_LABELS[preset];
  const presetRange = PRESET_RANGES[preset];
  const same =
    r !== null &&
    presetRange !== undefined &&
    r.lowerC === presetRange.lowerC &&
    r.upperC === presetRange.upperC;
  if (preset !== 'custom' && presetLabel && same) return presetLabel;
  const label = name === 'custom' ? 'Custom' : name;
  return r ? `${label} ${r.lowerC} to ${r.upperC} °C` : label;
}

/** Total time out of range (above plus below). */
export function timeOutMs(d: ShipmentDetailView): number {
  return d.summary.timeOutOfRange.aboveMs + d.summary.timeOutOfRange.belowMs;
}

/** The trip window: the server's, else dispatch to delivery, closing or now. */
export function tripWindow(d: ShipmentDetailView, now = Date.now()): { from: number; to: number } | null {
  const s = d.shipment;
  if (d.trip && s.state !== 'in_transit') return { from: ms(d.trip.from), to: ms(d.trip.to) };
  const from = msOrNull(s.dispatch?.at);
  if (from === null) return null;
  const end = msOrNull(s.delivery?.at ?? s.closedAt) ?? now;
  return { from, to: Math.max(end, from + 60_000) };
}
