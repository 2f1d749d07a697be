/**
 * What `vigil ... --json` prints, one style for every command (docs/cli.md): camelCase names,
 * times as ISO 8601 UTC with milliseconds, a list as NDJSON (one object per line), a single
 * item as one object on one line. Reading sample fields keep their protocol names inside `data`.
 */
import type { UserView } from '../auth/accounts.ts';
import type { OnCallView, outboxView } from '../notifications/notification-service.ts';
import type { AuditRecord, DeviceRecord, ReadingRecord } from '../storage/store.ts';

export const iso = (ms: number): string => new Date(ms).toISOString();
export const isoOrNull = (ms: number | null | undefined): string | null =>
  ms === null || ms === undefined ? null : iso(ms);

/** A device of the registry (`device list`, `device show`, `device add`). */
export function deviceJson(d: DeviceRecord) {
  return {
    id: d.id,
    profile: d.profile,
    status: d.status,
    alg: d.alg,
    currentKid: d.currentKid,
    certSerial: d.certSerial,
    certNotAfter: isoOrNull(d.certNotAfter),
    createdAt: iso(d.createdAt),
    updatedAt: iso(d.updatedAt),
    lastSeenAt: isoOrNull(d.lastSeenAt),
  };
}

/** NEWS2 of a patient monitor's reading (RCP 2017): the total and its band, or what is missing. */
export type News2Json = { total: number; band: string } | { total: null; band: null; missing: string[] };

/** One stored reading (`readings`); the sample's own fields in `data`, by their protocol names. */
export function readingJson(r: ReadingRecord, news2?: News2Json) {
  return {
    deviceId: r.deviceId,
    seq: r.seq,
    idx: r.idx,
    ts: iso(r.ts),
    receivedAt: iso(r.receivedAt),
    backfill: r.backfill,
    data: r.data,
    ...(news2 ? { news2 } : {}),
  };
}

/** A dashboard account (`user list`, `user add`); never a password or its hash. */
export function userJson(u: UserView) {
  return {
    name: u.name,
    role: u.role,
    status: u.status,
    mfaEnrolled: u.mfaEnrolled,
    mustChangePassword: u.mustChangePassword,
    mustEnrolMfa: u.mustEnrolMfa,
    recoveryCodesLeft: u.recoveryCodesLeft,
    createdAt: iso(u.createdAt),
    updatedAt: iso(u.updatedAt),
    passwordChangedAt: iso(u.passwordChangedAt),
    lastLoginAt: isoOrNull(u.lastLoginAt),
  };
}

/** One audit entry; `detail` as it was recorded (and hashed). */
export function auditJson(a: AuditRecord) {
  return {
    id: a.id,
    ts: iso(a.ts),
    actor: a.actor,
    action: a.action,
    object: a.object,
    detail: a.detail,
    prevHash: a.prevHash,
    hash: a.hash,
  };
}

/** One notification of the outbox (`notify outbox`, `notify test`), with its provider's answer. */
export function notificationJson(n: ReturnType<typeof outboxView>) {
  return {
    ...n,
    nextAttemptAt: isoOrNull(n.nextAttemptAt),
    createdAt: iso(n.createdAt),
    updatedAt: iso(n.updatedAt),
    sentAt: isoOrNull(n.sentAt),
  };
}

/** Who is on call on one schedule (`notify on-call`): since and until the current shift. */
export function onCallJson(v: OnCallView) {
  return { ...v, since: isoOrNull(v.since), until: isoOrNull(v.until) };
}
