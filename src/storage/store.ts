/**
 * The storage port. The ingest pipeline, CLI and (later) the API talk only to this interface;
 * adapters (SQLite+SQLCipher by default, PostgreSQL later) implement it and must all pass the
 * contract suite in `store-contract.ts`.
 *
 * All methods are async so that network adapters fit; the SQLite adapter resolves them from
 * synchronous calls. Timestamps are milliseconds since the Unix epoch (UTC).
 */

import type { Alg } from '../protocol/aead.ts';
import type { DeviceProfile } from '../protocol/device-profile.ts';
import type { AuditVerification } from './audit-chain.ts';

export type DeviceStatus = 'enabled' | 'disabled' | 'revoked';

export interface DeviceRecord {
  id: string;
  profile: DeviceProfile;
  status: DeviceStatus;
  /** Algorithm the device is provisioned to use (what its bundle says). */
  alg: Alg;
  /** The key generation new messages should use. */
  currentKid: number;
  createdAt: number;
  updatedAt: number;
  /** Serial (hex) of the device's current client certificate, if one was issued. */
  certSerial: string | null;
  certNotAfter: number | null;
  lastSeenAt: number | null;
}

export interface DeviceKeyRecord {
  deviceId: string;
  kid: number;
  /** The 32-byte device secret, encrypted under the master key (opaque to the store). */
  secretEnc: Buffer;
  createdAt: number;
  /** active: accepted; retired: no longer accepted. */
  status: 'active' | 'retired';
}

export interface CertificateRecord {
  serial: string;
  /** Subject CN: a device id, `vigil-server`, or a backend service name. */
  subject: string;
  kind: 'device' | 'server' | 'service' | 'ca';
  notBefore: number;
  notAfter: number;
  pem: string;
  revokedAt: number | null;
  revocationReason: string | null;
}

/** One telemetry sample as stored: one row per sample; (deviceId, seq, idx) is unique. */
export interface ReadingRecord {
  deviceId: string;
  seq: number;
  /** Index of the sample inside its envelope's `samples` array. */
  idx: number;
  /** The sample's own timestamp. */
  ts: number;
  /** When Vigil stored it. */
  receivedAt: number;
  /** True when the sample arrived late (buffered by the device or a gateway). */
  backfill: boolean;
  /** Sample fields other than `ts` (temp_c, rh_pct, ...). */
  data: Record<string, unknown>;
}

/** An event or ack message (non-telemetry channel); (deviceId, seq) is unique. */
export interface MessageRecord {
  deviceId: string;
  seq: number;
  channel: 'events' | 'acks';
  ts: number;
  receivedAt: number;
  /** The body, with secrets already replaced (a delivery token is stored only as `token_hash`). */
  body: Record<string, unknown>;
}

/** Persisted anti-replay state for one device (device -> server direction). */
export interface ReplayStateRecord {
  deviceId: string;
  /** Highest accepted seq, -1 when none. */
  highest: number;
  /** Window bitmap, bit i set = seq (highest - i) was accepted. */
  bitmap: Buffer;
  /**
   * Fingerprints of the last accepted nonces, at most one per window slot (the bitmap's bit
   * count), oldest first; concatenated 8-byte fingerprints, opaque to the store.
   */
  nonces: Buffer;
  updatedAt: number;
}

/**
 * What one ingest transaction changes of a device's replay state: the new high-water mark and
 * bitmap, and only the fingerprints its own seqs add. The store keeps the last window's worth
 * (as many as the bitmap has bits), so a commit costs the same however full the window is.
 */
export interface ReplayStateUpdate {
  deviceId: string;
  highest: number;
  bitmap: Buffer;
  /** Fingerprints accepted in this transaction, in acceptance order (8 bytes each). */
  nonces: Buffer;
  updatedAt: number;
}

export interface AuditInput {
  ts: number;
  /** Who: `system`, `device:<id>`, `user:<name>`, `cli`, `broker`. */
  actor: string;
  /** What, dotted: `device.add`, `ingest.reject`, `broker.connect_refused`, ... */
  action: string;
  /** The object acted on (a device id, a certificate serial, ...), if any. */
  object: string | null;
  /** Details; never a secret, token or decrypted payload. */
  detail: Record<string, unknown>;
}

/**
 * A signed checkpoint of the audit chain (src/audit/audit-checkpoint.ts): the head after
 * `entries` entries, signed with the report-signing key (Ed25519). `seq` only grows.
 */
export interface AuditCheckpointRecord {
  seq: number;
  /** When it was signed (ms). */
  at: number;
  entries: number;
  headId: number;
  headHash: string;
  /** `SHA256:...` of the signing key. */
  keyFingerprint: string;
  /** Ed25519 signature, base64url. */
  signature: string;
}

export interface AuditRecord extends AuditInput {
  id: number;
  prevHash: string;
  hash: string;
}

/** A batch written in one transaction: either all of it is durable or none of it. */
export interface IngestBatch {
  readings: ReadingRecord[];
  messages: MessageRecord[];
  replayStates: ReplayStateUpdate[];
  /** Devices seen in this batch, with the time they were seen. */
  lastSeen: { deviceId: string; at: number }[];
}

/** What {@link Store.writeBatch} did. */
export interface WriteBatchResult {
  readingsInserted: number;
  messagesInserted: number;
  /** Messages another process had already committed (a replay split across workers). */
  refused?: { deviceId: string; seq: number; code: 'VIGIL_ERR_REPLAY' | 'VIGIL_ERR_REPLAY_TOO_OLD' }[];
}

export interface ReadingQuery {
  deviceId: string;
  /** Inclusive lower bound on the sample `ts`. */
  since?: number;
  /** Exclusive upper bound on the sample `ts` (windows `[since, until)` tile without overlap). */
  until?: number;
  /** Default 1000, at most 100000. */
  limit?: number;
  /** Newest first when true (default false: oldest first). */
  descending?: boolean;
}

export interface Store {
  /**
   * True when several ingest processes share this store and `writeBatch` judges each seq against
   * the committed replay window under the device's row lock (PostgreSQL). A worker's in-memory
   * window then leaves a seq below it to the store, which alone knows whether it was stored.
   */
  readonly judgesReplay?: boolean;
  /** Applies pending migrations. Idempotent. */
  migrate(): Promise<void>;
  close(): Promise<void>;

  // devices and keys
  addDevice(device: DeviceRecord, key: DeviceKeyRecord): Promise<void>;
  getDevice(id: string): Promise<DeviceRecord | null>;
  listDevices(): Promise<DeviceRecord[]>;
  setDeviceStatus(id: string, status: DeviceStatus, at: number): Promise<void>;
  /**
   * Deletes a device that never delivered anything: its registry entry and key generations.
   * VIGIL_ERR_NOT_FOUND for an unknown id; VIGIL_ERR_DEVICE_IN_USE, changing nothing, when
   * readings, events, replay state or shipments refer to it (such a device is revoked instead).
   * Its certificates stay on record.
   */
  deleteDevice(id: string): Promise<void>;
  setDeviceCert(id: string, serial: string, notAfter: number, at: number): Promise<void>;
  addDeviceKey(key: DeviceKeyRecord): Promise<void>;
  /** Retires or re-activates one key generation. Throws VIGIL_ERR_NOT_FOUND for an unknown (device, kid). */
  setDeviceKeyStatus(deviceId: string, kid: number, status: DeviceKeyRecord['status']): Promise<void>;
  /**
   * Makes `kid` the generation new messages use. The key must exist (VIGIL_ERR_NOT_FOUND) and be
   * active (VIGIL_ERR_USAGE).
   */
  setDeviceCurrentKid(id: string, kid: number, at: number): Promise<void>;
  getDeviceKey(deviceId: string, kid: number): Promise<DeviceKeyRecord | null>;
  listDeviceKeys(deviceId: string): Promise<DeviceKeyRecord[]>;

  // certificates
  addCertificate(cert: CertificateRecord): Promise<void>;
  getCertificate(serial: string): Promise<CertificateRecord | null>;
  listCertificates(filter?: {
    subject?: string;
    kind?: CertificateRecord['kind'];
  }): Promise<CertificateRecord[]>;
  revokeCertificate(serial: string, at: number, reason: string): Promise<void>;
  /** Revoked serials, for building the CRL. */
  listRevoked(): Promise<CertificateRecord[]>;

  // ingest
  /**
   * Writes the batch in one transaction. Duplicate (deviceId, seq[, idx]) rows are ignored. An
   * adapter shared by several ingest processes (PostgreSQL) also checks each seq against the
   * committed replay window under the device's row lock and lists the refused ones in `refused`
   * (their rows are not written); a single-process adapter never refuses.
   */
  writeBatch(batch: IngestBatch): Promise<WriteBatchResult>;
  getReplayState(deviceId: string): Promise<ReplayStateRecord | null>;
  queryReadings(q: ReadingQuery): Promise<ReadingRecord[]>;
  queryMessages(q: {
    deviceId?: string;
    channel?: MessageRecord['channel'];
    since?: number;
    limit?: number;
  }): Promise<MessageRecord[]>;
  countReadings(deviceId?: string): Promise<number>;
  /**
   * A device's readings stored after `cursor`, in the order they were committed, and the cursor
   * to pass next time (for following new readings: `vigil readings ID --follow`). Without
   * `cursor`: no readings, and the cursor of the newest stored reading (where following starts).
   * Cursors are opaque, grow with every commit and are shared by all devices.
   */
  readingsAfter(q: {
    deviceId: string;
    cursor?: number;
    limit?: number;
  }): Promise<{ readings: ReadingRecord[]; cursor: number }>;

  // audit (append-only, hash-chained)
  appendAudit(entry: AuditInput): Promise<AuditRecord>;
  queryAudit(q: { since?: number; limit?: number; action?: string }): Promise<AuditRecord[]>;
  /**
   * Walks the HMAC chain: the id of the first entry whose hash or link is wrong (null when
   * intact), the number of entries, and the head (to compare with a signed checkpoint).
   */
  verifyAudit(): Promise<AuditVerification>;
  /** The newest entry's id and hash (ids run 1, 2, 3, ...: the id is the entry count); null when empty. */
  auditHead(): Promise<{ id: number; hash: string } | null>;
  /** The stored hash of entry `id`, or null. */
  auditHashAt(id: number): Promise<string | null>;
  /** Stores a signed checkpoint; its `seq` must be above every stored one (VIGIL_ERR_USAGE). */
  addAuditCheckpoint(cp: AuditCheckpointRecord): Promise<void>;
  /** The checkpoint with the highest `seq`, or null. */
  latestAuditCheckpoint(): Promise<AuditCheckpointRecord | null>;

  // counters (rejections by reason; totals survive restarts)
  addCounters(deltas: Record<string, number>): Promise<void>;
  getCounters(): Promise<Record<string, number>>;

  // key/value for small state (schema version, install id, ...)
  getMeta(key: string): Promise<string | null>;
  setMeta(key: string, value: string): Promise<void>;

  /**
   * A number that changes whenever the device registry (devices, key generations,
   * certificates) changed, through any connection or process; used to invalidate the caches
   * built from it (keyring, CRL). Ingest writes do not change it. Adapters without such a notion
   * return a constant.
   */
  changeToken(): Promise<number>;
}
