/**
 * The storage port of shipments and their chain of custody. The SQLite adapter is
 * `sqlite-shipment-store.ts` (on the store's own connection, migration 4). Several processes
 * (`vigil start` and CLI commands) share one database, so state changes are compare-and-set on
 * the current state rather than read-modify-write.
 */
import type { CustodyEvent, Shipment, ShipmentState } from './shipment.ts';

/** Filters of {@link ShipmentStore.list}. */
export interface ShipmentQuery {
  state?: ShipmentState;
  deviceId?: string;
  /** Default 100, at most 1000. */
  limit?: number;
}

/** The fields a transition may set (besides `state`). */
export type ShipmentPatch = Partial<Pick<Shipment, 'dispatch' | 'delivery' | 'closedAt' | 'decision'>>;

/** Who tried a wrong delivery token, kept for the rate-limit window only. */
export interface DeliveryFailureQuery {
  shipmentId?: string;
  actor?: string;
  /** Counted from this time on (inclusive). */
  since: number;
}

export interface ShipmentStore {
  /** Inserts a new shipment (VIGIL_ERR_SHIPMENT_EXISTS on a duplicate id). */
  create(s: Shipment): Promise<void>;
  get(id: string): Promise<Shipment | null>;
  /** Newest created first. */
  list(q?: ShipmentQuery): Promise<Shipment[]>;
  /**
   * Moves a shipment to `to` and applies `patch`, only if its state is one of `from`; returns the
   * updated shipment, or null when it does not exist or is in another state. One transaction.
   */
  transition(
    id: string,
    from: readonly ShipmentState[],
    to: ShipmentState,
    patch: ShipmentPatch,
    at: number,
  ): Promise<Shipment | null>;
  /** Appends to the chain of custody. */
  addEvent(e: CustodyEvent): Promise<void>;
  /**
   * The chain of custody of one shipment in the order it was recorded (`at` is when each step
   * happened: a dispatch reported late can carry an earlier time than the step before it).
   */
  listEvents(shipmentId: string): Promise<CustodyEvent[]>;
  /** Records one wrong delivery token (never the token). */
  addDeliveryFailure(shipmentId: string, actor: string, at: number): Promise<void>;
  /** Wrong tokens since `since` for a shipment, an actor, or both. */
  countDeliveryFailures(q: DeliveryFailureQuery): Promise<number>;
  /** Oldest failure in the window (for Retry-After), or null. */
  oldestDeliveryFailure(q: DeliveryFailureQuery): Promise<number | null>;
  /** Forgets failures older than `before`. */
  pruneDeliveryFailures(before: number): Promise<void>;
}
