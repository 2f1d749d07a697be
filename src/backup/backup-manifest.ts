/**
 * The manifest of a backup: what it holds and how to check it. It is signed with the
 * installation's Ed25519 report-signing key (RFC 8032, over the exact manifest bytes); the public
 * key travels in the manifest, and `vigil report key` prints the same key, so a verifier can tell
 * this installation's backups from anyone else's (age itself does not authenticate the sender:
 * anyone holding the public recipient can encrypt a file to it).
 */
import { createPublicKey, verify } from 'node:crypto';
import { z } from 'zod';
import { VigilError } from '../errors.ts';
import { keyFingerprint, type ReportSigner } from '../reports/signing.ts';

export const MANIFEST_FORMAT = 'vigil-backup/1';
export const MANIFEST_NAME = 'manifest.json';
export const SIGNATURE_NAME = 'manifest.sig';

const sha256Hex = z.string().regex(/^[0-9a-f]{64}$/);

const manifestSchema = z.strictObject({
  format: z.literal(MANIFEST_FORMAT),
  vigilVersion: z.string(),
  schemaVersion: z.number().int().nonnegative(),
  createdAt: z.iso.datetime(),
  /** Rows per table of the database snapshot. */
  rowCounts: z.record(z.string(), z.number().int().nonnegative()),
  /** Every part of the archive except the manifest and its signature, in archive order. */
  parts: z.array(
    z.strictObject({ name: z.string(), bytes: z.number().int().nonnegative(), sha256: sha256Hex }),
  ),
  /** The newest audit entry when the snapshot was taken (null: empty log). */
  auditHead: z.strictObject({ id: z.number().int().positive(), hash: z.string() }).nullable(),
  signingKey: z.strictObject({ publicKeyPem: z.string(), fingerprint: z.string() }),
});

export type BackupManifest = z.infer<typeof manifestSchema>;

/** The exact bytes that are archived and signed. */
export function manifestBytes(m: BackupManifest): Buffer {
  return Buffer.from(`${JSON.stringify(m, null, 2)}\n`, 'utf8');
}

/** The base64url Ed25519 signature of the manifest bytes. */
export function signManifest(bytes: Buffer, signer: ReportSigner): Buffer {
  return Buffer.from(`${signer.sign(bytes).toString('base64url')}\n`, 'utf8');
}

/**
 * Parses the manifest and checks its signature under the key it names. With `trustedPem` the key
 * must also be that one (this installation's report-signing key): a backup signed by any other key
 * is foreign. Every failure is VIGIL_ERR_BACKUP_INVALID.
 */
export function openManifest(
  bytes: Buffer,
  signature: Buffer,
  trustedPem: string | undefined,
): { manifest: BackupManifest; trusted: boolean } {
  let manifest: BackupManifest;
  try {
    manifest = manifestSchema.parse(JSON.parse(bytes.toString('utf8')));
  } catch (err) {
    throw new VigilError(
      'VIGIL_ERR_BACKUP_INVALID',
      `manifest unreadable: ${(err as Error).message.slice(0, 200)}`,
    );
  }
  const sig = Buffer.from(signature.toString('utf8').trim(), 'base64url');
  let ok = false;
  try {
    const key = createPublicKey(manifest.signingKey.publicKeyPem);
    ok =
      key.asymmetricKeyType === 'ed25519' &&
      keyFingerprint(key) === manifest.signingKey.fingerprint &&
      sig.length === 64 &&
      verify(null, bytes, key, sig);
  } catch {
    ok = false;
  }
  if (!ok) throw new VigilError('VIGIL_ERR_BACKUP_INVALID', 'the manifest signature does not verify');
  if (trustedPem === undefined) return { manifest, trusted: false };
  const trusted = keyFingerprint(trustedPem);
  if (trusted !== manifest.signingKey.fingerprint) {
    throw new VigilError(
      'VIGIL_ERR_BACKUP_INVALID',
      `signed by a foreign key ${manifest.signingKey.fingerprint}, not by this installation's ${trusted}`,
    );
  }
  return { manifest, trusted: true };
}
