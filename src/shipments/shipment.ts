/**
 * The shipment model (DESIGN.md §5): one trip of one logger device carrying vaccine batches, with
 * a temperature profile, origin, destination and a chain of custody. Timestamps are milliseconds
 * since the Unix epoch (UTC).
 *
 * Lifecycle: `planned` (created by a dispatcher) → `in_transit` (the bound device's `dispatch`
 * event: batch id and delivery-token hash bound, trip starts at the event's own timestamp) →
 * `delivered` (the receiver presented the token) or `closed` (a new dispatch of the same device
 * ended the trip undelivered) → `released` or `quarantined` (quality's signed decision; a
 * quarantine can later be lifted by a signed release).
 */
import { z } from 'zod';
import { type AlarmPolicyInput, alarmPolicyInputSchema } from '../coldchain/alarm-policy.ts';
import { PROFILE_PRESETS, type TemperatureProfileInput } from '../coldchain/profiles.ts';
import { DEVICE_ID_RE } from '../protocol/device-id.ts';

export const SHIPMENT_STATES = [
  'planned',
  'in_transit',
  'delivered',
  'closed',
  'quarantined',
  'released',
] as const;
export type ShipmentState = (typeof SHIPMENT_STATES)[number];

/** The states a quality decision can set. */
export const DECISION_STATES = ['released', 'quarantined'] as const;
export type DecisionState = (typeof DECISION_STATES)[number];

/**
 * What a signed decision means (21 CFR 11.50(a)(3): a signed record states its meaning):
 * `approved` (the product is fit for use: the usual meaning of a release), `rejected` (not fit
 * for use as it stands), `impact assessed` (the effect of the excursions on the product was
 * judged), `reviewed` (the record was reviewed).
 */
export const DECISION_MEANINGS = ['approved', 'rejected', 'impact assessed', 'reviewed'] as const;
export type DecisionMeaning = (typeof DECISION_MEANINGS)[number];

/** States a quality decision may be taken from: the trip is over (a release is final). */
export const DECIDABLE_STATES: readonly ShipmentState[] = ['delivered', 'closed', 'quarantined'];

/** The profile a shipment gets when none is given (an auto-created shipment of a demo truck). */
export const DEFAULT_SHIPMENT_PROFILE = 'refrigerated';

/** One batch (lot) of product. */
export interface Batch {
  lot: string;
  product: string;
  quantity: number;
  /** Vaccine vial monitor type (`VVM2`, `VVM7`, `VVM14`, `VVM30`), when the product carries one. */
  vvm?: string;
}

/** A named place, with coordinates when known. */
export interface Place {
  name: string;
  lat?: number;
  lon?: number;
}

/** A point of the planned route. */
export interface RoutePoint {
  lat: number;
  lon: number;
}

/** The bound device's dispatch event. */
export interface DispatchRecord {
  /** The dispatch event's own timestamp: the trip starts here, even when it was reported late. */
  at: number;
  /** The batch id the device generated. */
  batchId: string;
  /** `keyedHash('delivery-token', token)`; the token itself is never stored. */
  tokenHash: string;
  /** When the server received the event (later than `at` for a logger that started offline). */
  receivedAt: number;
}

/** Proof of delivery. */
export interface DeliveryRecord {
  at: number;
  /** Audit actor of the receiver: `user:<name>`, `token:<id>` or `cli`. */
  by: string;
  /** The last GPS fix of the device at or before delivery, when there is one. */
  lat: number | null;
  lon: number | null;
  /** Timestamp of that fix. */
  fixAt: number | null;
}

/** Quality's signed decision (21 CFR 11.50: name, time and meaning of the signature). */
export interface DecisionRecord {
  state: DecisionState;
  /** Audit actor of the signer (`user:<name>`). */
  by: string;
  at: number;
  reason: string;
  /** One of {@link DECISION_MEANINGS}. */
  meaning: string;
}

/** A stored shipment. */
export interface Shipment {
  /** `shp-` + 10 base32 characters. */
  id: string;
  deviceId: string;
  /** The profile as given: a preset name, or an object for `resolveProfile` (custom limits). */
  profile: string | TemperatureProfileInput;
  batches: Batch[];
  origin: Place;
  destination: Place;
  plannedRoute: RoutePoint[] | null;
  eta: number | null;
  state: ShipmentState;
  dispatch: DispatchRecord | null;
  delivery: DeliveryRecord | null;
  /** End of an undelivered trip (the next dispatch's timestamp). */
  closedAt: number | null;
  decision: DecisionRecord | null;
  createdAt: number;
  createdBy: string;
  updatedAt: number;
}

/** One entry of the chain of custody. Details never hold a token. */
export interface CustodyEvent {
  shipmentId: string;
  /** When it happened (for device events: the event's own timestamp). */
  at: number;
  /** `shipment.create`, `shipment.dispatch`, `shipment.arrive`, `shipment.deliver`, ... */
  action: string;
  actor: string;
  detail: Record<string, unknown>;
}

// --- input validation -------------------------------------------------------------------------

/** Printable text: no control characters but tab and newline. */
const PRINTABLE = /^[^\u0000-\u0008\u000b-\u001f\u007f]*$/;
const text = (max: number) => z.string().trim().min(1).max(max).regex(PRINTABLE);

export const batchSchema = z.strictObject({
  lot: z.string().regex(/^[A-Za-z0-9._:/-]{1,64}$/, 'lot: letters, digits and ._:/- (1-64)'),
  product: text(128),
  quantity: z.number().int().min(0).max(100_000_000),
  vvm: z
    .string()
    .regex(/^VVM(2|7|14|30)$/)
    .optional(),
});

export const placeSchema = z.strictObject({
  name: text(128),
  lat: z.number().min(-90).max(90).optional(),
  lon: z.number().min(-180).max(180).optional(),
});

const routePointSchema = z.strictObject({
  lat: z.number().min(-90).max(90),
  lon: z.number().min(-180).max(180),
});

/** A preset name or a profile input object (checked by `resolveProfile` afterwards). */
export const profileSchema = z.union([z.enum(PROFILE_PRESETS), z.record(z.string(), z.unknown())]);

/** What a dispatcher gives to create a shipment. */
export const createShipmentSchema = z.strictObject({
  deviceId: z.string().regex(DEVICE_ID_RE, 'must be a device id'),
  profile: profileSchema.default(DEFAULT_SHIPMENT_PROFILE),
  batches: z.array(batchSchema).max(100).default([]),
  origin: placeSchema.optional(),
  destination: placeSchema.optional(),
  plannedRoute: z.array(routePointSchema).max(10_000).optional(),
  eta: z.number().int().nonnegative().optional(),
  /**
   * This shipment's own alarm policy (docs/alarms.md): tiers, hysteresis, merge gap on top of the
   * profile's. Stored as part of the shipment's profile.
   */
  alarmPolicy: alarmPolicyInputSchema.optional(),
});

export type CreateShipmentInput = z.input<typeof createShipmentSchema>;

/** The profile as given with the shipment's own alarm policy on top (a preset name becomes an object). */
export function profileWithPolicy(
  profile: Shipment['profile'],
  policy: AlarmPolicyInput | undefined,
): Shipment['profile'] {
  if (!policy || Object.keys(policy).length === 0) return profile;
  const base: Record<string, unknown> = typeof profile === 'string' ? { preset: profile } : { ...profile };
  const { tiers, ...rest } = policy;
  if (tiers) {
    // per tier, the sides given here replace those of the profile; the others stay
    const given = (base['tiers'] ?? {}) as Record<string, Record<string, unknown> | undefined>;
    const merged: Record<string, unknown> = { ...given };
    for (const [tier, sides] of Object.entries(tiers)) if (sides) merged[tier] = { ...given[tier], ...sides };
    base['tiers'] = merged;
  }
  return { ...base, ...rest } as Shipment['profile'];
}

/** The reason of a decision: 1-500 printable characters. */
export const DECISION_REASON_MAX = 500;
export const decisionReasonSchema = text(DECISION_REASON_MAX);
