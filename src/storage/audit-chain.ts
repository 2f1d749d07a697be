import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
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

const body = (e: AuditHashInput) =>
  canonicalJson({ id: e.id, ts: e.ts, actor: e.actor, action: e.action, object: e.object, detail: e.detail });

/**
 * `hex(HMAC-SHA256(key, prevHash + '|' + JCS({id, ts, actor, action, object, detail})))`, with
 * the key derived from the master key (`MasterKey.auditKey()`). Keyed, so that someone who can
 * write the database but does not hold the master key cannot rewrite the chain so that it still
 * verifies (a plain hash could be recomputed by anyone).
 */
export function auditHash(key: Buffer, prevHash: string, entry: AuditHashInput): string {
  return createHmac('sha256', key)
    .update(`${prevHash}|${body(entry)}`, 'utf8')
    .digest('hex');
}

/** The unkeyed SHA-256 link of the first chain format; only the migration that re-chains uses it. */
export function legacyAuditHash(prevHash: string, entry: AuditHashInput): string {
  return createHash('sha256')
    .update(`${prevHash}|${body(entry)}`, 'utf8')
    .digest('hex');
}

/** Constant-time equality of two hex MACs (a length mismatch is no secret). */
export function sameMac(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Result of walking an audit chain. */
export interface AuditVerification {
  ok: boolean;
  /** Number of entries walked (all of them, also after a break). */
  entries: number;
  /** Id of the first entry whose link (`prevHash`) or `hash` is wrong; null when intact. */
  firstBroken: number | null;
  /** Id and hash of the last entry (null for an empty log), to compare with a checkpoint. */
  head: { id: number; hash: string } | null;
}

/**
 * Checks a chain given in ascending id order: every `prevHash` equals the previous entry's `hash`
 * (the genesis hash for the first) and every `hash` recomputes under `key` (`link` defaults to
 * {@link auditHash}). A deleted or reordered entry breaks the link of the entry after it; an
 * edited one breaks its own hash (the id is hashed too, so ids need not be gap-free). Removing
 * entries from the END is not visible in the chain alone: signed checkpoints
 * (audit-checkpoint.ts) anchor the head outside the database. Adapters stream their rows into
 * this so all of them verify the same way.
 */
export function verifyAuditChain(
  records: Iterable<AuditRecord>,
  key: Buffer,
  link: (prev: string, e: AuditHashInput) => string = (prev, e) => auditHash(key, prev, e),
): AuditVerification {
  let entries = 0;
  let firstBroken: number | null = null;
  let prev = GENESIS_HASH;
  let head: { id: number; hash: string } | null = null;
  for (const r of records) {
    entries++;
    head = { id: r.id, hash: r.hash };
    if (firstBroken !== null) continue;
    if (!sameMac(r.prevHash, prev) || !sameMac(link(prev, r), r.hash)) firstBroken = r.id;
    prev = r.hash;
  }
  return { ok: firstBroken === null, entries, firstBroken, head };
}

/**
 * The record that appends `entry` to a chain whose last entry is `head` (none: the genesis). The
 * detail is normalised once (canonical JSON), so that the stored text, the hash input and the
 * returned record agree. Every adapter appends through this, inside its write transaction.
 */
export function chainAuditEntry(
  head: { id: number; hash: string } | undefined,
  entry: AuditInput,
  key: Buffer,
): AuditRecord {
  if (entry.detail === null || typeof entry.detail !== 'object' || Array.isArray(entry.detail)) {
    throw new VigilError('VIGIL_ERR_USAGE', 'audit detail must be an object');
  }
  const detail = JSON.parse(canonicalJson(entry.detail)) as Record<string, unknown>;
  const prevHash = head?.hash ?? GENESIS_HASH;
  const text = (s: string) => String(s).toWellFormed();
  const rec: AuditRecord = {
    id: (head?.id ?? 0) + 1,
    ts: entry.ts,
    actor: text(entry.actor),
    action: text(entry.action),
    object: entry.object === null ? null : text(entry.object),
    detail,
    prevHash,
    hash: '',
  };
  rec.hash = auditHash(key, prevHash, rec);
  return rec;
}
