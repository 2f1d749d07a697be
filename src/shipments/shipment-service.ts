/**
 * Shipments and their chain of custody: create (planned), bind the device's dispatch event
 * (batch id and delivery-token hash; the trip starts at the event's own timestamp), prove delivery
 * with the token, and record quality's signed decision. Every step is written to the custody
 * record and the audit log; the delivery token never is (DESIGN.md §5).
 */
import type { Logger } from 'pino';
import type { LockedError } from '../auth/lockout.ts';
import { profileOverrides } from '../coldchain/policy-overrides.ts';
import type { TemperatureProfile } from '../coldchain/profiles.ts';
import { VigilError } from '../errors.ts';
import type { MasterKey } from '../keys/master-key.ts';
import { parseOrRefuse } from '../parse-or-refuse.ts';
import type { MessageRecord, Store } from '../storage/store.ts';
import {
  DELIVERY_TOKEN_PURPOSE,
  type DeliveryLimit,
  DeliveryLimiter,
  sameTokenHash,
} from './delivery-limiter.ts';
import {
  type CreateShipmentInput,
  type CustodyEvent,
  createShipmentSchema,
  DECIDABLE_STATES,
  DECISION_MEANINGS,
  DECISION_STATES,
  DEFAULT_SHIPMENT_PROFILE,
  type DecisionMeaning,
  type DecisionState,
  decisionReasonSchema,
  type Place,
  profileWithPolicy,
  type Shipment,
  type ShipmentState,
} from './shipment.ts';
import { newShipmentId, SHIPMENT_ID_RE } from './shipment-id.ts';
import type { ShipmentQuery, ShipmentStore } from './shipment-store.ts';
import { shipmentProfile, type TripRulesConfig, tripRulesConfig } from './trip.ts';
import { lastGpsFix } from './trip-readings.ts';

/** Device profiles that carry a temperature logger a shipment can be bound to. */
const SHIPPABLE_PROFILES = ['vaccine-transport', 'temperature-probe'];

/** Dependencies of {@link ShipmentService}. */
export interface ShipmentServiceDeps {
  shipments: ShipmentStore;
  store: Pick<Store, 'appendAudit' | 'addCounters' | 'getDevice' | 'queryReadings'>;
  master: Pick<MasterKey, 'keyedHash'>;
  clock: () => number;
  logger?: Pick<Logger, 'warn' | 'error' | 'info'>;
  random?: (n: number) => Buffer;
  deliveryLimit?: Partial<DeliveryLimit>;
  /**
   * Called when a shipment goes in transit: the rule engine configures the device's rules for
   * the trip (`alarmService.configureSubject`; after a restart it asks {@link
   * ShipmentService.rulesConfig}). Errors are logged, never thrown to the caller.
   */
  onInTransit?: (s: Shipment, profile: TemperatureProfile) => void | Promise<void>;
  /** Called after any change of a shipment (live feed). Must not throw. */
  onChange?: (s: Shipment) => void;
}

/** The decision quality signs. */
export interface DecisionInput {
  state: DecisionState;
  reason: string;
  /** The meaning of the signature (21 CFR 11.50(a)(3)). */
  meaning: DecisionMeaning;
}

/** The verified signer of a decision (`AccountService.verifySignature`): printed name and role. */
export interface Signer {
  name: string;
  role: string;
}

/** `Accra → Kumasi` (the simulator's trip label) as origin and destination. */
function placesFromLabel(label: unknown): { origin: Place; destination: Place } {
  if (typeof label === 'string') {
    const parts = label.split(/\s*(?:→|->)\s*/);
    if (parts.length === 2 && parts[0] && parts[1]) {
      return { origin: { name: parts[0].slice(0, 128) }, destination: { name: parts[1].slice(0, 128) } };
    }
  }
  return { origin: { name: 'unknown' }, destination: { name: 'unknown' } };
}

export class ShipmentService {
  readonly #d: ShipmentServiceDeps;
  readonly #limiter: DeliveryLimiter;
  /** Device events are applied one at a time, in arrival order. */
  #queue: Promise<void> = Promise.resolve();
  #pending = 0;

  constructor(deps: ShipmentServiceDeps) {
    this.#d = deps;
    this.#limiter = new DeliveryLimiter(deps.shipments, deps.store, deps.deliveryLimit);
  }

  // --- dispatcher -------------------------------------------------------------------------------

  /** Creates a planned shipment. VIGIL_ERR_VALIDATION, VIGIL_ERR_PROFILE, VIGIL_ERR_NOT_FOUND (device). */
  async create(input: CreateShipmentInput, actor: string): Promise<Shipment> {
    const i = parseOrRefuse(createShipmentSchema, input);
    const profile = profileWithPolicy(i.profile as Shipment['profile'], i.alarmPolicy);
    const resolved = shipmentProfile({ profile });
    const device = await this.#d.store.getDevice(i.deviceId);
    if (!device) throw new VigilError('VIGIL_ERR_NOT_FOUND', `device ${i.deviceId}`);
    if (!SHIPPABLE_PROFILES.includes(device.profile)) {
      throw new VigilError(
        'VIGIL_ERR_USAGE',
        `device ${i.deviceId} is a ${device.profile} device; a shipment needs a temperature logger`,
      );
    }
    const now = this.#d.clock();
    const s: Shipment = {
      id: newShipmentId(this.#d.random),
      deviceId: i.deviceId,
      profile,
      batches: i.batches,
      origin: i.origin ?? { name: 'unknown' },
      destination: i.destination ?? { name: 'unknown' },
      plannedRoute: i.plannedRoute ?? null,
      eta: i.eta ?? null,
      state: 'planned',
      dispatch: null,
      delivery: null,
      closedAt: null,
      decision: null,
      createdAt: now,
      createdBy: actor,
      updatedAt: now,
    };
    await this.#d.shipments.create(s);
    await this.#record(s, now, 'shipment.create', actor, {
      device: s.deviceId,
      profile: resolved.preset,
      alarmPolicyOverrides: profileOverrides(resolved),
      batches: s.batches.map((b) => b.lot),
      origin: s.origin.name,
      destination: s.destination.name,
    });
    this.#changed(s);
    return s;
  }

  /** VIGIL_ERR_NOT_FOUND for an unknown (or malformed) id. */
  async get(id: string): Promise<Shipment> {
    const s = SHIPMENT_ID_RE.test(id) ? await this.#d.shipments.get(id) : null;
    // The id in the detail (logs, CLI) is cut to the longest valid id: it is the caller's input.
    if (!s) throw new VigilError('VIGIL_ERR_NOT_FOUND', `shipment ${id.slice(0, 40)}`);
    return s;
  }

  list(q: ShipmentQuery = {}): Promise<Shipment[]> {
    return this.#d.shipments.list(q);
  }

  custody(id: string): Promise<CustodyEvent[]> {
    return this.#d.shipments.listEvents(id);
  }

  // --- device events ----------------------------------------------------------------------------

  /**
   * Feeds stored event messages (the pipeline's `onAccepted`): `dispatch` and `delivery` bodies
   * are applied in order; others are ignored. Never throws: failures are logged.
   */
  onMessages(messages: readonly MessageRecord[]): void {
    for (const m of messages) {
      if (m.channel !== 'events') continue;
      const type = m.body.type;
      if (type !== 'dispatch' && type !== 'delivery') continue;
      this.#pending++;
      this.#queue = this.#queue
        .then(() => (type === 'dispatch' ? this.#onDispatch(m) : this.#onArrival(m)))
        .catch((err) =>
          this.#d.logger?.error({ err, device: m.deviceId, seq: m.seq }, `shipment ${type} event failed`),
        )
        .finally(() => {
          this.#pending--;
        });
    }
  }

  /** Resolves when every device event queued so far has been applied (tests, shutdown). */
  async idle(): Promise<void> {
    for (let i = 0; i < 1000 && this.#pending > 0; i++) await this.#queue;
  }

  /**
   * The rules configuration of the device's shipment in transit, or null (the alarm service's
   * subject source: consulted when it loads a device, e.g. after a restart).
   */
  async rulesConfig(deviceId: string): Promise<TripRulesConfig | null> {
    const [s] = await this.#d.shipments.list({ deviceId, state: 'in_transit', limit: 1 });
    if (!s) return null;
    try {
      return tripRulesConfig(s);
    } catch (err) {
      this.#d.logger?.error({ err, shipment: s.id }, 'shipment profile invalid; default rules apply');
      return null;
    }
  }

  /**
   * A dispatch event: the device generated a batch id and a delivery token (already replaced by
   * its keyed hash in the pipeline). Binds them to the device's planned shipment (the one the
   * event names, else the oldest), or to a new one with the default profile; a trip still in
   * transit is closed undelivered. The trip starts at the event's own timestamp, so a logger that
   * started offline and reports late still has its buffered readings counted.
   */
  async #onDispatch(m: MessageRecord): Promise<void> {
    const batchId = m.body.batch;
    const tokenHash = m.body.token_hash;
    if (typeof batchId !== 'string' || typeof tokenHash !== 'string') {
      this.#d.logger?.warn({ device: m.deviceId, seq: m.seq }, 'dispatch event without batch or token hash');
      return;
    }
    const deviceId = m.deviceId;
    const device = await this.#d.store.getDevice(deviceId);
    if (!device || !SHIPPABLE_PROFILES.includes(device.profile)) {
      this.#d.logger?.warn(
        { device: deviceId, seq: m.seq },
        'dispatch event from a device that carries no shipment',
      );
      return;
    }
    const at = m.ts;
    const now = this.#d.clock();
    const actor = `device:${deviceId}`;
    const recent = await this.#d.shipments.list({ deviceId, limit: 100 });
    // The same dispatch sent again (a new seq): nothing to do.
    if (recent.some((s) => s.dispatch?.batchId === batchId && sameTokenHash(s.dispatch.tokenHash, tokenHash)))
      return;
    const dispatch = { at, batchId, tokenHash, receivedAt: m.receivedAt };
    const detail = {
      batch: batchId,
      at: new Date(at).toISOString(),
      received_at: new Date(m.receivedAt).toISOString(),
      reported_late: m.receivedAt - at > 60_000,
      ...(typeof m.body.shipment === 'string' ? { label: m.body.shipment.slice(0, 128) } : {}),
    };
    const [current] = await this.#d.shipments.list({ deviceId, state: 'in_transit', limit: 1 });
    if (current?.dispatch && at < current.dispatch.at) {
      // An earlier trip reported after a later one began (a logger that was offline): record it
      // as an undelivered trip that ended when the next one started.
      const s = this.#autoShipment(deviceId, m, 'closed', dispatch, current.dispatch.at, now);
      await this.#d.shipments.create(s);
      await this.#record(s, at, 'shipment.dispatch', actor, { ...detail, auto_created: true });
      await this.#record(s, current.dispatch.at, 'shipment.close', 'system', {
        reason: 'a later trip of the device was already in transit',
      });
      this.#changed(s);
      return;
    }
    if (current) {
      const closed = await this.#d.shipments.transition(
        current.id,
        ['in_transit'],
        'closed',
        { closedAt: Math.max(at, current.dispatch?.at ?? at) },
        now,
      );
      if (closed) {
        await this.#record(closed, at, 'shipment.close', 'system', {
          reason: 'a new dispatch of the device ended the trip undelivered',
          next_batch: batchId,
        });
        this.#changed(closed);
      }
    }
    const planned = (await this.#d.shipments.list({ deviceId, state: 'planned', limit: 1000 })).sort(
      (a, b) => a.createdAt - b.createdAt || a.id.localeCompare(b.id),
    );
    const named = planned.find((s) => s.id === m.body.shipment);
    const target = named ?? planned[0];
    let bound: Shipment | null = null;
    if (target) {
      bound = await this.#d.shipments.transition(target.id, ['planned'], 'in_transit', { dispatch }, now);
      if (bound) await this.#record(bound, at, 'shipment.dispatch', actor, detail);
    }
    if (!bound) {
      bound = this.#autoShipment(deviceId, m, 'in_transit', dispatch, null, now);
      await this.#d.shipments.create(bound);
      await this.#record(bound, at, 'shipment.dispatch', actor, {
        ...detail,
        auto_created: true,
        profile: DEFAULT_SHIPMENT_PROFILE,
      });
    }
    this.#changed(bound);
    await this.#announce(bound);
  }

  #autoShipment(
    deviceId: string,
    m: MessageRecord,
    state: ShipmentState,
    dispatch: Shipment['dispatch'],
    closedAt: number | null,
    now: number,
  ): Shipment {
    const places = placesFromLabel(m.body.shipment);
    return {
      id: newShipmentId(this.#d.random),
      deviceId,
      profile: DEFAULT_SHIPMENT_PROFILE,
      batches: [],
      ...places,
      plannedRoute: null,
      eta: null,
      state,
      dispatch,
      delivery: null,
      closedAt,
      decision: null,
      createdAt: now,
      createdBy: `device:${deviceId}`,
      updatedAt: now,
    };
  }

  /** A `delivery` event: the device says it reached its destination (no token, no proof). */
  async #onArrival(m: MessageRecord): Promise<void> {
    const [s] = await this.#d.shipments.list({ deviceId: m.deviceId, state: 'in_transit', limit: 1 });
    if (!s?.dispatch) return;
    if (typeof m.body.batch === 'string' && m.body.batch !== '' && m.body.batch !== s.dispatch.batchId)
      return;
    const fix = await lastGpsFix(this.#d.store, m.deviceId, m.ts);
    await this.#d.shipments.addEvent({
      shipmentId: s.id,
      at: m.ts,
      action: 'shipment.arrive',
      actor: `device:${m.deviceId}`,
      detail: { batch: s.dispatch.batchId, ...(fix ? { lat: fix.lat, lon: fix.lon } : {}) },
    });
  }

  async #announce(s: Shipment): Promise<void> {
    if (!this.#d.onInTransit) return;
    try {
      await this.#d.onInTransit(s, shipmentProfile(s));
    } catch (err) {
      this.#d.logger?.error({ err, shipment: s.id }, 'configuring the rules of a shipment failed');
    }
  }

  // --- receiver ---------------------------------------------------------------------------------

  /**
   * Proof of delivery: the receiver presents the delivery token. Its keyed hash is compared in
   * constant time with the one bound at dispatch; a match records who, when and where (the last
   * GPS fix) and ends the trip. Wrong tokens are counted per caller (delivery-limiter.ts): after
   * `maxFailures` in `windowMs` that caller's further attempts get VIGIL_ERR_LOCKED (429) until the
   * window slides; other callers, the real receiver among them, are not held back. Every attempt
   * is audited (refused, held back, accepted), never with the token. VIGIL_ERR_NOT_FOUND,
   * VIGIL_ERR_SHIPMENT_STATE (not in transit), VIGIL_ERR_DELIVERY_TOKEN.
   */
  async deliver(id: string, token: string, actor: string): Promise<Shipment> {
    const s = await this.get(id);
    if (s.state !== 'in_transit' || !s.dispatch) throw new VigilError('VIGIL_ERR_SHIPMENT_STATE', s.state);
    const now = this.#d.clock();
    try {
      await this.#limiter.check(actor, now);
    } catch (err) {
      await this.#record(s, now, 'shipment.deliver_throttled', actor, {
        reason: 'too many wrong delivery tokens from this caller',
        retry_after_s: (err as LockedError).retryAfterSeconds,
      });
      throw err;
    }
    const given = typeof token === 'string' ? token.trim() : '';
    const ok =
      given.length > 0 &&
      given.length <= 256 &&
      sameTokenHash(this.#d.master.keyedHash(DELIVERY_TOKEN_PURPOSE, given), s.dispatch.tokenHash);
    if (!ok) {
      const failures = await this.#limiter.fail(s.id, actor, now);
      await this.#record(s, now, 'shipment.deliver_refused', actor, {
        reason: 'wrong delivery token',
        failures_for_shipment: failures.shipment,
        failures_for_caller: failures.caller,
        limit: this.#limiter.limit.maxFailures,
        window_ms: this.#limiter.limit.windowMs,
      });
      throw new VigilError('VIGIL_ERR_DELIVERY_TOKEN');
    }
    const fix = await lastGpsFix(this.#d.store, s.deviceId, now);
    const delivery = {
      at: now,
      by: actor,
      lat: fix?.lat ?? null,
      lon: fix?.lon ?? null,
      fixAt: fix?.ts ?? null,
    };
    const done = await this.#d.shipments.transition(s.id, ['in_transit'], 'delivered', { delivery }, now);
    if (!done) throw new VigilError('VIGIL_ERR_SHIPMENT_STATE', 'no longer in transit');
    await this.#limiter.accepted();
    await this.#record(done, now, 'shipment.deliver', actor, {
      batch: s.dispatch.batchId,
      lat: delivery.lat,
      lon: delivery.lon,
      fix_at: delivery.fixAt === null ? null : new Date(delivery.fixAt).toISOString(),
    });
    this.#changed(done);
    return done;
  }

  // --- quality ----------------------------------------------------------------------------------

  /**
   * Records quality's decision: release or quarantine, with the reason and the meaning of the
   * signature. The caller has verified the electronic signature (password and TOTP re-entered);
   * `actor` is the signer. Allowed once the trip is over (delivered or closed) and on a
   * quarantined shipment (a quarantine can be lifted); a release is final.
   */
  async decide(id: string, input: DecisionInput, actor: string, signer?: Signer): Promise<Shipment> {
    if (!(DECISION_STATES as readonly string[]).includes(input.state)) {
      throw new VigilError('VIGIL_ERR_VALIDATION', 'state must be released or quarantined');
    }
    if (!(DECISION_MEANINGS as readonly string[]).includes(input.meaning)) {
      throw new VigilError('VIGIL_ERR_VALIDATION', `meaning must be one of ${DECISION_MEANINGS.join(', ')}`);
    }
    const reason = decisionReasonSchema.safeParse(input.reason);
    if (!reason.success) throw new VigilError('VIGIL_ERR_VALIDATION', 'reason');
    const s = await this.get(id);
    if (!DECIDABLE_STATES.includes(s.state)) throw new VigilError('VIGIL_ERR_SHIPMENT_STATE', s.state);
    const now = this.#d.clock();
    const decision = { state: input.state, by: actor, at: now, reason: reason.data, meaning: input.meaning };
    const done = await this.#d.shipments.transition(s.id, DECIDABLE_STATES, input.state, { decision }, now);
    if (!done) throw new VigilError('VIGIL_ERR_SHIPMENT_STATE', 'changed meanwhile');
    await this.#record(done, now, 'shipment.decide', actor, {
      state: input.state,
      previous_state: s.state,
      reason: decision.reason,
      meaning: decision.meaning,
      ...(signer
        ? {
            signer: signer.name,
            role: signer.role,
            signed_at: new Date(now).toISOString(),
            signature: 'password+totp',
          }
        : {}),
    });
    this.#changed(done);
    return done;
  }

  // --- internals --------------------------------------------------------------------------------

  /** Appends to the custody record and the audit log (the same facts; never a token). */
  async #record(
    s: Shipment,
    at: number,
    action: string,
    actor: string,
    detail: Record<string, unknown>,
  ): Promise<void> {
    await this.#d.shipments.addEvent({ shipmentId: s.id, at, action, actor, detail });
    await this.#d.store.appendAudit({
      ts: this.#d.clock(),
      actor,
      action,
      object: s.id,
      detail: { device: s.deviceId, state: s.state, ...detail },
    });
  }

  #changed(s: Shipment): void {
    try {
      this.#d.onChange?.(s);
    } catch {
      // a listener's failure is its own problem
    }
  }
}
