/**
 * The gateways storage port (docs/gateway.md): gateway identities, which devices each relays for,
 * and revoked gateway certificates. A device is bound to at most one gateway. Adapters must pass
 * `gateway-store-contract.ts`. Timestamps are ms since the Unix epoch.
 */

export interface GatewayRecord {
  /** The gateway id: its certificate's CN. */
  id: string;
  /** Canonical hex serial of its certificate (the broker resolves the identity by it). */
  certSerial: string;
  certPem: string;
  createdAt: number;
  createdBy: string;
  /** When its certificate was revoked (`vigil gateway revoke`), else null. */
  revokedAt: number | null;
}

export interface GatewayBinding {
  gatewayId: string;
  deviceId: string;
  boundAt: number;
}

/** A revoked gateway certificate: on the CRL for good, also after the gateway is removed. */
export interface GatewayRevocation {
  certSerial: string;
  gatewayId: string;
  revokedAt: number;
  /** RFC 5280 reason name (`keyCompromise`, `cessationOfOperation`, ...). */
  reason: string;
}

export interface GatewayStore {
  /** Adds a gateway with its first devices in one transaction. VIGIL_ERR_GATEWAY_STATE when the id exists or a device is bound elsewhere. New records are never revoked (`revokedAt` is ignored). */
  addGateway(g: GatewayRecord, devices: readonly string[]): Promise<void>;
  getGateway(id: string): Promise<GatewayRecord | null>;
  gatewayBySerial(certSerial: string): Promise<GatewayRecord | null>;
  listGateways(): Promise<GatewayRecord[]>;
  /** Binds a device; VIGIL_ERR_GATEWAY_STATE when it is bound to another gateway or the gateway is revoked or unknown. Binding it again to the same gateway changes nothing. */
  bind(gatewayId: string, deviceId: string, at: number): Promise<void>;
  /** Unbinds a device; false when it was not bound to that gateway. */
  unbind(gatewayId: string, deviceId: string): Promise<boolean>;
  /** Every binding, ordered by gateway then device. */
  listBindings(): Promise<GatewayBinding[]>;
  /** Revokes the gateway's certificate; false when it was revoked already. VIGIL_ERR_GATEWAY_STATE when unknown. */
  revokeGateway(id: string, at: number, reason: string): Promise<boolean>;
  /**
   * In one transaction: revokes the gateway's certificate if it is not yet (with `reason`),
   * unbinds its devices and deletes the gateway; returns the devices it relayed for. The
   * revocation stays. VIGIL_ERR_GATEWAY_STATE when unknown.
   */
  removeGateway(id: string, at: number, reason: string): Promise<string[]>;
  /** Every revoked gateway certificate (removed gateways' included), oldest first. */
  listRevoked(): Promise<GatewayRevocation[]>;
}
