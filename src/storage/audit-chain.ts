import { createHash } from 'node:crypto';
import { canonicalJson } from '../canonical-json.ts';
import { VigilError } from '../errors.ts';
import type { AuditInput, AuditRecord } from './store.ts';

/** `prevHash` of the first audit entry: 64 zeros (32 zero bytes, hex). */
export const GENESIS_HASH = '0'.repeat(64);

/** The fields of an audit entry that its hash covers. */
export interface AuditHashInput {
  id: number;
  ts: number;
  actor: string;
  action: string;
  object: string | null;
  detail: Record<string, unknown>;
}

/** `sha256hex(prevHash + '|' + canonicalJson({id, ts, actor, action, object, detail}))`. */
export function auditHash(prevHash: string, entry: AuditHashInput): string {
  const body = canonicalJson({
    id: entry.id,
    ts: entry.ts,
    actor: entry.actor,
    action: entry.action,
    object: entry.object,
    detail: entry.detail,
  });
  return createHash('sha256').update(`${prevHash}|${body}`, 'utf8').digest('hex');
}

/** Result of walking an audit chain. */
export interface AuditVerification {
  ok: boolean;
  /** Number of entries walked (all of them, also after a break). */
  entries: number;
  /** Id of the first entry whose link (`prevHash`) or `hash` is wrong; null when intact. */
  firstBroken: number | null;
}

/**
 * Checks a chain given in ascending id order: every `prevHash` equals the previous entry's `hash`
 * (the genesis hash for the first) and every `hash` recomputes. A deleted or reordered entry
 * breaks the link of the entry after it; an edited one breaks its own hash (the id is hashed too,
 * so ids need not be gap-free). Removing entries from the END is not detectable from the chain
 * alone; that needs the head hash anchored elsewhere (a backup, an export). Adapters stream
 * their rows into this so all of them verify the same way.
 */
export function verifyAuditChain(records: Iterable<AuditRecord>): AuditVerification {
  let entries = 0;
  let firstBroken: number | null = null;
  let prev = GENESIS_HASH;
  for (const r of records) {
    entries++;
    if (firstBroken !== null) continue;
    const broken = r.prevHash !== prev || auditHash(prev, r) !== r.hash;
    if (broken) firstBroken = r.id;
    prev = r.hash;
  }
  return { ok: firstBroken === null, entries, firstBroken };
}

/**
 * The record that appends `entry` to a chain whose last entry is `head` (none: the genesis). The
 * detail is normalised once (canonical JSON), so that the stored text, the hash input and the
 * returned record agree. Every adapter appends through this, inside its write transaction.
 */
export function chainAuditEntry(
  head: { id: number; hash: string } | undefined,
  entry: AuditInput,
): AuditRecord {
  if (entry.detail === null || typeof entry.detail !== 'object' || Array.isArray(entry.detail)) {
    throw new VigilError('VIGIL_ERR_USAGE', 'audit detail must be an object');
  }
  const detail = JSON.parse(canonicalJson(entry.detail)) as Record<string, unknown>;
  const prevHash = head?.hash ?? GENESIS_HASH;
  const rec: AuditRecord = {
    id: (head?.id ?? 0) + 1,
    ts: entry.ts,
    actor: entry.actor,
    action: entry.action,
    object: entry.object,
    detail,
    prevHash,
    hash: '',
  };
  rec.hash = auditHash(prevHash, rec);
  return rec;
}
