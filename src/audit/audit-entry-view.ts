/**
 * An audit entry as the API (`GET /api/v1/audit`) and `vigil audit --json` show it: the stored
 * fields with the time as ISO 8601 UTC; `detail` as it was recorded (and hashed).
 */
import { iso } from '../iso-time.ts';
import type { AuditRecord } from '../storage/store.ts';

export function auditEntryView(a: AuditRecord) {
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
