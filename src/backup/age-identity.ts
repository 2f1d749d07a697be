/**
 * age identities and recipients (age-encryption.org/v1, X25519) through the `age-encryption`
 * package. The identity (`AGE-SECRET-KEY-1...`) is the only key that opens a backup; it belongs
 * offline. Only the recipient (`age1...`) is kept in the configuration.
 */
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { generateX25519Identity, identityToRecipient } from 'age-encryption';
import { AGE_RECIPIENT_RE } from '../config/schema.ts';
import { VigilError } from '../errors.ts';

const IDENTITY_RE = /^AGE-SECRET-KEY-1[02-9AC-HJ-NP-Z]{58}$/;

/** Largest identity file read (an identity file holds a few lines). */
const MAX_IDENTITY_FILE = 64 * 1024;

export interface AgeKeyPair {
  identity: string;
  recipient: string;
}

/** A fresh X25519 identity and its recipient. */
export async function generateBackupIdentity(): Promise<AgeKeyPair> {
  const identity = await generateX25519Identity();
  return { identity, recipient: await identityToRecipient(identity) };
}

/** `recipient` when it is an age X25519 recipient; VIGIL_ERR_USAGE otherwise. */
export function checkRecipient(recipient: string): string {
  const r = recipient.trim();
  if (!AGE_RECIPIENT_RE.test(r)) {
    throw new VigilError('VIGIL_ERR_USAGE', `"${r.slice(0, 80)}" is not an age X25519 recipient (age1...)`);
  }
  return r;
}

/**
 * The identity file in age's own format (the same `age-keygen` writes), so `age -d -i FILE`
 * opens a backup without Vigil.
 */
export function identityFileText(pair: AgeKeyPair, createdAt: Date): string {
  return [
    `# created: ${createdAt.toISOString()}`,
    '# Vigil backup identity. Without this file no Vigil backup can be restored.',
    '# Move it OFFLINE (password manager, printed in a safe) and delete it from this machine.',
    `# public key: ${pair.recipient}`,
    pair.identity,
    '',
  ].join('\n');
}

/** Writes the identity file with mode 0600; refuses to overwrite an existing file. */
export function writeIdentityFile(path: string, text: string): void {
  if (existsSync(path))
    throw new VigilError('VIGIL_ERR_USAGE', `${path} exists; choose another --identity-out`);
  try {
    writeFileSync(path, text, { mode: 0o600, flag: 'wx' });
    chmodSync(path, 0o600);
  } catch (err) {
    throw new VigilError('VIGIL_ERR_USAGE', `cannot write ${path}: ${(err as Error).message}`);
  }
}

/** The identities in an identity file (comments and blank lines skipped). */
export function readIdentityFile(path: string): string[] {
  let text: string;
  try {
    if (readFileSync(path).length > MAX_IDENTITY_FILE) throw new Error('larger than any identity file');
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new VigilError('VIGIL_ERR_USAGE', `--identity ${path}: ${(err as Error).message}`);
  }
  const ids = text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
  if (ids.length === 0 || !ids.every((l) => IDENTITY_RE.test(l))) {
    throw new VigilError('VIGIL_ERR_BACKUP_IDENTITY', `${path} is not an age X25519 identity file`);
  }
  return ids;
}

/** The plain-words warning printed whenever an identity is written. */
export function identityWarning(path: string): string[] {
  return [
    `backup identity written to ${path} (mode 0600).`,
    'MOVE THIS FILE OFFLINE NOW (a password manager, or printed and locked away), and delete it here.',
    'Without it, no backup of this installation can ever be restored; with it, anyone can read them.',
  ];
}
