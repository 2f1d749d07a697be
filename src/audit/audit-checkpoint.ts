/**
 * Signed checkpoints of the audit chain. The HMAC chain (src/storage/audit-chain.ts) stops a
 * rewrite by someone without the master key, but not the deletion of entries at the tail, and
 * not a rewrite by someone who holds the key. A checkpoint records the head after `entries`
 * entries, signed with the report-signing key (Ed25519, RFC 8032), and is kept where a database
 * rewrite cannot reach: a file in the data directory, every exported copy (`vigil audit
 * checkpoint --out FILE`) and every shipment report. `vigil audit verify` then reports a log
 * shorter than a checkpoint (truncation) or one whose entry differs from it (rewrite). `seq`
 * is a monotonic counter: a newer checkpoint always has a higher one, so an old checkpoint
 * cannot pass for the newest.
 *
 * File form (one JSON object, timestamps ISO 8601 UTC):
 * `{"type":"vigil-audit-checkpoint","v":1,"seq":7,"at":"2026-12-06T19:34:09.123Z","entries":1234,
 *   "headId":1234,"headHash":"<64 hex>","keyFingerprint":"SHA256:...","signature":"<base64url>"}`;
 * the signature covers the RFC 8785 canonical JSON of every member but `signature`.
 */
import { type KeyObject, verify } from 'node:crypto';
import { z } from 'zod';
import { canonicalJson } from '../canonical-json.ts';
import { VigilError } from '../errors.ts';
import type { ReportSigner } from '../reports/signing.ts';
import type { AuditCheckpointRecord } from '../storage/store.ts';

export const CHECKPOINT_TYPE = 'vigil-audit-checkpoint';

const fileSchema = z.strictObject({
  type: z.literal(CHECKPOINT_TYPE),
  v: z.literal(1),
  seq: z.number().int().min(1),
  at: z.iso.datetime({ offset: false, precision: 3 }),
  entries: z.number().int().min(0),
  headId: z.number().int().min(0),
  headHash: z.string().regex(/^[0-9a-f]{64}$/),
  keyFingerprint: z.string().regex(/^SHA256:[A-Za-z0-9+/]{43}$/),
  signature: z.string().regex(/^[A-Za-z0-9_-]{86}$/),
});

/** The file form's members but the signature, in file form (time as ISO 8601). */
function fields(cp: Omit<AuditCheckpointRecord, 'signature'>) {
  return {
    type: CHECKPOINT_TYPE,
    v: 1,
    seq: cp.seq,
    at: new Date(cp.at).toISOString(),
    entries: cp.entries,
    headId: cp.headId,
    headHash: cp.headHash,
    keyFingerprint: cp.keyFingerprint,
  };
}

/** The signed payload: every field but the signature, canonical. */
const payload = (cp: Omit<AuditCheckpointRecord, 'signature'>) =>
  Buffer.from(canonicalJson(fields(cp)), 'utf8');

/** Signs a checkpoint of the head `head` after `entries` entries. */
export function signCheckpoint(
  fields: { seq: number; at: number; entries: number; headId: number; headHash: string },
  signer: ReportSigner,
): AuditCheckpointRecord {
  const unsigned = { ...fields, keyFingerprint: signer.fingerprint };
  return { ...unsigned, signature: signer.sign(payload(unsigned)).toString('base64url') };
}

/** True when the signature is valid under `publicKey` (and names that key). */
export function checkpointSignatureValid(
  cp: AuditCheckpointRecord,
  publicKey: KeyObject,
  fingerprint: string,
): boolean {
  if (cp.keyFingerprint !== fingerprint) return false;
  try {
    return verify(null, payload(cp), publicKey, Buffer.from(cp.signature, 'base64url'));
  } catch {
    return false;
  }
}

/** The file form (one line of JSON). */
export function checkpointJson(cp: AuditCheckpointRecord): string {
  return JSON.stringify({ ...fields(cp), signature: cp.signature });
}

/** Parses the file form; VIGIL_ERR_USAGE naming `source` when it is not a checkpoint. */
export function parseCheckpoint(text: string, source: string): AuditCheckpointRecord {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new VigilError('VIGIL_ERR_USAGE', `${source}: not JSON`);
  }
  const r = fileSchema.safeParse(raw);
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new VigilError(
      'VIGIL_ERR_USAGE',
      `${source}: not an audit checkpoint (${issue?.path.join('.') || 'root'})`,
    );
  }
  const { type: _t, v: _v, at, ...rest } = r.data;
  return { ...rest, at: Date.parse(at) };
}

/** One line for a report: `#7 · 1234 entries · head 1234 <hash> · 2026-...Z · signed SHA256:...`. */
export function checkpointLine(cp: AuditCheckpointRecord): string {
  return `#${cp.seq} · ${cp.entries} entries · head ${cp.headId} ${cp.headHash} · ${new Date(cp.at).toISOString()} · signed ${cp.keyFingerprint}`;
}

/**
 * What a checkpoint says about the log now: null when the log still holds the checkpointed head,
 * else the problem (truncated, rewritten). `hashAt` reads the stored hash of an entry.
 */
export async function compareWithLog(
  cp: AuditCheckpointRecord,
  log: { entries: number; hashAt: (id: number) => Promise<string | null> },
): Promise<{ kind: 'truncated' | 'rewritten'; message: string } | null> {
  const when = new Date(cp.at).toISOString();
  if (log.entries < cp.entries) {
    return {
      kind: 'truncated',
      message: `TRUNCATED: checkpoint #${cp.seq} of ${when} covers ${cp.entries} entries, the log has ${log.entries} (${cp.entries - log.entries} missing at the tail)`,
    };
  }
  if (cp.entries > 0 && (await log.hashAt(cp.headId)) !== cp.headHash) {
    return {
      kind: 'rewritten',
      message: `REWRITTEN: entry ${cp.headId} differs from checkpoint #${cp.seq} of ${when}`,
    };
  }
  return null;
}
