/**
 * Row shapes of the lifecycle tables that hold nothing encrypted, and their mapping to records,
 * the same on both engines (the SQLite and PostgreSQL adapters of the rotation, claim and
 * gateway ports).
 */
import type { ClaimBatch } from '../../claims/claim-store.ts';
import type { GatewayRecord } from '../../gateways/gateway-store.ts';
import type { RotationRecord, RotationState } from '../../keys/rotation-store.ts';

export interface RotationRow {
  device_id: string;
  kid: number;
  from_kid: number;
  command_id: string;
  state: RotationState;
  started_at: number;
  started_by: string;
  acked_at: number | null;
  completed_at: number | null;
  error: string | null;
}

export const toRotation = (r: RotationRow): RotationRecord => ({
  deviceId: r.device_id,
  kid: r.kid,
  fromKid: r.from_kid,
  commandId: r.command_id,
  state: r.state,
  startedAt: r.started_at,
  startedBy: r.started_by,
  ackedAt: r.acked_at,
  completedAt: r.completed_at,
  error: r.error,
});

export interface ClaimBatchRow {
  name: string;
  cert_serial: string;
  cert_pem: string;
  max_uses: number;
  uses: number;
  expires_at: number;
  created_at: number;
  created_by: string;
  revoked_at: number | null;
}

export const toClaimBatch = (r: ClaimBatchRow): ClaimBatch => ({
  name: r.name,
  certSerial: r.cert_serial,
  certPem: r.cert_pem,
  maxUses: r.max_uses,
  uses: r.uses,
  expiresAt: r.expires_at,
  createdAt: r.created_at,
  createdBy: r.created_by,
  revokedAt: r.revoked_at,
});

export interface GatewayRow {
  id: string;
  cert_serial: string;
  cert_pem: string;
  created_at: number;
  created_by: string;
  revoked_at: number | null;
}

export const toGateway = (r: GatewayRow): GatewayRecord => ({
  id: r.id,
  certSerial: r.cert_serial,
  certPem: r.cert_pem,
  createdAt: r.created_at,
  createdBy: r.created_by,
  revokedAt: r.revoked_at,
});

/** A gateway with the revocation of its current certificate, if any. */
export const GATEWAY_SELECT = `SELECT g.*, r.revoked_at FROM gateways g
  LEFT JOIN gateway_revocations r ON r.cert_serial = g.cert_serial`;
