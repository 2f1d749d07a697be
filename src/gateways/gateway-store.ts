/**
 * The gateways storage port (docs/gateway.md): gateway identities and which devices each relays
 * for. A device is bound to at most one gateway. Adapters must pass `gateway-store-contract.ts`.
 * Timestamps are ms since the Unix epoch.
 */

export interface GatewayRecord {
  /** The gateway id: its certificate's CN. */
  id: string;
  /** Canonical hex serial of its certificate (the broker resolves the identity by it). */
  certSerial: string;
  certPem: string;
  createdAt: number;
  createdBy: string;
  revokedAt: number | null;
}

export interface GatewayBinding {
  gatewayId: string;
  deviceId: string;
  boundAt: number;
}

export interface GatewayStore {
  /** Adds a gateway with its first devices in one transaction. VIGIL_ERR_GATEWAY_STATE when the id exists or a device is bound elsewhere. */
  addGateway(g: GatewayRecord, devices: readonly string[]): Promise<void>;
  getGateway(id: string): Promise<GatewayRecord | null>;
  gatewayBySerial(certSerial: string): Promise<GatewayRecord | null>;
  listGateways(): Promise<GatewayRecord[]>;
  /** Binds a device; VIGIL_ERR_GATEWAY_STATE when it is bound to another gateway. Binding it again to the same gateway changes nothing. */
  bind(gatewayId: string, deviceId: string, at: number): Promise<void>;
  /** Unbinds a device; false when it was not bound to that gateway. */
  unbind(gatewayId: string, deviceId: string): Promise<boolean>;
  /** Every binding, ordered by gateway then device. */
  listBindings(): Promise<GatewayBinding[]>;
}
