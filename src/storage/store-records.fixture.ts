/** Sample records of the `Store` port, shared by its contract suite and other tests. */
import type {
  CertificateRecord,
  DeviceKeyRecord,
  DeviceRecord,
  IngestBatch,
  MessageRecord,
  ReadingRecord,
} from './store.ts';

/** 2026-11-21T00:00:00Z: the time the samples are built around. */
export const T0 = 1_795_305_600_000;

/** Test data builders, exported so adapter-specific suites use the same shapes. */
export function sampleDevice(id: string, over: Partial<DeviceRecord> = {}): DeviceRecord {
  return {
    id,
    profile: 'vaccine-transport',
    status: 'enabled',
    alg: 'A256GCM',
    currentKid: 1,
    createdAt: T0,
    updatedAt: T0,
    certSerial: null,
    certNotAfter: null,
    lastSeenAt: null,
    ...over,
  };
}

export function sampleKey(deviceId: string, kid = 1, over: Partial<DeviceKeyRecord> = {}): DeviceKeyRecord {
  return {
    deviceId,
    kid,
    secretEnc: Buffer.from(`sealed-secret-${deviceId}-${kid}-\u0000\u00ff`, 'latin1'),
    createdAt: T0,
    status: 'active',
    ...over,
  };
}

export function sampleCert(serial: string, over: Partial<CertificateRecord> = {}): CertificateRecord {
  return {
    serial,
    subject: 'truck-0001',
    kind: 'device',
    notBefore: T0,
    notAfter: T0 + 365 * 86_400_000,
    pem: `-----BEGIN CERTIFICATE-----\n${serial}\n-----END CERTIFICATE-----\n`,
    revokedAt: null,
    revocationReason: null,
    ...over,
  };
}

export function sampleReading(
  deviceId: string,
  seq: number,
  idx = 0,
  over: Partial<ReadingRecord> = {},
): ReadingRecord {
  return {
    deviceId,
    seq,
    idx,
    ts: T0 + seq * 60_000 + idx * 1000,
    receivedAt: T0 + seq * 60_000 + 5000,
    backfill: false,
    data: { temp_c: 4.5 + idx / 10, rh_pct: 51.2, power: 'mains', door: null },
    ...over,
  };
}

export function sampleMessage(
  deviceId: string,
  seq: number,
  over: Partial<MessageRecord> = {},
): MessageRecord {
  return {
    deviceId,
    seq,
    channel: 'events',
    ts: T0 + seq * 60_000,
    receivedAt: T0 + seq * 60_000 + 5000,
    body: { type: 'dispatch', batch: `LOT-${seq}`, token_hash: 'ab'.repeat(16) },
    ...over,
  };
}

export function sampleBatch(over: Partial<IngestBatch> = {}): IngestBatch {
  return { readings: [], messages: [], replayStates: [], lastSeen: [], ...over };
}
