/**
 * Events a simulated device emits. Field sets match the strict event body schemas in
 * src/protocol/bodies.ts (DESIGN.md §4), so the I/O layer can publish them unchanged.
 */

export type PowerSource = 'mains' | 'battery' | 'backup';
export type DoorState = 'open' | 'closed';

/** A trip starts: the device made up the batch id and the delivery token (DESIGN.md §5). */
export type DispatchEvent = { type: 'dispatch'; ts: number; batch: string; token: string; shipment?: string };
/** The trip reached its destination. Never carries the token. */
export type DeliveryEvent = { type: 'delivery'; ts: number; batch: string };
export type DoorEvent = { type: 'door'; ts: number; state: DoorState };
export type PowerEvent = { type: 'power'; ts: number; source: PowerSource };
/** Refrigeration changed state: it stopped cooling, over-cools (freeze risk) or is back to normal. */
export type CoolingEvent = { type: 'cooling'; ts: number; state: 'failed' | 'overcooling' | 'restored' };
export type BatteryLowEvent = { type: 'battery_low'; ts: number; bat_pct: number };

export type DeviceEvent =
  | DispatchEvent
  | DeliveryEvent
  | DoorEvent
  | PowerEvent
  | CoolingEvent
  | BatteryLowEvent;

/** What a model yields for one sampling instant. */
export interface ModelStep<S> {
  /** The reading at the requested instant. */
  sample: S;
  /** Events since the previous step, oldest first, each stamped with the instant it happened. */
  events: DeviceEvent[];
  /**
   * Whether the device has a network link at this instant. When false the device keeps sampling
   * and the I/O layer buffers samples and events, flushing them when the link returns.
   */
  connected: boolean;
}
