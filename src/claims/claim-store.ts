/**
 * The claims storage port (docs/protocol.md §14): claim-certificate batches, claims by device
 * serial, claim nonces (replays) and quarantined unknown identities. Adapters must pass
 * `claim-store-contract.ts`. Timestamps are ms since the Unix epoch.
 */

export interface ClaimBatch {
  /** Batch name; the claim certificate's CN is `claim-<name>`. */
  name: string;
  certSerial: string;
  certPem: string;
  maxUses: number;
  uses: number;
  expiresAt: number;
  createdAt: number;
  createdBy: string;
  revokedAt: number | null;
}

export type ClaimState = 'pending' | 'approved' | 'refused';

export interface ClaimRecord {
  serial: string;
  batch: string;
  profile: string;
  /** The device's CSR (base64url DER) and the SHA-256 of its public key (hex). */
  csr: string;
  keyFp: string;
  state: ClaimState;
  deviceId: string | null;
  /** The reply sent (JSON), once decided. */
  reply: string | null;
  attempts: number;
  receivedAt: number;
  lastSeenAt: number;
  address: string | null;
  decidedAt: number | null;
  decidedBy: string | null;
}

export interface QuarantineEntry {
  cn: string;
  certSerial: string;
  attempts: number;
  firstSeen: number;
  lastSeen: number;
  lastAddress: string | null;
}

/** Why a new claim was not stored. */
export type ClaimAdmission = 'stored' | 'replay' | 'uses_exhausted' | 'expired' | 'revoked' | 'unknown_batch';

export interface ClaimStore {
  /** Adds a batch. VIGIL_ERR_CLAIM_STATE when the name exists. */
  addBatch(b: ClaimBatch): Promise<void>;
  getBatch(name: string): Promise<ClaimBatch | null>;
  batchBySerial(certSerial: string): Promise<ClaimBatch | null>;
  listBatches(): Promise<ClaimBatch[]>;
  /**
   * Records a first claim of a serial in one transaction: refuses a nonce seen before (`replay`),
   * a batch that is unknown, revoked, expired at `now`, or used `maxUses` times; else stores the
   * claim (pending), the nonce, and counts one use.
   */
  admitClaim(c: ClaimRecord, nonce: string, now: number): Promise<ClaimAdmission>;
  /** A repeat of a known serial's claim (fresh nonce): records the nonce and the attempt. */
  touchClaim(serial: string, nonce: string, at: number, address: string | null): Promise<'ok' | 'replay'>;
  getClaim(serial: string): Promise<ClaimRecord | null>;
  listClaims(q?: { state?: ClaimState }): Promise<ClaimRecord[]>;
  /** Decides a pending claim. Returns null (nothing changed) when it is not pending. */
  decideClaim(
    serial: string,
    d: { state: 'approved' | 'refused'; deviceId: string | null; reply: string; at: number; by: string },
  ): Promise<ClaimRecord | null>;
  /** Counts a connection attempt of an identity the CA signed but Vigil does not know. */
  quarantine(cn: string, certSerial: string, at: number, address: string | null): Promise<void>;
  listQuarantine(): Promise<QuarantineEntry[]>;
}
