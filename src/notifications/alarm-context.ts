/**
 * What routing and the message need to know about an alarm beyond the alarm itself: the device's
 * profile, the shipment it was carrying (its id, temperature profile, lots and batch id: never
 * its delivery token), and the limit the value crossed.
 */
import type { AlarmRecord } from '../alarms/alarm-store.ts';
import { presetProfile, type TemperatureProfile } from '../coldchain/profiles.ts';
import type { Shipment } from '../shipments/shipment.ts';
import { shipmentProfile, tripWindow } from '../shipments/trip.ts';
import type { DeviceRecord } from '../storage/store.ts';

export interface AlarmContext {
  deviceProfile: string | null;
  shipment: { id: string; profile: string; lots: string[]; batchId: string | null } | null;
  /** The device profile and the shipment's temperature profile, for routing. */
  profiles: string[];
  limit: number | null;
}

export type AlarmContextSource = (a: AlarmRecord, now: number) => Promise<AlarmContext>;

/** The limit a temperature rule judges against (docs/alarms.md); null for other rules. */
export function limitOf(rule: string, p: TemperatureProfile): number | null {
  if (rule === 'heat') return p.heat.limitC;
  if (rule === 'freeze') return p.freeze.limitC;
  if (rule.startsWith('budget:')) return p.budgets.find((b) => `budget:${b.name}` === rule)?.limitC ?? null;
  if (/^(warning|critical):above$/.test(rule)) return p.upperC;
  if (/^(warning|critical):below$/.test(rule)) return p.lowerC;
  return null;
}

function profileName(s: Shipment): string {
  return typeof s.profile === 'string' ? s.profile : 'custom';
}

/** The shipment a device carried when the alarm started: the trip whose window holds it. */
function shipmentAt(list: readonly Shipment[], at: number, now: number): Shipment | null {
  for (const s of list) {
    const w = tripWindow(s, now);
    if (w && w.from <= at && at <= w.to) return s;
  }
  return list.find((s) => s.state === 'in_transit') ?? null;
}

export function alarmContextSource(o: {
  getDevice: (id: string) => Promise<DeviceRecord | null>;
  listShipments: (deviceId: string) => Promise<Shipment[]>;
}): AlarmContextSource {
  return async (a, now) => {
    const device = a.subject === 'vigil' ? null : await o.getDevice(a.subject);
    if (!device) return { deviceProfile: null, shipment: null, profiles: [], limit: null };
    const s =
      device.profile === 'patient-vitals'
        ? null
        : shipmentAt(await o.listShipments(device.id), a.startedAt, now);
    let temp: TemperatureProfile = presetProfile('refrigerated');
    if (s) {
      try {
        temp = shipmentProfile(s);
      } catch {
        // an invalid stored profile still gets its notification, without a limit
      }
    }
    const lots = s
      ? s.batches.map((b) => b.lot).filter((l): l is string => typeof l === 'string' && l !== '')
      : [];
    return {
      deviceProfile: device.profile,
      shipment: s ? { id: s.id, profile: profileName(s), lots, batchId: s.dispatch?.batchId ?? null } : null,
      profiles: [device.profile, ...(s ? [profileName(s)] : [])],
      limit: device.profile === 'patient-vitals' ? null : limitOf(a.rule, temp),
    };
  };
}
