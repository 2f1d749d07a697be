import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { configSchema } from '../config/schema.ts';
import { writeFileAtomic } from '../data-dir/context.ts';
import { VigilError } from '../errors.ts';

/**
 * Adds an age recipient to `backup.recipients` in `<data-dir>/config.json` (created if missing),
 * keeping everything else in the file; the result is validated before it is written. Returns the
 * recipients now configured. A running server reads them at its next start.
 */
export function addBackupRecipient(dataDir: string, recipient: string): string[] {
  const file = join(dataDir, 'config.json');
  let doc: Record<string, unknown> = {};
  if (existsSync(file)) {
    try {
      doc = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    } catch (err) {
      throw new VigilError('VIGIL_ERR_CONFIG', `${file}: ${(err as Error).message}`);
    }
  }
  const backup = (doc.backup && typeof doc.backup === 'object' ? doc.backup : {}) as Record<string, unknown>;
  const current = Array.isArray(backup.recipients) ? (backup.recipients as string[]) : [];
  const recipients = current.includes(recipient) ? current : [...current, recipient];
  const next = { ...doc, backup: { ...backup, recipients } };
  const r = configSchema.safeParse({ ...next, dataDir });
  if (!r.success) {
    throw new VigilError(
      'VIGIL_ERR_CONFIG',
      r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '),
    );
  }
  writeFileAtomic(file, `${JSON.stringify(next, null, 2)}\n`, 0o600);
  return recipients;
}
