import type { ClaimBatch, ClaimRecord, QuarantineEntry } from './claim-store.ts';

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** A claim as the API, the CLI's `--json` and the dashboard show it (no CSR, no reply body). */
export function claimView(c: ClaimRecord) {
  return {
    serial: c.serial,
    batch: c.batch,
    profile: c.profile,
    state: c.state,
    deviceId: c.deviceId,
    keyFingerprint: c.keyFp.slice(0, 16),
    attempts: c.attempts,
    receivedAt: iso(c.receivedAt),
    lastSeenAt: iso(c.lastSeenAt),
    address: c.address,
    decidedAt: iso(c.decidedAt),
    decidedBy: c.decidedBy,
  };
}

export function batchView(b: ClaimBatch) {
  return {
    name: b.name,
    certSerial: b.certSerial,
    uses: b.uses,
    maxUses: b.maxUses,
    expiresAt: iso(b.expiresAt),
    createdAt: iso(b.createdAt),
    createdBy: b.createdBy,
    revokedAt: iso(b.revokedAt),
  };
}

export function quarantineView(q: QuarantineEntry) {
  return {
    cn: q.cn,
    certSerial: q.certSerial,
    attempts: q.attempts,
    firstSeen: iso(q.firstSeen),
    lastSeen: iso(q.lastSeen),
    lastAddress: q.lastAddress,
  };
}
